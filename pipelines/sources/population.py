"""Source « population » : population INSEE par année et géographie (pays, région, département)."""

from __future__ import annotations

import polars as pl

from pipelines.intake.validation import Column, Context
from pipelines.sources.declaration import Source, flagger

COLUMNS = (
    Column("annee", "year", aliases=("an", "millesime", "year")),
    Column("niveau", "niveau", aliases=("niveau_geographique", "echelon")),
    Column("code", "text", aliases=("code_geo", "code_insee", "codgeo")),
    Column(
        "population", "integer", aliases=("pop", "population_totale", "population_municipale", "habitants")
    ),
)
KEYS = ("annee", "niveau", "code")


def rules(
    values: pl.DataFrame, origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Code INSEE connu pour son niveau, population non nulle."""
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
    flag = flagger(values, origins)
    unknown = pl.col("niveau").is_not_null() & pl.col("code").is_not_null() & pl.col("code_valide").is_null()
    problems = [
        flag("code", unknown, pl.format("code INSEE inconnu pour le niveau « {} »", pl.col("niveau"))),
        flag("population", pl.col("population") == 0, "population nulle"),
    ]
    return values.with_columns(pl.col("code_valide").alias("code")), problems


SOURCE = Source("population", "Population INSEE", COLUMNS, KEYS, ("population",), rules)
