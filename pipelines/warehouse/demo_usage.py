"""Usages de démonstration par département : des totaux nationaux qui passent par les points publiés
(`data/reference/usage_publie.csv`), répartis entre départements selon leur population et un tirage déterministe.

Tout ce qui sort d'ici est importé avec le drapeau `donnees_demo`. Entre deux points publiés, la trajectoire est
interpolée ; avant le premier et après le dernier, elle suit des repères supposés (écrits ci-dessous), jamais
présentés comme publiés.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.settings import REFERENCE_DIR
from pipelines.warehouse.demo import _interpolate, _largest_remainder, _months, _unit

FIRST_MONTH = dt.date(2022, 1, 1)  # ouverture générale de Mon espace santé
LAST_MONTH = dt.date(2025, 10, 1)
# Repères supposés (démonstration) aux bornes de la période, en plus des points publiés.
ASSUMED: dict[str, dict[dt.date, float]] = {
    "profils_ouverts": {FIRST_MONTH: 52_000_000, dt.date(2022, 7, 1): 65_000_000, LAST_MONTH: 69_200_000},
    "profils_actives": {FIRST_MONTH: 350_000, dt.date(2022, 12, 1): 6_000_000},
    "utilisateurs_actifs": {FIRST_MONTH: 150_000, dt.date(2024, 1, 1): 1_600_000, LAST_MONTH: 2_900_000},
    "telechargements_application": {FIRST_MONTH: 60_000, LAST_MONTH: 6_900_000},
    "documents_ajoutes_patients": {FIRST_MONTH: 100_000, LAST_MONTH: 31_000_000},
    "professionnels_ayant_consulte": {FIRST_MONTH: 14_000, LAST_MONTH: 96_000},
    "dmp_consultes": {FIRST_MONTH: 180_000, LAST_MONTH: 1_700_000},
    "documents_consultes": {FIRST_MONTH: 380_000, LAST_MONTH: 4_600_000},
    "bal_mssante": {FIRST_MONTH: 560_000, dt.date(2024, 1, 1): 708_000, LAST_MONTH: 820_000},
    "messages_mssante": {FIRST_MONTH: 9_000_000, dt.date(2024, 1, 1): 19_000_000, LAST_MONTH: 30_000_000},
}
# Connexions mensuelles par utilisateur actif, et part de l'application (supposées) : web et application en découlent.
CONNEXIONS_PAR_UTILISATEUR = 2.4
PART_APPLICATION = {FIRST_MONTH: 0.25, LAST_MONTH: 0.62}
# La grève des envois de la biologie médicale (novembre 2024) pèse aussi sur les messages MSSanté des laboratoires.
STRIKE_MONTH, STRIKE_FACTOR = dt.date(2024, 11, 1), 0.88
# Indicateurs dont la répartition suit l'activation de chaque département (les autres suivent la population seule).
FOLLOWS_ACTIVATION = {
    "profils_actives",
    "utilisateurs_actifs",
    "telechargements_application",
    "documents_ajoutes_patients",
    "connexions_web",
    "connexions_application",
}


def published_points() -> dict[str, dict[dt.date, float]]:
    """Points nationaux publiés, par indicateur et par mois."""
    frame = pl.read_csv(REFERENCE_DIR / "usage_publie.csv", infer_schema=False)
    points: dict[str, dict[dt.date, float]] = {}
    for row in frame.iter_rows(named=True):
        month = dt.date.fromisoformat(f"{row['mois']}-01")
        points.setdefault(row["indicateur"], {})[month] = float(row["valeur"])
    return points


def national_usage() -> dict[str, dict[dt.date, int]]:
    """Total national mensuel de chaque indicateur : égal aux points publiés, interpolé entre eux."""
    published = published_points()
    series: dict[str, dict[dt.date, int]] = {}
    for indicator, assumed in ASSUMED.items():
        anchors = {**assumed, **published.get(indicator, {})}
        values = {}
        for month in _months(FIRST_MONTH, LAST_MONTH):
            value = _interpolate(month, anchors, log=False)
            if indicator == "messages_mssante" and month == STRIKE_MONTH:
                value *= STRIKE_FACTOR
            values[month] = round(value)
        series[indicator] = values
    users = series["utilisateurs_actifs"]
    for name, share in (("connexions_application", True), ("connexions_web", False)):
        series[name] = {
            month: round(
                users[month]
                * CONNEXIONS_PAR_UTILISATEUR
                * (
                    _interpolate(month, PART_APPLICATION, log=False)
                    if share
                    else 1 - _interpolate(month, PART_APPLICATION, log=False)
                )
            )
            for month in users
        }
    return series


def _departement_population() -> dict[str, float]:
    frame = pl.read_csv(REFERENCE_DIR / "population_departements.csv", infer_schema=False)
    return {r["code"]: float(r["population"]) for r in frame.iter_rows(named=True)}


def demo_usage() -> pl.DataFrame:
    """Usages mensuels de démonstration par département (forme longue : mois, indicateur, departement, valeur)."""
    population = _departement_population()
    # Activation propre à chaque département : de 0,7 à 1,3 fois la moyenne, rapprochée de 1 avec le temps.
    spread = {dep: 0.7 + 0.6 * _unit("activation", dep) for dep in population}
    rows: list[tuple[str, str, str, int]] = []
    national = national_usage()
    months = _months(FIRST_MONTH, LAST_MONTH)
    for indicator, values in national.items():
        for step, month in enumerate(months):
            catch_up = step / max(1, len(months) - 1) * 0.4
            weights = {
                dep: pop
                * (1 + (spread[dep] - 1) * (1 - catch_up) if indicator in FOLLOWS_ACTIVATION else 1.0)
                * (0.9 + 0.2 * _unit("usage", dep, indicator))
                for dep, pop in population.items()
            }
            for dep, value in _largest_remainder(values[month], weights).items():
                rows.append((f"{month:%Y-%m}", indicator, dep, value))
    return pl.DataFrame(rows, schema=["mois", "indicateur", "departement", "valeur"], orient="row")
