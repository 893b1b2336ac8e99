"""Numéros des codes des flux (couloir, niveau, géographie, type de document) : `raw_flux` ne garde que ceux-là.

Un code reçoit son numéro à sa première livraison, dans la transaction de l'import (un import refusé n'en laisse
aucun). Une table validée arrive avec ses codes en catégories (`pl.Categorical`) : chaque valeur distincte est
numérotée une fois, puis la colonne entière se traduit par une indexation sur l'identifiant physique de la
catégorie, sans hacher ni comparer 10 millions de textes (à 10 M de lignes : 0,6 s pour les six colonnes, contre
1,8 s de gagnées à l'écriture).
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

# Colonne de la table validée → (table de numérotation, colonne de `raw_flux`). Noms fixés ici, jamais reçus.
CODED_COLUMNS: dict[str, tuple[str, str]] = {
    "couloir": ("codes_couloirs", "couloir_num"),
    "niveau": ("codes_niveaux", "niveau_num"),
    "code_geo": ("codes_geo", "geo_num"),
    "code_region": ("codes_geo", "region_num"),
    "code_departement": ("codes_geo", "departement_num"),
    "type_document": ("codes_types", "type_num"),
}


def _distinct(codes: pl.Series, strings: dict[str, pl.Series]) -> pl.DataFrame:
    """Les valeurs présentes d'une colonne en catégories : (identifiant physique, valeur). Les identifiants sont
    petits (le nombre de textes distincts vus par le processus) : un tableau de présence coûte moins qu'un `unique`
    haché sur 10 M de lignes."""
    physical = codes.to_physical().to_numpy()
    present = np.zeros(int(physical.max(initial=0)) + 1, dtype=bool)
    present[physical] = True
    ids = pl.Series("id", np.flatnonzero(present), dtype=pl.UInt32)
    assert isinstance(codes.dtype, pl.Categorical)
    # Les textes de toutes les catégories, par identifiant (lus une fois pour le jeu global, commun aux colonnes).
    categories = codes.dtype.categories
    if not categories.is_global():
        return pl.DataFrame({"id": ids, "valeur": categories.to_series().gather(ids)})
    if "global" not in strings:
        strings["global"] = categories.to_series()
    return pl.DataFrame({"id": ids, "valeur": strings["global"].gather(ids)})


def _numbers(con: duckdb.DuckDBPyConnection, values: pl.DataFrame) -> pl.DataFrame:
    """Numérote les valeurs pas encore connues de chaque table de codes ; rend (table, valeur, numero) pour toutes
    les valeurs reçues (`values` : table, valeur)."""
    con.register("valeurs_lot", values)
    try:
        tables = sorted({table for table, _ in CODED_COLUMNS.values()})
        for table in tables:
            con.execute(
                f"""INSERT INTO {table}
                SELECT (SELECT coalesce(max(numero), 0) FROM {table}) + row_number() OVER (ORDER BY valeur), valeur
                FROM (SELECT DISTINCT valeur FROM valeurs_lot WHERE table_codes = ?) AS lot
                WHERE NOT EXISTS (SELECT 1 FROM {table} AS connu WHERE connu.valeur = lot.valeur)""",
                [table],
            )
        known = " UNION ALL ".join(
            f"SELECT ? AS table_codes, valeur, numero FROM {table} "
            "WHERE valeur IN (SELECT valeur FROM valeurs_lot WHERE table_codes = ?)"
            for table in tables
        )
        return con.sql(known, params=[name for table in tables for name in (table, table)]).pl()
    finally:
        con.unregister("valeurs_lot")


def encode(con: duckdb.DuckDBPyConnection, lot: pl.DataFrame) -> pl.DataFrame:
    """La table validée avec, à la place de chaque code, son numéro (colonnes de `raw_flux`, dans son ordre)."""
    as_categories = lot.with_columns(pl.col(list(CODED_COLUMNS)).cast(pl.Categorical))
    strings: dict[str, pl.Series] = {}
    present = {column: _distinct(as_categories.get_column(column), strings) for column in CODED_COLUMNS}
    numbers = _numbers(
        con,
        pl.concat(
            [
                frame.select(pl.lit(CODED_COLUMNS[column][0]).alias("table_codes"), "valeur")
                for column, frame in present.items()
            ]
        ),
    )
    translations = []
    for column, (table, target) in CODED_COLUMNS.items():
        numbered = present[column].join(
            numbers.filter(pl.col("table_codes") == table), on="valeur", how="left", maintain_order="left"
        )
        # Numéro de chaque identifiant de catégorie présent ; la colonne entière se lit par indexation.
        ids = numbered.get_column("id").to_numpy()
        lookup = np.zeros(int(ids.max(initial=0)) + 1, dtype=np.int32)
        lookup[ids] = numbered.get_column("numero").to_numpy()
        translations.append(pl.lit(pl.Series(lookup)).gather(pl.col(column).to_physical()).alias(target))
    return as_categories.select("ligne", "mois", *translations, "documents")
