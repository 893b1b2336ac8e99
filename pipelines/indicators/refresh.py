"""Matérialisation des indicateurs dans l'entrepôt, après chaque import et dans la même transaction.

Les pages et les exports lisent ces tables : afficher coûte une requête, jamais un recalcul.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.completeness import completeness, current_month
from pipelines.indicators.establishments import refresh_establishments
from pipelines.indicators.flux import flux_indicators, target_scope
from pipelines.indicators.programmes import sons_deadlines, sons_indicators, sunes_indicators
from pipelines.indicators.reconciliation import reconciliation
from pipelines.indicators.trajectory import projection_path, trajectories
from pipelines.indicators.usage import usage_indicators
from pipelines.warehouse.connection import named_statements


def _read(con: duckdb.DuckDBPyConnection, sql: str) -> pl.LazyFrame:
    return con.sql(sql).pl().lazy()


def _store(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("resultat", frame)
    # Nom pris parmi les clés de `compute_indicators`, jamais dans une donnée reçue.
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM resultat")
    con.unregister("resultat")


def compute_indicators(
    con: duckdb.DuckDBPyConnection, establishment_sums: pl.LazyFrame
) -> dict[str, pl.DataFrame]:
    """Les tables d'indicateurs agrégés, calculées depuis les vues courantes (sans rien écrire).

    Les établissements y entrent par `establishment_sums` : leur somme par rattachement (département, à défaut
    région ou France), consolidée comme un établissement fictif par rattachement."""
    q = named_statements("queries/indicator_inputs.sql")
    flux_input = pl.concat([_read(con, q["flux"]), establishment_sums], how="vertical")
    labels = _read(con, q["geo_labels"])
    flux = flux_indicators(
        flux_input,
        _read(con, q["population"]),
        _read(con, q["cibles"]),
        _read(con, q["cosui"]),
        establishments=False,
    )
    flux = flux.join(labels, on=["niveau", "code_geo"], how="left")
    flux_df = flux.collect()
    complete = month_completeness(con, flux_df)
    # Trajectoires et projections partent du dernier mois complet de la France : un mois partiel n'en est jamais
    # l'origine (docs/INDICATEURS.md, « Complétude »).
    last_complete = complete.filter(
        (pl.col("niveau") == "pays") & (pl.col("couloir") == ALL_COULOIRS) & pl.col("complet")
    )["mois"].max()
    national = flux_df.lazy().filter(
        (pl.col("niveau") == "pays") & (pl.col("mois") <= last_complete if last_complete else pl.lit(False))
    )
    targets = target_scope(_read(con, q["cibles"]))
    sons = sons_indicators(_read(con, q["sons"]), _read(con, q["dispositifs"])).join(
        labels, on=["niveau", "code_geo"], how="left"
    )
    sunes = sunes_indicators(_read(con, q["sunes"])).join(labels, on=["niveau", "code_geo"], how="left")
    return {
        "indicateurs_flux": flux_df,
        "completude": complete,
        "rapprochement": reconciliation(flux_df.lazy()).collect(),
        "trajectoires": trajectories(national, targets).collect(),
        "projections": projection_path(national).collect(),
        "indicateurs_sons": sons.collect(),
        "echeances_sons": sons_deadlines(_read(con, q["jalons"])).collect(),
        "indicateurs_sunes": sunes.collect(),
        "indicateurs_usage": usage_indicators(
            _read(con, q["usage"]), _read(con, q["population"]), _read(con, q["departements"])
        )
        .join(labels, on=["niveau", "code_geo"], how="left")
        .collect(),
    }


def month_completeness(
    con: duckdb.DuckDBPyConnection, flux: pl.DataFrame, hidden_couloirs: tuple[str, ...] = ()
) -> pl.DataFrame:
    """La table `completude` (pipelines/indicators/completeness.py) : flux consolidés et livraisons des établissements,
    lues en numéros. `hidden_couloirs` : couloirs tenus hors du calcul, comme s'ils n'avaient jamais été livrés — la
    complétude publique, sans les séries internes (ni leurs lignes, ni leurs contributions, ni les sous-niveaux qui
    n'auraient livré qu'elles)."""
    q = named_statements("queries/indicator_inputs.sql")
    parents = con.sql(q["establishment_parents"]).pl()
    con.register("etablissements_parents", parents.select("etablissement_id", "parent"))
    try:
        couloirs = _read(con, q["establishment_couloirs"])
        shown = ~pl.col("couloir").is_in(list(hidden_couloirs))
        hidden_ids = couloirs.filter(~shown).select("couloir_id").collect()["couloir_id"].to_list()
        deliveries = _read(con, q["establishment_deliveries"]).filter(~pl.col("couloir").is_in(hidden_ids))
        return completeness(
            flux.lazy()
            .select("mois", "niveau", "code_geo", "code_region", "couloir", "origine")
            .filter(shown),
            deliveries,
            parents.lazy().select("parent", "niveau", "code_geo").unique(),
            couloirs.filter(shown),
            current_month(),
            declarations=_read(con, q["declared_contributions"]).filter(shown),
        ).collect()
    finally:
        con.unregister("etablissements_parents")


def refresh_indicators(con: duckdb.DuckDBPyConnection) -> None:
    """Recalcule et remplace les tables d'indicateurs (`compute_indicators`) et les séries des établissements."""
    # Les séries des établissements, d'abord : leur somme par rattachement entre dans les indicateurs agrégés.
    establishment_sums = refresh_establishments(con)
    for table, frame in compute_indicators(con, establishment_sums).items():
        _store(con, table, frame)
