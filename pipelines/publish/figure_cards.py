"""Les chiffres clés d'un mois tels qu'ils s'affichent — libellé et valeur écrite à la française —, définis une fois
pour la Vue d'ensemble, la commande `kpi`, la page HTML du paquet de transparence et le dossier COSUI.

`figures` est le dictionnaire de `indicators.kpi.key_figures` (mois de référence en « AAAA-MM »)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from pipelines import formats


def _month(iso_month: str | None) -> dt.date | None:
    """« 2024-05 » → 1er mai 2024."""
    return dt.date.fromisoformat(f"{iso_month}-01") if iso_month else None


def since_cosui(month: dt.date | None) -> str:
    """« depuis le COSUI de mai 2024 » : le mois du COSUI qui sert de base à l'évolution."""
    return f"depuis le COSUI {formats.of_month(month)}" if month else "depuis le COSUI précédent"


def _target_label(k: dict[str, Any]) -> str:
    target = k.get("cible_annuelle")
    return f"Part de la cible de {formats.millions(target, 0)}" if target else "Part de la cible"


_CARDS: dict[str, tuple[Callable[[dict[str, Any]], str], Callable[[dict[str, Any]], str]]] = {
    "documents_mois": (
        lambda k: "Documents envoyés dans le mois",
        lambda k: formats.integer(k["documents_mois"]),
    ),
    "flux_annualise": (
        lambda k: "Rythme annuel (mois × 12)",
        lambda k: formats.millions(k["flux_annualise"]),
    ),
    "cumul_12_mois": (
        lambda k: "Cumul des 12 derniers mois",
        lambda k: formats.millions(k["cumul_12_mois"]),
    ),
    "cible_annuelle": (
        lambda k: "Cible annuelle",
        lambda k: formats.millions(k["cible_annuelle"], 0),
    ),
    "taux_atteinte_cible": (_target_label, lambda k: formats.percent(k["taux_atteinte_cible"])),
    "documents_par_habitant_an": (
        lambda k: "Documents par habitant et par an",
        lambda k: formats.decimal(k["documents_par_habitant_an"], 2),
    ),
    "evolution_1_mois": (
        lambda k: "Évolution sur 1 mois",
        lambda k: formats.percent(k["evolution_1_mois"], signed=True),
    ),
    "evolution_12_mois": (
        lambda k: "Évolution sur 12 mois",
        lambda k: formats.percent(k["evolution_12_mois"], signed=True),
    ),
    "evolution_depuis_cosui": (
        lambda k: f"Évolution {since_cosui(_month(k.get('mois_reference_cosui')))}",
        lambda k: formats.percent(k["evolution_depuis_cosui"], signed=True),
    ),
    "multiplicateur_depuis_base": (
        lambda k: f"Multiplicateur depuis {formats.month(_month(k.get('mois_base')))}",
        lambda k: f"× {formats.decimal(k['multiplicateur_depuis_base'], 1)}",
    ),
}


def card(figures: dict[str, Any], code: str) -> tuple[str, str]:
    """(libellé, valeur) du chiffre clé `code`."""
    label, value = _CARDS[code]
    return label(figures), value(figures)


def cards(figures: dict[str, Any], codes: Sequence[str]) -> list[tuple[str, str]]:
    """Les chiffres clés `codes`, dans cet ordre ; la part de la cible n'y est que si le périmètre a une cible (elle
    est nationale)."""
    return [
        card(figures, code)
        for code in codes
        if code != "taux_atteinte_cible" or figures.get("cible_annuelle") is not None
    ]
