"""Où en est la cible : le statut de la trajectoire (chiffres clés) dit en français, une seule fois pour la ligne de
commande, la vue d'ensemble et le dossier COSUI."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pipelines import formats


@dataclass(frozen=True)
class TargetStatus:
    label: str  # intitulé de l'indicateur (« Trajectoire vers la cible »)
    value: str  # le statut en quelques mots (« Atteinte », « novembre 2025 »…)
    detail: str  # la phrase qui l'explique


def _month(iso_month: str | None) -> str:
    """« 2025-11 » → « novembre 2025 » ; « — » sans mois."""
    return formats.month(dt.date.fromisoformat(f"{iso_month}-01")) if iso_month else formats.MISSING


def target_status(figures: dict[str, Any]) -> TargetStatus:
    """Le statut de la cible d'après les chiffres clés (`kpi.key_figures`) : atteinte, atteinte projetée (avec son
    intervalle à 90 %), hors tendance, historique insuffisant, ou pas de trajectoire pour ce mois et ce périmètre."""
    status = figures.get("statut_cible")
    target = figures.get("cible_annuelle")
    cible = f"la cible de {formats.millions(target, 0)}" if target else "la cible"
    if status == "atteinte":
        since = figures.get("mois_premiere_atteinte_cible")
        detail = f"Le rythme annuel dépasse {cible}" + (f" depuis {_month(since)}." if since else ".")
        return TargetStatus("Trajectoire vers la cible", "Atteinte", detail)
    if status == "projetee":
        low, high = figures.get("projection_intervalle") or [None, None]
        interval = f"{_month(low)} à {_month(high) if high else 'au-delà'}"
        detail = f"Mois où la tendance des 12 derniers mois atteint {cible} ; intervalle à 90 % : {interval}."
        return TargetStatus(
            "Cible : atteinte projetée", _month(figures.get("projection_atteinte_cible")), detail
        )
    if status == "hors_tendance":
        detail = f"Le rythme ne progresse pas : {cible} n'est pas atteinte à la tendance actuelle."
        return TargetStatus("Trajectoire vers la cible", "Hors tendance", detail)
    if status == "historique_insuffisant":
        detail = "Moins de 6 mois de données : pas de projection vers la cible."
        return TargetStatus("Trajectoire vers la cible", "Historique insuffisant", detail)
    detail = (
        "Pas de trajectoire ici : elle se calcule au dernier mois connu, pour un périmètre doté d'une cible."
    )
    return TargetStatus("Trajectoire vers la cible", formats.MISSING, detail)
