"""Trajectoire vers les cibles : tendance des 12 derniers mois, saisonnalité quand 24 mois existent, intervalle.

Transformations pures LazyFrame → LazyFrame, sur les séries nationales de `indicateurs_flux` (une par couloir et
`TOUS`). Sorties : `trajectoires` (une ligne par cible) et `projections` (le chemin projeté, mois par mois).
"""

from __future__ import annotations

import polars as pl

SERIES = ["niveau", "code_geo", "couloir"]
FIT_MONTHS = 12
MAX_REACH_MONTHS = 240  # au-delà de 20 ans, une projection linéaire ne dit plus rien : « hors tendance »
MIN_FIT_MONTHS = 6  # en deçà, pas de tendance : trop peu de mois pour une pente et son erreur type
SEASONAL_MIN_MONTHS = 24
SEASONAL_MAX_MONTHS = 36
HORIZON_MONTHS = 36
# Quantiles 95 % de Student (intervalle bilatéral à 90 %) selon les degrés de liberté n − 2.
_STUDENT_95 = {
    1: 6.314,
    2: 2.920,
    3: 2.353,
    4: 2.132,
    5: 2.015,
    6: 1.943,
    7: 1.895,
    8: 1.860,
    9: 1.833,
    10: 1.812,
}


def month_index(column: str) -> pl.Expr:
    """Numéro de mois continu (année × 12 + mois − 1) : l'axe du temps des régressions."""
    return pl.col(column).dt.year().cast(pl.Int64) * 12 + pl.col(column).dt.month().cast(pl.Int64) - 1


def month_from_index(expr: pl.Expr) -> pl.Expr:
    year = (expr // 12).cast(pl.Int32)
    month = (expr % 12 + 1).cast(pl.Int8)
    return pl.date(year, month, 1)


def seasonal_factors(series: pl.LazyFrame) -> pl.LazyFrame:
    """Coefficient saisonnier de chaque mois calendaire = moyenne de (documents ÷ moyenne mobile centrée 2×12) sur les
    36 derniers mois au plus, normalisée à une moyenne de 1 ; 1 partout quand moins de 24 mois sont connus."""
    ordered = (
        series.with_columns(month_index("mois").alias("t"))
        .with_columns(pl.col("t").max().over(SERIES).alias("_t_max"), pl.len().over(SERIES).alias("_n"))
        .filter(pl.col("t") > pl.col("_t_max") - SEASONAL_MAX_MONTHS)
        .sort([*SERIES, "t"])
    )
    x = pl.col("documents").cast(pl.Float64)
    terms = [x.shift(k).over(SERIES) * (0.5 if abs(k) == 6 else 1.0) for k in range(-6, 7)]
    contiguous = (pl.col("t").shift(-6).over(SERIES) - pl.col("t").shift(6).over(SERIES)) == 12
    with_ma = ordered.with_columns(
        pl.when(contiguous).then(pl.sum_horizontal(terms) / 12).alias("_ma"),
        (pl.col("t") % 12 + 1).alias("mois_calendaire"),
    )
    raw = (
        with_ma.filter(pl.col("_ma") > 0)
        .group_by([*SERIES, "mois_calendaire"])
        .agg((x / pl.col("_ma")).mean().alias("_brut"), pl.col("_n").first())
    )
    normalised = raw.with_columns(
        pl.len().over(SERIES).alias("_mois_couverts"),
        (pl.col("_brut") / pl.col("_brut").mean().over(SERIES)).alias("_norm"),
    )
    calendar = pl.LazyFrame({"mois_calendaire": list(range(1, 13))}, schema={"mois_calendaire": pl.Int64})
    keys = series.select(SERIES).unique().join(calendar, how="cross")
    return keys.join(normalised, on=[*SERIES, "mois_calendaire"], how="left").select(
        *SERIES,
        "mois_calendaire",
        pl.when((pl.col("_mois_couverts") == 12) & (pl.col("_n") >= SEASONAL_MIN_MONTHS))
        .then(pl.col("_norm"))
        .otherwise(1.0)
        .alias("coefficient_saisonnier"),
        ((pl.col("_mois_couverts") == 12) & (pl.col("_n") >= SEASONAL_MIN_MONTHS))
        .fill_null(False)
        .alias("saisonnalite"),
    )


def fit_trend(series: pl.LazyFrame, factors: pl.LazyFrame) -> pl.LazyFrame:
    """Tendance linéaire des 12 derniers mois des documents corrigés des variations saisonnières : pente (documents
    par mois, chaque mois), ordonnée, erreur type de la pente, valeur ajustée au dernier mois."""
    data = (
        series.with_columns(
            month_index("mois").alias("t"), (month_index("mois") % 12 + 1).alias("mois_calendaire")
        )
        .join(factors, on=[*SERIES, "mois_calendaire"], how="left")
        .with_columns((pl.col("documents") / pl.col("coefficient_saisonnier")).alias("y"))
        .with_columns(pl.col("t").max().over(SERIES).alias("t_dernier"))
        .filter(pl.col("t") > pl.col("t_dernier") - FIT_MONTHS)
    )
    t, y = pl.col("t").cast(pl.Float64), pl.col("y")
    fit = data.group_by(SERIES).agg(
        pl.len().alias("n"),
        pl.col("t_dernier").first(),
        pl.col("saisonnalite").first(),
        t.mean().alias("_t_moy"),
        y.mean().alias("_y_moy"),
        ((t - t.mean()) * (y - y.mean())).sum().alias("_sxy"),
        ((t - t.mean()) ** 2).sum().alias("_sxx"),
        y.sort_by("t").last().alias("_y_dernier"),
    )
    fit = fit.with_columns((pl.col("_sxy") / pl.col("_sxx")).alias("pente_mensuelle")).with_columns(
        (pl.col("_y_moy") - pl.col("pente_mensuelle") * pl.col("_t_moy")).alias("ordonnee")
    )
    residuals = (
        data.join(fit.select(*SERIES, "pente_mensuelle", "ordonnee"), on=SERIES)
        .group_by(SERIES)
        .agg(
            ((pl.col("y") - pl.col("ordonnee") - pl.col("pente_mensuelle") * pl.col("t")) ** 2)
            .sum()
            .alias("_sse")
        )
    )
    student = (
        pl.col("n").sub(2).clip(1, 10).replace_strict(_STUDENT_95, default=1.812, return_dtype=pl.Float64)
    )
    return (
        fit.join(residuals, on=SERIES)
        .with_columns(
            ((pl.col("_sse") / (pl.col("n") - 2)) / pl.col("_sxx")).sqrt().alias("erreur_type_pente"),
            (pl.col("ordonnee") + pl.col("pente_mensuelle") * pl.col("t_dernier")).alias(
                "tendance_dernier_mois"
            ),
            student.alias("_q"),
        )
        .with_columns(
            (pl.col("pente_mensuelle") - pl.col("_q") * pl.col("erreur_type_pente")).alias("pente_basse"),
            (pl.col("pente_mensuelle") + pl.col("_q") * pl.col("erreur_type_pente")).alias("pente_haute"),
        )
        .select(
            *SERIES,
            "n",
            "t_dernier",
            "saisonnalite",
            "pente_mensuelle",
            "ordonnee",
            "erreur_type_pente",
            "pente_basse",
            "pente_haute",
            "tendance_dernier_mois",
        )
    )


def _reach(slope: str) -> pl.Expr:
    """Mois (indice) où la tendance annualisée atteint la cible, pour une pente donnée ; null si elle ne monte pas."""
    needed = pl.col("cible") / 12 - pl.col("tendance_dernier_mois")
    usable = (
        pl.col(slope).is_not_null()
        & pl.col(slope).is_not_nan()
        & (pl.col(slope) > 0)
        & (pl.col("n") >= MIN_FIT_MONTHS)
    )
    months = pl.when(usable).then(needed / pl.col(slope)).ceil().cast(pl.Int64, strict=False)
    return pl.when(usable & (months <= MAX_REACH_MONTHS)).then(
        pl.col("t_dernier") + months.clip(lower_bound=1)
    )


def trajectories(series: pl.LazyFrame, targets: pl.LazyFrame) -> pl.LazyFrame:
    """Pour chaque cible : dernier rythme annuel, statut (« atteinte », « projetee », « hors_tendance », ou
    « historique_insuffisant » avec moins de 6 mois), premier mois
    où le rythme observé a atteint la cible, mois projeté d'atteinte avec intervalle à 90 %, valeur à l'échéance
    (observée si l'échéance est passée, sinon tendance annualisée)."""
    series = series.collect().lazy()
    factors = seasonal_factors(series).collect().lazy()
    fit = fit_trend(series, factors).collect().lazy()
    latest = (
        series.sort("mois")
        .group_by(SERIES)
        .agg(
            pl.col("mois").last().alias("mois_dernier"),
            pl.col("flux_annualise").last().alias("flux_annualise_dernier"),
            pl.col("donnees_demo").any(),
        )
    )
    first_reach = (
        series.join(targets.select(*SERIES, "cible"), on=SERIES)
        .filter(pl.col("flux_annualise") >= pl.col("cible"))
        .group_by(SERIES)
        .agg(pl.col("mois").min().alias("mois_premiere_atteinte"))
    )
    at_deadline = series.select(
        *SERIES, pl.col("mois").alias("_mois_echeance"), pl.col("flux_annualise").alias("_observe_echeance")
    )
    out = (
        targets.join(latest, on=SERIES, how="inner")
        .join(fit, on=SERIES, how="left")
        .join(first_reach, on=SERIES, how="left")
        .with_columns(pl.col("echeance_cible").dt.truncate("1mo").alias("_mois_echeance"))
        .join(at_deadline, on=[*SERIES, "_mois_echeance"], how="left")
    )
    reached = pl.col("flux_annualise_dernier") >= pl.col("cible")
    t_deadline = month_index("_mois_echeance")
    trend_at_deadline = 12 * (pl.col("ordonnee") + pl.col("pente_mensuelle") * t_deadline)
    return out.with_columns(
        pl.when(reached)
        .then(pl.lit("atteinte"))
        .when(pl.col("n").fill_null(0) < MIN_FIT_MONTHS)
        .then(pl.lit("historique_insuffisant"))
        .when((pl.col("pente_mensuelle") > 0) & _reach("pente_mensuelle").is_not_null())
        .then(pl.lit("projetee"))
        .otherwise(pl.lit("hors_tendance"))
        .alias("statut"),
        (pl.col("flux_annualise_dernier") / pl.col("cible")).alias("taux_atteinte_cible"),
        pl.when(~reached).then(month_from_index(_reach("pente_mensuelle"))).alias("mois_atteinte_projete"),
        pl.when(~reached).then(month_from_index(_reach("pente_haute"))).alias("mois_atteinte_tot"),
        pl.when(~reached).then(month_from_index(_reach("pente_basse"))).alias("mois_atteinte_tard"),
        pl.when(pl.col("_mois_echeance") <= pl.col("mois_dernier"))
        .then(pl.col("_observe_echeance").cast(pl.Float64))
        .when(pl.col("n") >= MIN_FIT_MONTHS)
        .then(trend_at_deadline)
        .alias("valeur_echeance"),
        (pl.col("_mois_echeance") <= pl.col("mois_dernier")).alias("echeance_passee"),
        (12 * pl.col("pente_mensuelle")).alias("pente_annualisee_par_mois"),
    ).select(
        *SERIES,
        "cible",
        "echeance_cible",
        "mois_dernier",
        "flux_annualise_dernier",
        "taux_atteinte_cible",
        "statut",
        "mois_premiere_atteinte",
        "mois_atteinte_projete",
        "mois_atteinte_tot",
        "mois_atteinte_tard",
        "valeur_echeance",
        "echeance_passee",
        "pente_annualisee_par_mois",
        "erreur_type_pente",
        "n",
        "saisonnalite",
        "donnees_demo",
    )


def projection_path(series: pl.LazyFrame, horizon: int = HORIZON_MONTHS) -> pl.LazyFrame:
    """Rythme annuel projeté mois par mois après le dernier mois : 12 × tendance, avec la bande des pentes à 90 %."""
    series = series.collect().lazy()
    fit = fit_trend(series, seasonal_factors(series).collect().lazy()).collect().lazy()
    fit = fit.filter(pl.col("n") >= MIN_FIT_MONTHS)
    steps = pl.LazyFrame({"h": list(range(1, horizon + 1))}, schema={"h": pl.Int64})
    base = pl.col("tendance_dernier_mois")
    return (
        fit.join(steps, how="cross")
        .with_columns((pl.col("t_dernier") + pl.col("h")).alias("_t"))
        .select(
            *SERIES,
            month_from_index(pl.col("_t")).alias("mois"),
            (12 * (base + pl.col("pente_mensuelle") * pl.col("h"))).alias("flux_annualise_projete"),
            (12 * (base + pl.col("pente_basse") * pl.col("h")))
            .clip(lower_bound=0)
            .alias("flux_annualise_bas"),
            (12 * (base + pl.col("pente_haute") * pl.col("h"))).alias("flux_annualise_haut"),
        )
        .sort([*SERIES, "mois"])
    )
