"""Source « sunes » : programme SUN-ES, établissements engagés et validés par fenêtre et domaine, à une date."""

from __future__ import annotations

import polars as pl

from pipelines.intake.validation import Column, Context
from pipelines.sources.declaration import Source, flagger, level_and_code

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


def rules(
    values: pl.DataFrame, origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Fenêtre lisible, établissements validés au plus égaux aux engagés ; niveau et code géographique."""
    window_digit = pl.col("fenetre").cast(pl.String).str.extract(r"(?i)^\s*(?:f|fenetre|fenêtre)?\s*(\d)\s*$")
    flag = flagger(values, origins)
    unreadable = pl.col("fenetre").is_not_null() & window_digit.is_null()
    over = pl.format("établissements validés supérieurs aux engagés ({})", pl.col("es_engages"))
    problems = [
        flag("fenetre", unreadable, "fenêtre illisible (attendu : F1, F2, F3, F4)"),
        flag("es_valides", pl.col("es_valides") > pl.col("es_engages"), over),
    ]
    window = pl.concat_str(pl.lit("F"), window_digit).alias("fenetre")
    return values.with_columns(window, *level_and_code("region")), problems


SOURCE = Source(
    "sunes",
    "Programme SUN-ES (établissements engagés et validés)",
    COLUMNS,
    KEYS,
    VALUES,
    rules,
)
