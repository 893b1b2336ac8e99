"""Les ruptures de flux d'un mois et d'un périmètre, lues dans l'entrepôt : entrées des règles
(`sql/queries/ruptures.sql`), règles (`pipelines/indicators/ruptures.py`), noms du répertoire, « nouvelle ».

Servi à `python -m pipelines ruptures`, à `alertes` et à la page « Établissements » : les trois montrent la même liste.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.indicators import ruptures as R
from pipelines.warehouse.connection import first_row, named_statements

_SQL = "queries/ruptures.sql"
# Les colonnes de la liste (et du JSON), dans l'ordre.
COLUMNS = [
    "finess",
    "raison_sociale",
    "categorie",
    "libelle_categorie",
    "departement",
    "nom_departement",
    "region",
    "nom_region",
    "couloir",
    "type",
    "mois",
    "documents_mois",
    "reference",
    "base_reference",
    "documents_perdus",
    "nouvelle",
    "autres_types",
    "donnees_demo",
]


@dataclass(frozen=True)
class Scope:
    """Le périmètre : toute la France, une région ou un département (codes INSEE)."""

    region: str | None = None
    departement: str | None = None

    @classmethod
    def of(cls, niveau: str, code: str) -> Scope:
        return cls(
            region=code if niveau == "region" else None, departement=code if niveau == "departement" else None
        )


def _statements() -> dict[str, str]:
    return named_statements(_SQL)


def latest_month(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    row = first_row(con, _statements()["latest_month"])
    return row[0] if row else None


def _frame(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None
) -> pl.DataFrame:
    return con.sql(_statements()[name], params=params or {}).pl()


def _complete_months(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> pl.DataFrame:
    """Par département × couloir × mois : contributions attendues, livrées, et si le mois est complet — la table
    `completude` (pipelines/indicators/completeness.py) ; un entrepôt qui ne l'a pas tient pour complets les mois
    livrés de chaque département, pour chaque couloir."""
    columns = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'completude'"
        ).fetchall()
    }
    if {"niveau", "code_geo", "couloir", "mois", "attendues", "livrees", "complet"} <= columns:
        return _frame(con, "completeness", {"debut": first, "fin": last})
    return _frame(con, "delivered_months", {"debut": first, "fin": last})


def _inputs(
    con: duckdb.DuckDBPyConnection, mois: dt.date, scope: Scope, thresholds: R.Thresholds
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame, pl.DataFrame]:
    # Le mois précédent a besoin de sa propre fenêtre : un mois de plus.
    first = R.shift_month(mois, -thresholds.window - 1)
    where: dict[str, object] = {"region": scope.region, "departement": scope.departement}
    series = _frame(con, "series", {"debut": first, "fin": mois, **where})
    directory = _frame(con, "directory", where)
    equipment = R.equipment_by_establishment(
        _frame(con, "sons").lazy(), directory.lazy(), _frame(con, "dispositifs").lazy()
    )
    complete = _complete_months(con, R.shift_month(mois, -1), mois)
    return series.lazy(), equipment, complete.lazy(), directory


def ruptures(
    con: duckdb.DuckDBPyConnection,
    mois: dt.date,
    scope: Scope = Scope(),
    kind: str | None = None,
    thresholds: R.Thresholds | None = None,
) -> pl.DataFrame:
    """La liste du mois : une ligne par établissement × couloir en alerte (la première règle satisfaite, ou celles de
    `kind`), avec nom, catégorie, département, région et « nouvelle » ; classée par documents perdus."""
    thresholds = thresholds or R.load_thresholds()
    series, equipment, complete, directory = _inputs(con, mois, scope, thresholds)
    # Le mois et le précédent (pour « nouvelle ») en un passage : les fenêtres se recouvrent.
    both = R.detect(series, equipment, complete, R.shift_month(mois, -1), thresholds, last=mois).collect()

    def month_list(month: dt.date) -> pl.LazyFrame:
        found = both.lazy().filter(pl.col("mois") == month)
        if kind is not None:
            return found.filter(pl.col("type") == kind).with_columns(
                pl.lit([], dtype=pl.List(pl.String)).alias("autres_types")
            )
        return R.one_per_series(found)

    current = R.mark_new(month_list(mois), month_list(R.shift_month(mois, -1)))
    demo = series.group_by(R.SERIES_KEYS).agg(pl.col("donnees_demo").any().alias("demo_serie"))
    labels = _frame(con, "labels")
    out = (
        current.join(demo, on=R.SERIES_KEYS, how="left")
        .join(
            directory.lazy()
            .drop("code_departement", "code_region")
            .rename({"donnees_demo": "demo_repertoire"}),
            on="finess",
            how="left",
        )
        .join(labels.lazy(), on="code_departement", how="left")
        .with_columns(
            pl.col("code_departement").alias("departement"),
            pl.col("code_region").alias("region"),
            pl.coalesce("demo_serie", "demo_repertoire", pl.lit(False)).alias("donnees_demo"),
            pl.col("reference").round(1),
            pl.col("documents_perdus").round(0).cast(pl.Int64),
        )
    )
    return R.rank_by_loss(out).select(COLUMNS).collect()


def records(frame: pl.DataFrame) -> list[dict[str, object]]:
    """Les lignes en objets JSON (mois AAAA-MM)."""
    return [{**row, "mois": f"{row['mois']:%Y-%m}"} for row in frame.iter_rows(named=True)]
