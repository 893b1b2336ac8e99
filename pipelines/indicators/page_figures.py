"""Chiffres de lecture que les pages montrent à côté des indicateurs : totaux d'une vague SONS, dernière situation
connue, écart à la moyenne nationale. Transformations pures LazyFrame → LazyFrame, appelées par `warehouse.queries`."""

from __future__ import annotations

import polars as pl

from pipelines.indicators.codes import DISPOSITIF_GROUPS

SONS_TOTAL_MEASURES = ["bons_de_commande", "installations", "demandes_de_solde", "montants_verses_eur"]


def sons_totals(sons: pl.LazyFrame) -> pl.LazyFrame:
    """Totaux d'une vague à une date de situation et une géographie : somme des dispositifs (hors agrégats SANITAIRE
    et MEDICO-SOCIAL, qui les comptent déjà) ; null quand aucun dispositif n'a de valeur."""
    measures = [
        pl.when(pl.col(m).is_not_null().any()).then(pl.col(m).sum()).alias(m) for m in SONS_TOTAL_MEASURES
    ]
    return (
        sons.filter(~pl.col("dispositif").is_in(DISPOSITIF_GROUPS))
        .group_by("date_situation", "vague", "niveau", "code_geo")
        .agg(*measures)
        .sort("date_situation", "vague", "niveau", "code_geo")
    )


def latest_situation(sons: pl.LazyFrame) -> pl.LazyFrame:
    """Dernière situation connue de chaque vague × dispositif : la ligne de la date de situation la plus récente."""
    return (
        sons.sort("date_situation")
        .group_by("vague", "dispositif", maintain_order=True)
        .agg(pl.all().last())
        .sort("vague", "dispositif")
    )


def gap_to_national(series: pl.LazyFrame, national: pl.LazyFrame) -> pl.LazyFrame:
    """Écart à la moyenne nationale, chaque mois = documents par habitant et par an de la géographie ÷ ceux de la
    France − 1 ; null si l'un des deux manque (population inconnue)."""
    france = national.select("mois", pl.col("documents_par_habitant_an").alias("_france"))
    return (
        series.select("mois", "documents_par_habitant_an")
        .join(france, on="mois", how="left", maintain_order="left")
        .select("mois", (pl.col("documents_par_habitant_an") / pl.col("_france") - 1).alias("ecart_national"))
    )
