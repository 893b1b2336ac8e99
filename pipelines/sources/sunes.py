"""Source « sunes » : programme SUN-ES, établissements engagés et validés par fenêtre et domaine, à une date."""

from __future__ import annotations

import polars as pl

from pipelines.intake.reading import RawTable
from pipelines.intake.validation import (
    Column,
    Context,
    map_headers,
    missing_columns,
    parse_columns,
    rule_problems,
)
from pipelines.sources.declaration import Source, conclude

COLUMNS = (
    Column("date_situation", "date", aliases=("date", "date_de_situation", "situation_au", "au")),
    Column("fenetre", "text", aliases=("fenetre_sun_es", "fenetre_de_candidature", "window")),
    Column("domaine", "domaine", aliases=("domaine_sun_es", "code_domaine")),
    Column("es_engages", "integer", aliases=("etablissements_engages", "nb_es_engages", "engages")),
    Column("es_valides", "integer", aliases=("etablissements_valides", "nb_es_valides", "valides")),
    Column("region", "region", False, ("code_region", "reg")),
)
KEYS = ("date_situation", "fenetre", "domaine", "niveau", "code_geo")
VALUES = ("es_engages", "es_valides")
LOAD_COLUMNS = ("ligne", "date_situation", "fenetre", "domaine", "niveau", "code_geo", *VALUES)


def detect(headers: list[str]) -> bool:
    return SOURCE.has_required(headers)


def validate(table: RawTable, ctx: Context) -> pl.DataFrame:
    """Rend les lignes prêtes pour `raw_sunes`, ou lève `RefusedFile` avec tous les problèmes trouvés."""
    frame, origins, unknown = map_headers(table, COLUMNS)
    if unknown:
        ctx.notes.append(f"colonnes ignorées : {', '.join(unknown)}")
    missing = missing_columns(COLUMNS, origins, table.headers)
    if missing.height:
        return conclude(ctx, KEYS, VALUES, frame.head(0), [missing], origins, LOAD_COLUMNS)
    values, problems = parse_columns(frame, COLUMNS, origins, ctx)
    if "region" not in values.columns:
        values = values.with_columns(pl.lit(None, dtype=pl.String).alias("region"))
    window_digit = pl.col("fenetre").cast(pl.String).str.extract(r"(?i)^\s*(?:f|fenetre|fenêtre)?\s*(\d)\s*$")
    rules = [
        rule_problems(
            values,
            pl.col("fenetre").is_not_null() & window_digit.is_null(),
            origins["fenetre"],
            pl.col("fenetre"),
            pl.lit("fenêtre illisible (attendu : F1, F2, F3, F4)"),
        ),
        rule_problems(
            values,
            pl.col("es_valides") > pl.col("es_engages"),
            origins["es_valides"],
            pl.col("es_valides"),
            pl.format("établissements validés supérieurs aux engagés ({})", pl.col("es_engages")),
        ),
    ]
    values = values.with_columns(
        pl.concat_str(pl.lit("F"), window_digit).alias("fenetre"),
        pl.when(pl.col("region").is_not_null())
        .then(pl.lit("region"))
        .otherwise(pl.lit("pays"))
        .alias("niveau"),
        pl.coalesce("region", pl.lit("FR")).alias("code_geo"),
    )
    return conclude(ctx, KEYS, VALUES, values, [problems, *rules], origins, LOAD_COLUMNS)


SOURCE = Source(
    kind="sunes",
    label="Programme SUN-ES (établissements engagés et validés)",
    columns=COLUMNS,
    keys=KEYS,
    values=VALUES,
    load_columns=LOAD_COLUMNS,
    validate=validate,
    detect=detect,
)
