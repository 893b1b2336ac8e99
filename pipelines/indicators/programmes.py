"""Indicateurs SONS et SUN-ES : transformations pures LazyFrame → LazyFrame."""

from __future__ import annotations

import polars as pl

from pipelines.indicators.codes import ALL_WINDOWS, MEDICO_SOCIAL, SANITAIRE
from pipelines.sources import sons as sons_source

SONS_KEY = ["vague", "dispositif", "niveau", "code_geo"]
SONS_MEASURES = list(sons_source.MEASURES)


def _nullable_sum(column: str) -> pl.Expr:
    """Somme qui reste null quand aucune valeur n'est connue (une somme de rien n'est pas zéro)."""
    return pl.when(pl.col(column).is_not_null().any()).then(pl.col(column).sum()).alias(column)


def sons_national_from_regions(sons: pl.LazyFrame) -> pl.LazyFrame:
    """Ligne nationale d'un dispositif : la ligne nationale livrée si elle existe, sinon la somme des régions (et des
    départements sans région livrée) à la même date de situation."""
    regional = sons.filter(pl.col("niveau") == "region")
    summed = (
        regional.group_by(["date_situation", "vague", "dispositif"])
        .agg(*[_nullable_sum(m) for m in SONS_MEASURES], pl.col("donnees_demo").any())
        .with_columns(
            pl.lit("pays").alias("niveau"), pl.lit("FR").alias("code_geo"), pl.lit("somme").alias("origine")
        )
    )
    declared = sons.with_columns(pl.lit("declare").alias("origine"))
    missing = summed.join(
        declared.filter(pl.col("niveau") == "pays"), on=["date_situation", "vague", "dispositif"], how="anti"
    )
    return pl.concat([declared, missing.select(declared.collect_schema().names())])


def sons_segments(sons: pl.LazyFrame, dispositifs: pl.LazyFrame) -> pl.LazyFrame:
    """Agrégats par vague : `SANITAIRE` (tous les dispositifs hors médico-social) et `MEDICO-SOCIAL` (MS1, MS2-…),
    sommes des dispositifs ; la cible n'est pas sommée (des structures peuvent relever de plusieurs dispositifs)."""
    with_segment = sons.join(
        dispositifs.select(pl.col("code").alias("dispositif"), "couloir"), on="dispositif", how="left"
    )
    with_segment = with_segment.with_columns(
        pl.when(pl.col("couloir") == "MS")
        .then(pl.lit(MEDICO_SOCIAL))
        .otherwise(pl.lit(SANITAIRE))
        .alias("_segment")
    )
    totals = (
        with_segment.group_by(["date_situation", "vague", "_segment", "niveau", "code_geo"])
        .agg(*[_nullable_sum(m) for m in SONS_MEASURES if m != "cible"], pl.col("donnees_demo").any())
        .rename({"_segment": "dispositif"})
        .with_columns(pl.lit(None, dtype=pl.Int64).alias("cible"), pl.lit("somme").alias("origine"))
    )
    return pl.concat([sons, totals.select(sons.collect_schema().names())])


def sons_rates(sons: pl.LazyFrame) -> pl.LazyFrame:
    """`taux_couverture` = bons de commande ÷ cible (structures éligibles) ; `taux_solde` = demandes de solde ÷ bons de
    commande ; `taux_installation` = installations ÷ bons de commande. Null quand un terme manque ou que le diviseur
    est nul."""

    def ratio(numerator: str, denominator: str) -> pl.Expr:
        return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator))

    return sons.with_columns(
        ratio("bons_de_commande", "cible").alias("taux_couverture"),
        ratio("demandes_de_solde", "bons_de_commande").alias("taux_solde"),
        ratio("installations", "bons_de_commande").alias("taux_installation"),
    )


def sons_changes(sons: pl.LazyFrame) -> pl.LazyFrame:
    """`variation_<mesure>` = valeur − valeur à la date de situation précédente du même dispositif et de la même
    géographie (`date_situation_precedente`) ; null au premier instantané."""
    ordered = sons.sort([*SONS_KEY, "date_situation"])
    previous = [pl.col("date_situation").shift(1).over(SONS_KEY).alias("date_situation_precedente")]
    changes = [
        (pl.col(m) - pl.col(m).shift(1).over(SONS_KEY)).alias(f"variation_{m}")
        for m in ("bons_de_commande", "installations", "demandes_de_solde", "montants_verses_eur")
    ]
    return ordered.with_columns(*previous, *changes)


def sons_indicators(sons: pl.LazyFrame, dispositifs: pl.LazyFrame) -> pl.LazyFrame:
    """La chaîne SONS complète, de la vue `sons` à `indicateurs_sons`."""
    base = sons.with_columns(pl.col("montants_verses_eur").cast(pl.Float64))
    return (
        base.pipe(sons_national_from_regions)
        .pipe(sons_segments, dispositifs)
        .pipe(sons_rates)
        .pipe(sons_changes)
    )


def sons_deadlines(milestones: pl.LazyFrame) -> pl.LazyFrame:
    """Échéances SONS tirées des jalons : « SONS V2 PFI » vise le dispositif PFI de la vague 2 ; « SONS V2 » toute la
    vague 2 (dispositif null)."""
    parsed = milestones.filter(pl.col("programme").str.starts_with("SONS")).with_columns(
        pl.col("programme").str.extract(r"SONS\s+(V\d)").alias("vague"),
        pl.col("programme").str.extract(r"SONS\s+V\d\s+([A-Z0-9-]+)$").alias("dispositif"),
    )
    return parsed.select(
        "vague",
        "dispositif",
        pl.col("date").alias("date_echeance"),
        pl.col("jalon").alias("libelle"),
        "programme",
    ).sort("date_echeance")


def days_until(deadlines: pl.LazyFrame, today: pl.Expr) -> pl.LazyFrame:
    """`jours_restants` = date d'échéance − date du jour (négatif une fois l'échéance passée)."""
    return deadlines.with_columns((pl.col("date_echeance") - today).dt.total_days().alias("jours_restants"))


def sunes_national_from_regions(sunes: pl.LazyFrame) -> pl.LazyFrame:
    """Ligne nationale SUN-ES : la ligne livrée si elle existe, sinon la somme des régions à la même date."""
    summed = (
        sunes.filter(pl.col("niveau") == "region")
        .group_by(["date_situation", "fenetre", "domaine"])
        .agg(pl.col("es_engages").sum(), pl.col("es_valides").sum(), pl.col("donnees_demo").any())
        .with_columns(pl.lit("pays").alias("niveau"), pl.lit("FR").alias("code_geo"))
    )
    missing = summed.join(
        sunes.filter(pl.col("niveau") == "pays"), on=["date_situation", "fenetre", "domaine"], how="anti"
    )
    return pl.concat([sunes, missing.select(sunes.collect_schema().names())])


def sunes_all_windows(sunes: pl.LazyFrame) -> pl.LazyFrame:
    """Fenêtre `TOUTES` : la somme des fenêtres pour un domaine, une date et une géographie."""
    total = (
        sunes.group_by(["date_situation", "domaine", "niveau", "code_geo"])
        .agg(pl.col("es_engages").sum(), pl.col("es_valides").sum(), pl.col("donnees_demo").any())
        .with_columns(pl.lit(ALL_WINDOWS).alias("fenetre"))
    )
    return pl.concat([sunes, total.select(sunes.collect_schema().names())])


def sunes_rates(sunes: pl.LazyFrame) -> pl.LazyFrame:
    """`taux_validation` = établissements validés ÷ établissements engagés, par domaine et fenêtre."""
    return sunes.with_columns(
        pl.when(pl.col("es_engages") > 0)
        .then(pl.col("es_valides") / pl.col("es_engages"))
        .alias("taux_validation")
    )


def sunes_indicators(sunes: pl.LazyFrame) -> pl.LazyFrame:
    """La chaîne SUN-ES complète, de la vue `sunes` à `indicateurs_sunes`."""
    return (
        sunes.pipe(sunes_national_from_regions)
        .pipe(sunes_all_windows)
        .pipe(sunes_rates)
        .sort(["date_situation", "fenetre", "domaine", "niveau", "code_geo"])
    )
