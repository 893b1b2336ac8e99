"""Indicateurs des établissements (niveau FINESS) : les mêmes définitions que `flux.py`, réduites à ce qui a un sens
pour un établissement (documents, annualisé, cumul sur 12 mois, évolutions sur 1 et 12 mois).

À l'échelle nationale (100 000 structures × couloirs × 60 mois, des dizaines de millions de lignes), joindre la table
à elle-même ou trier sur des textes coûte trop cher en temps et en mémoire. DuckDB ramène donc chaque valeur à une clé
entière `cle` (voir `indicateurs_etablissements.sql`, `collapse_types`) : une fois triées sur `cle`, les séries sont
contiguës et « le mois m − k de la même série » est la clé `cle − k`, retrouvée par recherche dichotomique.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from pipelines.warehouse import first_row, named_statements

MONTHS_PER_KEY = 4096  # rang du mois depuis janvier 1900, dans les 12 bits bas de `cle`
COULOIRS_PER_KEY = 64  # numéro de couloir, dans les 6 bits suivants

# Le premier jour de chaque rang de mois possible dans `cle` (12 bits) : décoder un mois est une simple indexation.
_MONTH_STARTS = pl.Series(
    "mois", [dt.date(1900 + rank // 12, rank % 12 + 1, 1) for rank in range(MONTHS_PER_KEY)], dtype=pl.Date
)


def decode_keys(series: pl.LazyFrame) -> pl.LazyFrame:
    """Numéro d'établissement, numéro de couloir et mois lus dans `cle` (l'inverse de `collapse_types`, SQL) : les
    colonnes de `series_etablissements`."""
    return series.select(
        (pl.col("cle") // (COULOIRS_PER_KEY * MONTHS_PER_KEY)).alias("etablissement_id"),
        (pl.col("cle") // MONTHS_PER_KEY % COULOIRS_PER_KEY).alias("couloir_id"),
        pl.lit(_MONTH_STARTS).gather(pl.col("cle") % MONTHS_PER_KEY).alias("mois"),
        "documents",
        "documents_m1",
        "documents_m12",
        "cumul_12_mois",
        "donnees_demo",
    )


def value_months_ago(series: pl.LazyFrame, months: int, name: str) -> pl.LazyFrame:
    """`name` = documents de la même série `months` mois plus tôt ; null si ce mois n'a pas été livré.
    Entrée triée sur `cle` (clé entière de `collapse_types`) : la valeur cherchée est celle de la clé `cle − months`."""
    earlier = series.select(
        (pl.col("cle") + months).alias("cle"),
        pl.col("cle").alias("_cle_source"),
        pl.col("documents").alias(name),
    )
    # Jointure « au plus proche en arrière » sur des clés triées (linéaire), puis on ne garde que la clé exacte.
    return (
        series.join_asof(earlier, on="cle", strategy="backward", check_sortedness=False)
        .with_columns(pl.when(pl.col("_cle_source") == pl.col("cle") - months).then(pl.col(name)).alias(name))
        .drop("_cle_source")
    )


def rolling_12_month_sum(series: pl.LazyFrame) -> pl.LazyFrame:
    """`cumul_12_mois` = somme des 12 derniers mois, mois courant compris ; null tant que les 12 mois ne sont pas
    tous livrés. Entrée triée sur `cle` : la fenêtre est l'intervalle de clés ]cle − 12, cle]."""
    running = series.with_columns(
        pl.col("documents").cum_sum().alias("_cumul"), pl.int_range(pl.len(), dtype=pl.Int64).alias("_rang")
    )
    # Dernière ligne dont la clé est ≤ cle − 12 : tout ce qui la suit, jusqu'à la ligne courante, est dans la fenêtre.
    before_window = running.select(
        (pl.col("cle") + 12).alias("cle"),
        pl.col("_cumul").alias("_cumul_avant"),
        pl.col("_rang").alias("_rang_avant"),
    )
    joined = running.join_asof(before_window, on="cle", strategy="backward", check_sortedness=False)
    months_in_window = pl.col("_rang") - pl.col("_rang_avant").fill_null(-1)
    window_sum = pl.col("_cumul") - pl.col("_cumul_avant").fill_null(0)
    return joined.with_columns(pl.when(months_in_window == 12).then(window_sum).alias("cumul_12_mois")).drop(
        "_cumul", "_rang", "_cumul_avant", "_rang_avant"
    )


def add_all_couloirs(keyed: pl.LazyFrame) -> pl.LazyFrame:
    """Ajoute le couloir `TOUS` (numéro 0) : la somme des couloirs de l'établissement pour le mois."""
    couloir = (pl.col("cle") // MONTHS_PER_KEY) % COULOIRS_PER_KEY
    total = keyed.group_by((pl.col("cle") - couloir * MONTHS_PER_KEY).alias("cle")).agg(
        pl.col("documents").sum(), pl.col("donnees_demo").any()
    )
    return pl.concat([keyed, total.select(keyed.collect_schema().names())])


def series_indicators(keyed: pl.LazyFrame) -> pl.LazyFrame:
    """La chaîne, des valeurs à clé entière (`collapse_types`) aux lignes de `series_etablissements`, que la vue
    `indicateurs_etablissements` décode et complète."""
    # Point d'arrêt après le tri : les trois jointures relisent la même table triée au lieu de retrier.
    ordered = keyed.pipe(add_all_couloirs).sort("cle").collect().lazy()
    return (
        ordered.pipe(value_months_ago, 1, "documents_m1")
        .pipe(value_months_ago, 12, "documents_m12")
        .pipe(rolling_12_month_sum)
        .pipe(decode_keys)
    )


# Valeurs calculées en une fois (TOUS en plus) : environ 60 octets chacune en Polars, soit ~150 Mo par bloc. Avec des
# blocs de 4 M, l'import de 10 M de lignes montait à 1,98 Go (le tas laissé par la validation s'y ajoute) ; à 2 M,
# 200 Mo de moins, pour un temps égal aux variations de la machine près.
SLICE_ROWS = 2_000_000
# Chaque bloc relit toute la table intermédiaire (qui déborde sur disque au-delà de la limite de DuckDB) : au-delà de
# 6 blocs, les relectures coûtent plus que la mémoire gagnée (30 M de lignes, mesurés en alternance : 24 s et
# 2,5 Go en 15 blocs, 20 s et 2,7 Go en 6).
MAX_SLICES = 6
KEYS_PER_ESTABLISHMENT = COULOIRS_PER_KEY * MONTHS_PER_KEY


def prepare_establishments(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Établissements et couloirs sous leurs numéros, puis types de documents réduits en une table temporaire
    d'entiers (`tmp_flux_etablissements`). Rend les requêtes de indicateurs_etablissements.sql."""
    steps = named_statements("indicateurs_etablissements.sql")
    con.execute(steps["establishments"])
    con.execute(steps["couloirs"])
    row = first_row(con, steps["numbers"])
    assert row is not None
    couloirs, establishment, all_types = (int(n) for n in row)
    if couloirs >= COULOIRS_PER_KEY:
        # Les couloirs viennent d'une liste de référence d'une dizaine de codes : n'arrive qu'en changeant la clé.
        raise RuntimeError(
            f"{couloirs} couloirs numérotés : la clé des séries d'établissement n'en tient que {COULOIRS_PER_KEY - 1}"
        )
    con.execute(steps["collapse_types"], {"etablissement": establishment, "tous_types": all_types})
    return steps


def slice_bounds(ids: list[int], values: int) -> list[tuple[int, int]]:
    """Blocs d'établissements [premier, suivant[ (numéros croissants, pas forcément contigus) : assez pour qu'un bloc
    porte environ `SLICE_ROWS` valeurs, jamais plus de `MAX_SLICES`."""
    if not ids:
        return []
    per_slice = max(1, len(ids) * SLICE_ROWS // max(values, 1), -(-len(ids) // MAX_SLICES))
    starts = ids[::per_slice]
    return list(zip(starts, [*starts[1:], ids[-1] + 1], strict=True))


def refresh_establishments(con: duckdb.DuckDBPyConnection) -> None:
    """Remplace les séries de `indicateurs_etablissements` (30_indicateurs.sql), bloc d'établissements par bloc : une
    série ne franchit jamais un bloc. Suppose `prepare_establishments` faite."""
    steps = named_statements("indicateurs_etablissements.sql")
    con.execute(steps["clear_series"])
    row = first_row(con, "SELECT count(*) FROM tmp_flux_etablissements")
    values = int(row[0]) if row else 0
    ids = [int(r[0]) for r in con.execute(steps["establishment_ids"]).fetchall()]
    for first, following in slice_bounds(ids, values):
        keyed = con.sql(
            steps["series_slice"],
            params=[first * KEYS_PER_ESTABLISHMENT, following * KEYS_PER_ESTABLISHMENT],
        ).pl()
        computed = series_indicators(keyed.lazy()).collect()
        del keyed
        con.register("series_calculees", computed)
        con.execute(steps["store_series"])
        con.unregister("series_calculees")
    con.execute(steps["cleanup"])
