"""SONS par établissement : l'étape atteinte par chaque dispositif à une date, et les comptes par territoire qui s'en
déduisent (bons de commande, installations, demandes de solde, montants) — les agrégats tirés des lignes.

Transformations pures LazyFrame → LazyFrame. Entrée : `sons_etablissements` (une ligne par FINESS, vague, dispositif)
rattachée aux établissements (`finess`, `code_departement`, `code_region`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

STEPS = ("commande", "installe", "solde_demande")
STEP_LABELS = {"commande": "commandé", "installe": "installé", "solde_demande": "solde demandé"}


def step_reached(sons: pl.LazyFrame, date: dt.date) -> pl.LazyFrame:
    """L'étape atteinte à la date par chaque ligne : solde demandé, sinon installé, sinon commandé (null : rien encore).
    Une étape compte le jour de sa date."""
    return sons.with_columns(
        pl.when(pl.col("date_demande_solde") <= date)
        .then(pl.lit("solde_demande"))
        .when(pl.col("date_installation") <= date)
        .then(pl.lit("installe"))
        .when(pl.col("date_bon_de_commande") <= date)
        .then(pl.lit("commande"))
        .alias("etape")
    )


def status_by_establishment(sons: pl.LazyFrame, date: dt.date) -> pl.LazyFrame:
    """Par établissement : « DPI V1 installé ; RIS V1 commandé… » à la date, dispositifs dans l'ordre alphabétique.
    Sans ligne SONS atteinte à cette date, l'établissement n'apparaît pas."""
    reached = step_reached(sons, date).filter(pl.col("etape").is_not_null())
    label = pl.format(
        "{} {} {}", "dispositif", "vague", pl.col("etape").replace_strict(STEP_LABELS, return_dtype=pl.String)
    )
    return (
        reached.sort("finess", "dispositif", "vague")
        .group_by("finess", maintain_order=True)
        .agg(label.str.join(" ; ").alias("statut_sons"))
    )


def counts_by_territory(sons: pl.LazyFrame, date: dt.date, level: str) -> pl.LazyFrame:
    """Par vague × dispositif × territoire (`level` : code_departement ou code_region), à la date : bons de commande
    (une date de bon de commande passée), installations, demandes de solde, montants des lignes soldées."""
    dated = sons.with_columns(
        (pl.col("date_bon_de_commande") <= date).fill_null(False).alias("bdc"),
        (pl.col("date_installation") <= date).fill_null(False).alias("inst"),
        (pl.col("date_demande_solde") <= date).fill_null(False).alias("solde"),
    )
    return dated.group_by("vague", "dispositif", level).agg(
        pl.col("bdc").sum().alias("bons_de_commande"),
        pl.col("inst").sum().alias("installations"),
        pl.col("solde").sum().alias("demandes_de_solde"),
        pl.col("montant_eur").filter(pl.col("solde")).sum().alias("montants_verses_eur"),
    )


SONS_STEPS = ("bons_de_commande", "installations", "demandes_de_solde")


def consistency(aggregates: pl.LazyFrame, lines: pl.LazyFrame) -> pl.LazyFrame:
    """Statistiques SONS agrégées face aux lignes par établissement du même périmètre : pour chaque date de situation,
    vague, dispositif et étape (bons de commande, installations, demandes de solde), le chiffre agrégé, le compte des
    lignes dont l'étape est datée au plus tard ce jour-là, et l'écart (agrégé − lignes). Seuls les chiffres agrégés
    livrés, des dispositifs et vagues livrés aussi par établissement, sont comparés ; un écart est à expliquer."""
    covered = lines.select("vague", "dispositif").unique()
    dates = aggregates.join(covered, on=["vague", "dispositif"], how="semi").select(
        "date_situation", "vague", "dispositif", *SONS_STEPS
    )
    dated = (
        dates.select("date_situation", "vague", "dispositif")
        .unique()
        .join(lines, on=["vague", "dispositif"], how="inner")
    )
    counted = dated.group_by("date_situation", "vague", "dispositif").agg(
        (pl.col("date_bon_de_commande") <= pl.col("date_situation")).sum().alias("bons_de_commande"),
        (pl.col("date_installation") <= pl.col("date_situation")).sum().alias("installations"),
        (pl.col("date_demande_solde") <= pl.col("date_situation")).sum().alias("demandes_de_solde"),
    )
    keys = ["date_situation", "vague", "dispositif"]
    long_aggregates = dates.unpivot(
        index=keys, on=list(SONS_STEPS), variable_name="etape", value_name="agrege"
    )
    long_lines = counted.unpivot(index=keys, on=list(SONS_STEPS), variable_name="etape", value_name="lignes")
    return (
        long_aggregates.filter(pl.col("agrege").is_not_null())
        .join(long_lines, on=[*keys, "etape"], how="left")
        .with_columns(pl.col("lignes").fill_null(0).cast(pl.Int64), pl.col("agrege").cast(pl.Int64))
        .with_columns((pl.col("agrege") - pl.col("lignes")).alias("ecart"))
        .sort(["vague", "dispositif", "date_situation", "etape"])
    )
