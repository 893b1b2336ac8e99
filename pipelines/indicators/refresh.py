"""Matérialisation des indicateurs dans l'entrepôt, après chaque import et dans la même transaction.

Les pages et les exports lisent ces tables : afficher coûte une requête, jamais un recalcul.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import duckdb
import polars as pl

from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.completeness import (
    SCHEMA,
    WINDOW,
    completeness_from_counts,
    current_month,
    establishment_counts,
)
from pipelines.indicators.establishments import (
    ALL_MONTHS,
    MonthSpan,
    establishment_sums,
    month_rank,
    month_start,
    refresh_establishments,
)
from pipelines.indicators.flux import flux_indicators, target_scope
from pipelines.indicators.programmes import sons_deadlines, sons_indicators, sunes_indicators
from pipelines.indicators.reconciliation import reconciliation
from pipelines.indicators.trajectory import projection_path, trajectories
from pipelines.indicators.usage import usage_indicators
from pipelines.settings import get_settings
from pipelines.warehouse.connection import first_row, named_statements


@dataclass(frozen=True)
class Delivery:
    """Ce qu'un import de flux a livré : les mois de ses lignes d'établissements, en rangs depuis janvier 1900 (None :
    aucune). Les indicateurs agrégés se recalculent en entier, quels que soient les mois livrés."""

    establishment_months: MonthSpan | None
    # Aucune clé nouvelle, seulement des valeurs révisées : ce qui est livré (quels établissements, couloirs et mois)
    # ne change pas, donc ni les comptes de complétude ni le dernier mois du flux.
    revises_only: bool = False


def delivered_months(con: duckdb.DuckDBPyConnection, import_id: int) -> Delivery:
    """Les mois d'établissements livrés par l'import `import_id` (ses lignes de `raw_flux`) ; aucun pour un import
    d'une autre nature ou sans ligne d'établissement."""
    row = first_row(
        con, named_statements("queries/indicator_inputs.sql")["delivered_months"], {"import": import_id}
    )
    first, last = row if row is not None else (None, None)
    return Delivery(MonthSpan(first, last) if first is not None else None)


def _read(con: duckdb.DuckDBPyConnection, sql: str) -> pl.LazyFrame:
    return con.sql(sql).pl().lazy()


def _store(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("resultat", frame)
    # Nom pris parmi les clés de `compute_indicators`, jamais dans une donnée reçue.
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM resultat")
    con.unregister("resultat")


def compute_indicators(
    con: duckdb.DuckDBPyConnection, recount: Callable[[dt.date], tuple[pl.LazyFrame, pl.LazyFrame]]
) -> dict[str, pl.DataFrame]:
    """Les tables d'indicateurs agrégés, calculées depuis les vues courantes (sans rien écrire).

    Les établissements y entrent par leur somme par rattachement (département, à défaut région ou France,
    `sommes_etablissements`), consolidée comme un établissement fictif par rattachement, et par leurs comptes de
    complétude, que `recount` rend à jour (il reçoit le dernier mois du flux, qui borne l'attente)."""
    q = named_statements("queries/indicator_inputs.sql")
    flux_input = pl.concat([_read(con, q["flux"]), establishment_sums(con)], how="vertical")
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
    last_month = flux_df["mois"].max()
    complete = month_completeness(
        con, flux_df, counts=recount(last_month) if isinstance(last_month, dt.date) else None
    )
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
    con: duckdb.DuckDBPyConnection,
    flux: pl.DataFrame,
    hidden_couloirs: tuple[str, ...] = (),
    counts: tuple[pl.LazyFrame, pl.LazyFrame] | None = None,
) -> pl.DataFrame:
    """La table `completude` (pipelines/indicators/completeness.py) : flux consolidés et comptes des établissements
    (`counts`, à défaut comptés depuis leurs livraisons). `hidden_couloirs` : couloirs tenus hors du calcul, comme
    s'ils n'avaient jamais été livrés — la complétude publique, sans les séries internes (ni leurs lignes, ni leurs
    contributions, ni les sous-niveaux qui n'auraient livré qu'elles)."""
    q = named_statements("queries/indicator_inputs.sql")
    shown = ~pl.col("couloir").is_in(list(hidden_couloirs))
    consolidated = (
        flux.lazy().select("mois", "niveau", "code_geo", "code_region", "couloir", "origine").filter(shown)
    )
    last_month = flux.filter(shown)["mois"].max()
    if not isinstance(last_month, dt.date):  # aucun flux : aucun mois à juger
        return pl.DataFrame(schema=SCHEMA)
    return completeness_from_counts(
        consolidated,
        counts if counts is not None else count_establishments(con, last_month, ALL_MONTHS, hidden_couloirs),
        current_month(),
        _read(con, q["declared_contributions"]).filter(shown),
    ).collect()


def count_establishments(
    con: duckdb.DuckDBPyConnection,
    last_month: dt.date,
    months: MonthSpan,
    hidden_couloirs: tuple[str, ...] = (),
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Les comptes de complétude des établissements (`establishment_counts`) des mois `months`, depuis leurs
    livraisons de ces mois et des `WINDOW` mois d'avant (une livraison n'est attendue que les `WINDOW` mois qui la
    suivent) ; `last_month` : le dernier mois du flux, qui borne l'attente."""
    q = named_statements("queries/indicator_inputs.sql")
    parents = con.sql(q["establishment_parents"]).pl()
    con.register("etablissements_parents", parents.select("etablissement_id", "parent"))
    try:
        couloirs = _read(con, q["establishment_couloirs"])
        shown = ~pl.col("couloir").is_in(list(hidden_couloirs))
        hidden_ids = couloirs.filter(~shown).select("couloir_id").collect()["couloir_id"].to_list()
        read = MonthSpan(max(months.first - WINDOW, 0), months.last)
        deliveries = con.sql(q["establishment_deliveries"], params=read.dates).pl().lazy()
        counts, children = establishment_counts(
            deliveries.filter(~pl.col("couloir").is_in(hidden_ids)),
            parents.lazy().select("parent", "niveau", "code_geo").unique(),
            couloirs.filter(shown),
            last_month,
        )
    finally:
        con.unregister("etablissements_parents")
    if months == ALL_MONTHS:
        return counts, children
    kept = pl.col("mois").is_between(month_start(months.first), month_start(months.last))
    return counts.filter(kept), children.filter(kept)


def refresh_indicators(con: duckdb.DuckDBPyConnection, delivery: Delivery | None = None) -> None:
    """Recalcule et remplace les tables d'indicateurs (`compute_indicators`) et les séries des établissements.

    `delivery` : ce qu'un import de flux vient de livrer. Les séries, sommes et comptes de complétude des
    établissements ne sont alors récrits que pour les mois livrés et ceux qui en dépendent ; les tables agrégées
    (quelques dizaines de milliers de lignes, quelle que soit la taille de l'historique) sont recalculées en entier.
    None, ou `MES_RECALCUL_INCREMENTAL=false` : tout est recalculé."""
    q = named_statements("queries/indicator_inputs.sql")
    incremental = delivery is not None and get_settings().recalcul_incremental and _incremental_ready(con)
    if delivery is None or not incremental:
        refresh_establishments(con)
        recount_all = True
        previous_last = None
    else:
        # Les séries des établissements, d'abord : leur somme par rattachement entre dans les indicateurs agrégés.
        recount_all = (
            refresh_establishments(con, delivery.establishment_months)
            if delivery.establishment_months is not None
            else False
        )
        row = first_row(con, q["last_feed_month"])
        previous_last = row[0] if row is not None else None

    def recount(last_month: dt.date) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        months = (
            ALL_MONTHS
            if recount_all or previous_last is None or delivery is None
            else None
            if delivery.revises_only
            else recounted_months(delivery, month_rank(previous_last), month_rank(last_month))
        )
        if months is not None:
            _store_counts(con, q, count_establishments(con, last_month, months), months)
        return _read(con, q["establishment_counts"]), _read(con, q["establishment_children"])

    for table, frame in compute_indicators(con, recount).items():
        _store(con, table, frame)


def recounted_months(delivery: Delivery, previous_last: int, last: int) -> MonthSpan | None:
    """Les mois dont les comptes de complétude des établissements changent : ceux qu'ils livrent et les `WINDOW` mois
    qui suivent (une livraison y est attendue), et les mois qui s'ajoutent à la fin du flux (l'attente s'y étend).
    None : aucun."""
    spans = []
    if delivery.establishment_months is not None:
        spans.append((delivery.establishment_months.first, delivery.establishment_months.last + WINDOW))
    if last > previous_last:
        spans.append((previous_last + 1, last))
    if not spans:
        return None
    first, end = min(s[0] for s in spans), min(max(s[1] for s in spans), last)
    return MonthSpan(first, end) if first <= end else None


def _store_counts(
    con: duckdb.DuckDBPyConnection,
    q: dict[str, str],
    counts: tuple[pl.LazyFrame, pl.LazyFrame],
    months: MonthSpan,
) -> None:
    by_couloir, children = pl.collect_all(list(counts))
    if months == ALL_MONTHS:
        con.execute(q["clear_counts"])
    else:
        con.execute(q["clear_counts_months"], months.dates)
        con.execute(q["clear_children_months"], months.dates)
    for statement, name, frame in (
        ("store_counts", "comptes_calcules", by_couloir),
        ("store_children", "enfants_calcules", children),
    ):
        con.register(name, frame)
        try:
            con.execute(q[statement])
        finally:
            con.unregister(name)


def _incremental_ready(con: duckdb.DuckDBPyConnection) -> bool:
    q = named_statements("queries/indicator_inputs.sql")
    # Par le catalogue, pas par l'erreur d'une table absente : une erreur annulerait la transaction de l'import.
    computed = first_row(con, q["indicators_computed"])
    ready = first_row(con, q["incremental_ready"]) if computed and computed[0] else None
    return bool(ready and ready[0])


def refresh_after_import(con: duckdb.DuckDBPyConnection, import_id: int, new_keys: bool) -> None:
    """Le recalcul qui suit l'import `import_id`, dans sa transaction : borné à ce qu'il a livré. `new_keys` : l'import
    livre au moins une clé nouvelle (sinon il ne fait que réviser des valeurs)."""
    delivery = delivered_months(con, import_id)
    refresh_indicators(con, delivery if new_keys else replace(delivery, revises_only=True))
