"""Source « sons_etablissements » : SONS par établissement — pour chaque FINESS (celui du bon de commande, la maille
FINESS PMSI), vague et dispositif : dates du bon de commande, de l'installation et de la demande de solde (VA), montant.

À côté des statistiques agrégées (`sons`) : les agrégats par territoire se recomptent depuis ces lignes
(`pipelines/indicators/sons_etablissements.py`). Une nouvelle livraison d'une clé remplace la précédente.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.intake.validation import Column, Context, rule_problems
from pipelines.sources.declaration import Source

DATES = ("date_bon_de_commande", "date_installation", "date_demande_solde")
COLUMNS = (
    Column(
        "finess",
        "finess",
        aliases=(
            "finess_pmsi",
            "nofinesset",
            "finess_geographique",
            "finess_et",
            "numero_finess",
            "n_finess",
            "finess_bdc",
        ),
    ),
    Column("vague", "text", aliases=("vague_sons", "numero_de_vague")),
    Column("dispositif", "dispositif", aliases=("code_dispositif", "programme", "dispositif_sons")),
    Column(
        "date_bon_de_commande",
        "date",
        required=False,
        aliases=("date_bdc", "date_commande", "date_du_bon_de_commande", "bon_de_commande", "bdc"),
    ),
    Column(
        "date_installation",
        "date",
        required=False,
        aliases=("installation", "date_d_installation", "installe_le"),
    ),
    Column(
        "date_demande_solde",
        "date",
        required=False,
        aliases=(
            "date_va",
            "date_verification_aptitude",
            "date_demande_de_solde",
            "date_solde",
            "demande_de_solde",
            "va",
        ),
    ),
    Column(
        "montant_eur",
        "decimal",
        required=False,
        aliases=("montant", "montant_verse", "montant_verse_eur", "montants_verses_eur", "montant_euros"),
    ),
)
KEYS = ("finess", "vague", "dispositif")
VALUES = (*DATES, "montant_eur")


def detect(headers: Sequence[str]) -> bool:
    names = SOURCE.recognised(headers)
    return SOURCE.has_required(headers) and bool(names & set(DATES))


def rules(
    values: pl.DataFrame, origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Vague lisible, au moins une date par ligne, dates dans l'ordre (bon de commande, installation, demande de
    solde)."""
    wave_digit = pl.col("vague").cast(pl.String).str.extract(r"(?i)^\s*(?:v|vague)?\s*(\d)\s*$")

    def before(later: str, earlier: str, reason: str) -> pl.DataFrame:
        return rule_problems(
            values,
            pl.col(later) < pl.col(earlier),
            origins.get(later, later),
            pl.col(later),
            pl.format(reason + " ({})", pl.col(earlier).dt.strftime("%d/%m/%Y")),
        )

    problems = [
        rule_problems(
            values,
            pl.col("vague").is_not_null() & wave_digit.is_null(),
            origins["vague"],
            pl.col("vague"),
            pl.lit("vague illisible (attendu : V1, V2…)"),
        ),
        rule_problems(
            values,
            pl.all_horizontal([pl.col(d).is_null() for d in DATES]),
            origins["dispositif"],
            pl.col("dispositif"),
            pl.lit("aucune date renseignée sur la ligne (bon de commande, installation, demande de solde)"),
        ),
        before("date_installation", "date_bon_de_commande", "installation antérieure au bon de commande"),
        before("date_demande_solde", "date_installation", "demande de solde antérieure à l'installation"),
    ]
    values = values.with_columns(
        pl.concat_str(pl.lit("V"), wave_digit).alias("vague"), pl.col("finess").cast(pl.String)
    )
    return values, problems


SOURCE = Source(
    kind="sons_etablissements",
    label="SONS par établissement (bons de commande, installations, demandes de solde)",
    columns=COLUMNS,
    keys=KEYS,
    values=VALUES,
    rules=rules,
    detects=detect,
)
