"""Source « cibles » : cibles du programme (250 M national ; 120/75/35/20 M par couloir), avec leur échéance."""

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
    Column("indicateur", "text", aliases=("indicateur_cible", "mesure")),
    Column("perimetre", "text", aliases=("couloir", "perimetre_geo", "scope")),
    Column(
        "echeance", "date", aliases=("date_echeance", "date_cible", "echeance_cible"), future_allowed=True
    ),
    Column("valeur", "decimal", aliases=("cible", "valeur_cible", "objectif")),
)
KEYS = ("indicateur", "perimetre", "echeance")
LOAD_COLUMNS = ("ligne", "indicateur", "perimetre", "echeance", "valeur")


def detect(headers: list[str]) -> bool:
    return SOURCE.has_required(headers)


def validate(table: RawTable, ctx: Context) -> pl.DataFrame:
    """Rend les lignes prêtes pour `raw_cibles`, ou lève `RefusedFile` avec tous les problèmes trouvés."""
    frame, origins, unknown = map_headers(table, COLUMNS)
    if unknown:
        ctx.notes.append(f"colonnes ignorées : {', '.join(unknown)}")
    missing = missing_columns(COLUMNS, origins, table.headers)
    if missing.height:
        return conclude(ctx, KEYS, ("valeur",), frame.head(0), [missing], origins, LOAD_COLUMNS)
    values, problems = parse_columns(frame, COLUMNS, origins, ctx)
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
    rules = [
        rule_problems(
            values,
            pl.col("perimetre").is_not_null() & ~pl.col("perimetre").is_in(known),
            origins["perimetre"],
            pl.col("perimetre"),
            pl.lit("périmètre inconnu (FR, un code couloir ou un code région)"),
        )
    ]
    return conclude(ctx, KEYS, ("valeur",), values, [problems, *rules], origins, LOAD_COLUMNS)


SOURCE = Source(
    kind="cibles",
    label="Cibles du programme",
    columns=COLUMNS,
    keys=KEYS,
    values=("valeur",),
    load_columns=LOAD_COLUMNS,
    validate=validate,
    detect=detect,
)
