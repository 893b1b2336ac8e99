"""Source « usage » : statistiques d'usage de Mon espace santé par mois et géographie, forme longue.

Colonnes `mois`, `indicateur`, `valeur`, et facultativement `region` / `departement` (sans géographie, la ligne est
nationale). L'indicateur est reconnu par son code ou son libellé français (`data/reference/indicateurs_usage.csv`).
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from pipelines.intake.parsing import normalise_words
from pipelines.intake.validation import Column, Context, rule_problems
from pipelines.settings import REFERENCE_DIR
from pipelines.sources.declaration import Source, flagger, level_and_code

COLUMNS = (
    Column("mois", "month", aliases=("periode", "date", "date_mois", "mois_de_reference")),
    Column("indicateur", "text", aliases=("indicateur_usage", "mesure", "statistique", "code_indicateur")),
    Column("valeur", "integer", aliases=("nombre", "total", "effectif", "compte")),
    Column("region", "region", required=False, aliases=("code_region", "reg", "region_insee", "code_reg")),
    Column(
        "departement", "departement", required=False, aliases=("code_departement", "dep", "dept", "code_dep")
    ),
)
KEYS = ("mois", "indicateur", "niveau", "code_geo")
LOAD_COLUMNS = ("ligne", "mois", "indicateur", "niveau", "code_geo", "code_region", "valeur")


@lru_cache(maxsize=1)
def nomenclature() -> pl.DataFrame:
    """Les indicateurs d'usage admis : code, libellé, unité, nature (stock ou mois), thème, définition, source."""
    return pl.read_csv(REFERENCE_DIR / "indicateurs_usage.csv", infer_schema=False)


@lru_cache(maxsize=1)
def indicator_aliases() -> dict[str, str]:
    """Code, libellé ou synonyme normalisé → code de l'indicateur."""
    aliases: dict[str, str] = {}
    for row in nomenclature().iter_rows(named=True):
        for label in [row["code"], row["libelle"], *(row["synonymes"] or "").split("|")]:
            if label:
                aliases[normalise_words(label)] = row["code"]
    return aliases


def rules(
    values: pl.DataFrame, origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Indicateur connu (code, libellé ou synonyme) ; niveau et code géographique d'après la région et le
    département ; département cohérent avec la région de la même ligne."""
    region_of_dep = {code: reg for code, (_, reg) in ctx.reference.departements.items()}
    region, departement = pl.col("region").cast(pl.String), pl.col("departement").cast(pl.String)
    dep_region = departement.replace_strict(region_of_dep, default=None, return_dtype=pl.String)
    values = values.with_columns(
        pl.col("indicateur").alias("__brut"),
        pl.col("indicateur")
        .cast(pl.String)
        .map_elements(normalise_words, return_dtype=pl.String)
        .replace_strict(indicator_aliases(), default=None, return_dtype=pl.String)
        .alias("indicateur"),
        *level_and_code("departement", "region"),
        pl.coalesce(region, dep_region, pl.lit("")).alias("code_region"),
    )
    flag = flagger(values, origins)
    codes = ", ".join(nomenclature()["code"].to_list())
    problems = [
        rule_problems(
            values,
            pl.col("__brut").is_not_null() & pl.col("indicateur").is_null(),
            origins["indicateur"],
            pl.col("__brut"),
            pl.lit(f"indicateur d'usage inconnu (codes admis : {codes} ; ou leur libellé)"),
        ),
        flag(
            "departement",
            region.is_not_null() & departement.is_not_null() & (region != dep_region),
            "ce département n'appartient pas à la région indiquée sur la même ligne",
        ),
    ]
    return values.drop("__brut"), problems


SOURCE = Source(
    kind="usage",
    label="Usages de Mon espace santé",
    columns=COLUMNS,
    keys=KEYS,
    values=("valeur",),
    load_columns=LOAD_COLUMNS,
    rules=rules,
)
