"""Source « sons » : statistiques SONS (référencement, bons de commande, installations, soldes, montants) à une date.

Une ligne par date de situation × vague × dispositif, nationale ou pour une région / un département.
"""

from __future__ import annotations

import polars as pl

from pipelines.intake.validation import Column, Context
from pipelines.sources.declaration import Source, flagger, level_and_code

MEASURES = (
    "solutions_referencees",
    "cible",
    "bons_de_commande",
    "installations",
    "demandes_de_solde",
    "montants_verses_eur",
)
COLUMNS = (
    Column(
        "date_situation",
        "date",
        aliases=("date", "date_de_situation", "situation_au", "au", "date_de_la_situation"),
    ),
    Column("vague", "text", aliases=("vague_sons", "numero_de_vague")),
    Column("dispositif", "dispositif", aliases=("code_dispositif", "programme", "dispositif_sons")),
    Column(
        "solutions_referencees",
        "integer",
        False,
        ("solutions", "nb_solutions_referencees", "solutions_referencees_nb"),
    ),
    Column("cible", "integer", False, ("cible_esms", "structures_eligibles", "eligibles", "nb_eligibles")),
    Column(
        "bons_de_commande",
        "integer",
        False,
        ("bdc", "nb_bdc", "nombre_de_bdc", "bons_commande", "nombre_de_bons_de_commande"),
    ),
    Column("installations", "integer", False, ("installations_financees", "nb_installations")),
    Column(
        "demandes_de_solde",
        "integer",
        False,
        ("soldes", "nb_demandes_de_solde", "demandes_solde", "nombre_de_demandes_de_solde"),
    ),
    Column(
        "montants_verses_eur",
        "euros",
        False,
        (
            "montants_verses",
            "montant_verse",
            "montant_verse_eur",
            "montants_eur",
            "montant_eur",
            "montants_verses_euros",
        ),
    ),
    Column("region", "region", False, ("code_region", "reg")),
    Column("departement", "departement", False, ("code_departement", "dep", "dept")),
)
KEYS = ("date_situation", "vague", "dispositif", "niveau", "code_geo")


def rules(
    values: pl.DataFrame, origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Vague lisible, au moins une mesure par ligne, soldes au plus égaux aux bons de commande ; niveau et code
    géographique de chaque ligne."""
    wave_digit = pl.col("vague").cast(pl.String).str.extract(r"(?i)^\s*(?:v|vague)?\s*(\d)\s*$")
    flag = flagger(values, origins)
    empty = pl.all_horizontal([pl.col(m).is_null() for m in MEASURES])
    over = pl.format("demandes de solde supérieures aux bons de commande ({})", pl.col("bons_de_commande"))
    problems = [
        flag(
            "vague",
            pl.col("vague").is_not_null() & wave_digit.is_null(),
            "vague illisible (attendu : V1, V2…)",
        ),
        flag(
            "dispositif",
            empty,
            "aucune valeur renseignée sur la ligne (BDC, installations, soldes, montants…)",
        ),
        flag("demandes_de_solde", pl.col("demandes_de_solde") > pl.col("bons_de_commande"), over),
    ]
    wave = pl.concat_str(pl.lit("V"), wave_digit).alias("vague")
    return values.with_columns(wave, *level_and_code("departement", "region")), problems


SOURCE = Source(
    "sons",
    "Statistiques SONS (commandes, installations, soldes)",
    COLUMNS,
    KEYS,
    MEASURES,
    rules,
)
