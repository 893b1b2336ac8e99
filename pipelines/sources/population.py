"""Source « population » : population INSEE par année et géographie (pays, région, département)."""

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
    Column("annee", "year", aliases=("an", "millesime", "year")),
    Column("niveau", "niveau", aliases=("niveau_geographique", "echelon")),
    Column("code", "text", aliases=("code_geo", "code_insee", "codgeo")),
    Column(
        "population", "integer", aliases=("pop", "population_totale", "population_municipale", "habitants")
    ),
)
KEYS = ("annee", "niveau", "code")
LOAD_COLUMNS = ("ligne", "annee", "niveau", "code", "population")


def detect(headers: list[str]) -> bool:
    return SOURCE.has_required(headers)


def validate(table: RawTable, ctx: Context) -> pl.DataFrame:
    """Rend les lignes prêtes pour `raw_population`, ou lève `RefusedFile` avec tous les problèmes trouvés."""
    frame, origins, unknown = map_headers(table, COLUMNS)
    if unknown:
        ctx.notes.append(f"colonnes ignorées : {', '.join(unknown)}")
    missing = missing_columns(COLUMNS, origins, table.headers)
    if missing.height:
        return conclude(ctx, KEYS, ("population",), frame.head(0), [missing], origins, LOAD_COLUMNS)
    values, problems = parse_columns(frame, COLUMNS, origins, ctx)
    regions = ctx.reference.regions
    departements = ctx.reference.departements
    code = pl.col("code").cast(pl.String).str.strip_chars().str.to_uppercase()
    padded = pl.when(code.str.contains(r"^\d$")).then(pl.lit("0") + code).otherwise(code)
    values = values.with_columns(
        pl.when(pl.col("niveau") == "pays")
        .then(pl.when(code.is_in(["FR", "FRANCE"])).then(pl.lit("FR")))
        .when(pl.col("niveau") == "region")
        .then(pl.when(padded.is_in(list(regions))).then(padded))
        .when(pl.col("niveau") == "departement")
        .then(pl.when(padded.is_in(list(departements))).then(padded))
        .alias("code_valide")
    )
    rules = [
        rule_problems(
            values,
            pl.col("niveau").is_not_null() & pl.col("code").is_not_null() & pl.col("code_valide").is_null(),
            origins["code"],
            pl.col("code"),
            pl.format("code INSEE inconnu pour le niveau « {} »", pl.col("niveau")),
        ),
        rule_problems(
            values,
            pl.col("population") == 0,
            origins["population"],
            pl.col("population"),
            pl.lit("population nulle"),
        ),
    ]
    values = values.with_columns(pl.col("code_valide").alias("code"))
    return conclude(ctx, KEYS, ("population",), values, [problems, *rules], origins, LOAD_COLUMNS)


SOURCE = Source(
    kind="population",
    label="Population INSEE",
    columns=COLUMNS,
    keys=KEYS,
    values=("population",),
    load_columns=LOAD_COLUMNS,
    validate=validate,
    detect=detect,
)
