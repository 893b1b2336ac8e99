"""Source « cibles » : cibles du programme (250 M national ; 120/75/35/20 M par couloir), avec leur échéance."""

from __future__ import annotations

import polars as pl

from pipelines.intake.validation import Column, Context
from pipelines.sources.declaration import Source, flagger

COLUMNS = (
    Column("indicateur", "text", aliases=("indicateur_cible", "mesure")),
    Column("perimetre", "text", aliases=("couloir", "perimetre_geo", "scope")),
    Column(
        "echeance", "date", aliases=("date_echeance", "date_cible", "echeance_cible"), future_allowed=True
    ),
    Column("valeur", "decimal", aliases=("cible", "valeur_cible", "objectif")),
)
KEYS = ("indicateur", "perimetre", "echeance")


def rules(
    values: pl.DataFrame, origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Périmètre connu : FR, un code couloir ou un code région."""
    known = ["FR", *ctx.reference.couloirs, *ctx.reference.regions]
    perimetre = (
        pl.col("perimetre")
        .cast(pl.String)
        .str.strip_chars()
        .str.to_uppercase()
        .replace({"NATIONAL": "FR", "FRANCE": "FR"})
    )
    values = values.with_columns(
        perimetre.alias("perimetre"), pl.col("indicateur").cast(pl.String).str.strip_chars()
    )
    unknown = pl.col("perimetre").is_not_null() & ~pl.col("perimetre").is_in(known)
    flag = flagger(values, origins)
    return values, [flag("perimetre", unknown, "périmètre inconnu (FR, un code couloir ou un code région)")]


SOURCE = Source("cibles", "Cibles du programme", COLUMNS, KEYS, ("valeur",), rules)
