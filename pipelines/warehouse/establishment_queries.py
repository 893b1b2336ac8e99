"""Lectures de la page « Établissements » : alertes du mois avec leur petite série, liste des établissements du
périmètre (dernier mois, tendance, SONS), détail d'un établissement. Une connexion en lecture, un DataFrame rendu ;
les règles et les définitions sont dans `pipelines/indicators/` (ruptures, sons_etablissements).

Chaque résultat porte `code_region` : `app_pages.common.read` le borne au périmètre du rôle de la session.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from pipelines.indicators import ruptures as R
from pipelines.indicators.sons_etablissements import consistency, status_by_establishment
from pipelines.warehouse import ruptures as W
from pipelines.warehouse.connection import named_statements

_SQL = "queries/etablissements.sql"
SMALL_SERIES_MONTHS = 12  # la petite série d'une alerte : les 12 mois jusqu'au mois choisi


def _scope(niveau: str, code: str) -> dict[str, object]:
    scope = W.Scope.of(niveau, code)
    return {"region": scope.region, "departement": scope.departement}


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> pl.DataFrame:
    return con.sql(named_statements(_SQL)[name], params=params).pl()


def latest_month(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    return W.latest_month(con)


def alerts(con: duckdb.DuckDBPyConnection, mois: dt.date, niveau: str, code: str) -> pl.DataFrame:
    """Les alertes du mois (comme `python -m pipelines ruptures`), avec `serie` : les documents des 12 derniers mois."""
    found = W.ruptures(con, mois, W.Scope.of(niveau, code))
    # Les séries des seuls établissements en alerte : celles de toute la France coûtaient 0,3 s à 10 M de lignes.
    series = _frame(
        con,
        "recent_series",
        {
            "debut": R.shift_month(mois, -SMALL_SERIES_MONTHS + 1),
            "fin": mois,
            "finess": found["finess"].unique().sort().to_list(),
        },
    )
    return found.join(
        series.select("finess", "couloir", "serie"), on=["finess", "couloir"], how="left"
    ).with_columns(pl.col("region").alias("code_region"))


def establishments(con: duckdb.DuckDBPyConnection, mois: dt.date, niveau: str, code: str) -> pl.DataFrame:
    """Tous les établissements du périmètre : répertoire, dernier mois avec envoi, documents du mois, évolution sur
    12 mois, statut SONS au dernier jour du mois."""
    listing = _frame(con, "establishments", {"mois": mois, **_scope(niveau, code)})
    sons = _frame(con, "sons_status", {**_scope(niveau, code), "finess": None})
    end_of_month = R.shift_month(mois, 1) - dt.timedelta(days=1)
    status = status_by_establishment(sons.lazy(), end_of_month).collect()
    return listing.join(status, on="finess", how="left", maintain_order="left")


def sons_milestones(con: duckdb.DuckDBPyConnection, finess: str) -> pl.DataFrame:
    """Les lignes SONS d'un établissement (dates de bon de commande, d'installation, de demande de solde)."""
    return _frame(con, "sons_status", {"region": None, "departement": None, "finess": finess})


def detail_series(con: duckdb.DuckDBPyConnection, finess: str) -> pl.DataFrame:
    """Un établissement : documents par mois, couloir et type de document."""
    return _frame(con, "detail_series", {"finess": finess})


def sons_consistency(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> pl.DataFrame:
    """Les statistiques SONS agrégées d'une région (ou de la France) face aux lignes SONS par établissement de ce
    périmètre (`indicators.sons_etablissements.consistency`), avec `code_region` pour le périmètre du rôle."""
    aggregates = con.sql(
        "SELECT date_situation, vague, dispositif, bons_de_commande, installations, demandes_de_solde "
        "FROM indicateurs_sons WHERE niveau = $niveau AND code_geo = $code",
        params={"niveau": niveau, "code": code},
    ).pl()
    lines = _frame(con, "sons_lines", {})
    if niveau == "region":
        lines = lines.filter(pl.col("code_region") == code)
    found = consistency(aggregates.lazy(), lines.lazy()).collect()
    return found.with_columns(pl.lit(code if niveau == "region" else "").alias("code_region"))
