"""Lectures des tables matérialisées pour l'application et les exports : une requête par besoin, paramètres liés.

Chaque fonction prend une connexion en lecture et rend un DataFrame Polars ; aucune ne calcule un indicateur. Les
chiffres de lecture (totaux, écarts, comptes à rebours) viennent des transformations de `pipelines/indicators`.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.page_figures import gap_to_national, latest_situation, sons_totals
from pipelines.indicators.programmes import days_until
from pipelines.settings import SQL_DIR
from pipelines.warehouse.connection import first_row, named_statements

_QUERIES = "queries/app.sql"


def _q(name: str) -> str:
    return named_statements(_QUERIES)[name]


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: list[object] | None = None) -> pl.DataFrame:
    return con.sql(_q(name), params=params or []).pl()


def months(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> list[dt.date]:
    return _frame(con, "months", [niveau, code])["mois"].to_list()


def month_completeness(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> pl.DataFrame:
    """Complétude de chaque mois du périmètre (tous couloirs), du plus récent au plus ancien ; vide pour un entrepôt
    antérieur à la table `completude`."""
    try:
        return _frame(con, "month_completeness", [niveau, code])
    except duckdb.CatalogException:
        return pl.DataFrame(schema={"mois": pl.Date, "complet": pl.Boolean})


def published_revisions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Révisions de chiffres publiés inscrites par les imports (`revisions_publiees`) : les deux valeurs, l'import."""
    try:
        return con.sql(named_statements("queries/headlines.sql")["errata"]).pl()
    except duckdb.CatalogException:
        return pl.DataFrame(schema={"import_id": pl.Int32, "mois": pl.Date})


def reconciliation(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Totaux livrés face à la somme de leurs sous-niveaux, par mois, couloir et niveau (table `rapprochement`)."""
    return _frame(con, "reconciliation")


def geographies(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Régions et départements présents dans les indicateurs, avec leur nom."""
    return _frame(con, "geographies")


def flux_series(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> pl.DataFrame:
    """Toute la série mensuelle d'une géographie, tous couloirs et `TOUS`."""
    return _frame(con, "flux_series", [niveau, code])


def flux_month(con: duckdb.DuckDBPyConnection, niveau: str, mois: dt.date) -> pl.DataFrame:
    """Toutes les géographies d'un niveau pour un mois (carte, classement), couloir `TOUS`."""
    return _frame(con, "flux_month", [niveau, mois])


def flux_children(con: duckdb.DuckDBPyConnection, region: str, mois: dt.date) -> pl.DataFrame:
    """Les départements d'une région pour un mois, tous couloirs."""
    return _frame(con, "flux_children", [region, mois])


def ruptures(con: duckdb.DuckDBPyConnection, mois: dt.date, region: str | None) -> pl.DataFrame:
    """Départements × couloirs qui envoyaient et n'envoient plus rien le mois choisi (rupture de flux)."""
    return _frame(con, "ruptures", [mois, region, region])


def national_gap(con: duckdb.DuckDBPyConnection, niveau: str, code: str, mois: dt.date) -> float | None:
    """Écart des documents par habitant d'une géographie à ceux de la France le mois donné (`gap_to_national`)."""
    return parent_gap(con, niveau, code, "pays", "FR", mois)


def parent_gap(
    con: duckdb.DuckDBPyConnection,
    niveau: str,
    code: str,
    parent_niveau: str,
    parent_code: str,
    mois: dt.date,
) -> float | None:
    """Écart des documents par habitant d'une géographie à ceux de son parent (un département à sa région) le mois
    donné, même définition que `national_gap`."""
    series = flux_series(con, niveau, code).filter(pl.col("couloir") == ALL_COULOIRS)
    parent = flux_series(con, parent_niveau, parent_code).filter(pl.col("couloir") == ALL_COULOIRS)
    gap = gap_to_national(series.lazy(), parent.lazy()).filter(pl.col("mois") == mois).collect()
    return gap["ecart_national"][0] if gap.height else None


def trajectories(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(con, "trajectories")


def projections(con: duckdb.DuckDBPyConnection, couloir: str) -> pl.DataFrame:
    return _frame(con, "projections", [couloir])


def published_flux(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Chiffres publiés de flux (national), ramenés en rythme annuel, avec leur source."""
    return _frame(con, "published_flux")


def milestones(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(con, "milestones")


def sons(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> pl.DataFrame:
    return _frame(con, "sons", [niveau, code])


def sons_wave_totals(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> pl.DataFrame:
    """Totaux des dispositifs de chaque vague à chaque date de situation (`page_figures.sons_totals`)."""
    return sons_totals(sons(con, niveau, code).lazy()).collect()


def sons_latest(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> pl.DataFrame:
    """Dernière situation connue de chaque vague × dispositif (`page_figures.latest_situation`)."""
    return latest_situation(sons(con, niveau, code).lazy()).collect()


def sons_deadlines(con: duckdb.DuckDBPyConnection, today: dt.date) -> pl.DataFrame:
    """Échéances SONS avec `jours_restants` à la date du jour (négatif une fois passée)."""
    return days_until(_frame(con, "sons_deadlines").lazy(), pl.lit(today)).collect()


def sunes(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> pl.DataFrame:
    return _frame(con, "sunes", [niveau, code])


def imports(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Le registre des imports, avec `auteur` (vide pour un entrepôt d'avant cette colonne)."""
    frame = _frame(con, "imports")
    if "auteur" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("auteur"))
    return frame


def revisions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Révisions du registre : par import et par mois, combien de valeurs ont changé et de combien au total."""
    return _frame(con, "revisions")


def errata(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(con, "errata")


def has_demo(con: duckdb.DuckDBPyConnection) -> bool:
    row = first_row(con, _q("has_demo"))
    return bool(row and row[0])


def raw_table(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    """Une vue publique entière, pour le téléchargement (noms pris dans la liste blanche `DOWNLOADABLE`)."""
    if name not in DOWNLOADABLE:
        raise ValueError(name)
    return con.sql(f"SELECT * FROM {name}").pl()


# Dans l'ordre du menu : la plus petite d'abord, pour que l'ouverture de la page ne prépare pas la plus grosse.
DOWNLOADABLE = {
    "chiffres_publies": "Chiffres publiés et leurs sources",
    "indicateurs_flux": "Indicateurs de flux (tous niveaux, tous couloirs)",
    "flux_mensuel": "Flux mensuels courants (tels que livrés)",
    "flux_historique": "Historique des valeurs et révisions",
    "indicateurs_sons": "Indicateurs SONS",
    "indicateurs_sunes": "Indicateurs SUN-ES",
}

assert (SQL_DIR / _QUERIES).exists()


# --- Usages de Mon espace santé (sql/queries/usage.sql) --------------------------------------------------------


def _usage(con: duckdb.DuckDBPyConnection, name: str, params: list[object] | None = None) -> pl.DataFrame:
    return con.sql(named_statements("queries/usage.sql")[name], params=params or []).pl()


def usage_months(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Les mois qui ont des usages au niveau national, du plus récent au plus ancien."""
    return _usage(con, "usage_months")["mois"].to_list()


def usage_series(con: duckdb.DuckDBPyConnection, niveau: str, code: str) -> pl.DataFrame:
    return _usage(con, "usage_series", [niveau, code])


def usage_level(con: duckdb.DuckDBPyConnection, indicateur: str, niveau: str, mois: dt.date) -> pl.DataFrame:
    return _usage(con, "usage_level", [indicateur, niveau, mois])


def usage_compare(
    con: duckdb.DuckDBPyConnection, indicateur: str, niveau: str, codes: tuple[str, ...]
) -> pl.DataFrame:
    """Un indicateur d'usage ou `documents_par_habitant_an` (flux), dans le temps, pour quelques territoires."""
    if indicateur == "documents_par_habitant_an":
        return _usage(con, "flux_compare", [niveau, list(codes)])
    return _usage(con, "usage_compare", [indicateur, niveau, list(codes)])


def usage_all(con: duckdb.DuckDBPyConnection, mois: dt.date) -> pl.DataFrame:
    return _usage(con, "usage_all", [mois])


def published_usage(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Les points d'usage publiés et leur source (data/reference/usage_publie.csv)."""
    return _usage(con, "published_usage")


def revision_log(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Journal public des révisions : date, mois révisé, nombre de valeurs changées (sans les valeurs)."""
    return _usage(con, "revision_log")
