"""Formats français des nombres, pourcentages et mois : une seule définition pour la ligne de commande, l'application
et les exports. Espace fine insécable pour les milliers, virgule décimale.
"""

from __future__ import annotations

import datetime as dt
import math

THIN_NBSP = "\u202f"
MOIS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
MOIS_COURTS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
MISSING = "—"


def _absent(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def integer(value: float | None) -> str:
    """18 800 000"""
    if _absent(value):
        return MISSING
    assert value is not None
    return f"{round(value):,}".replace(",", THIN_NBSP)


def decimal(value: float | None, digits: int = 1) -> str:
    """3,3"""
    if _absent(value):
        return MISSING
    assert value is not None
    text = f"{value:,.{digits}f}"
    return text.replace(",", THIN_NBSP).replace(".", ",")


def millions(value: float | None, digits: int = 1) -> str:
    """225,6 M"""
    if _absent(value):
        return MISSING
    assert value is not None
    return f"{decimal(value / 1e6, digits)} M"


def percent(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """90,2 % (part exprimée entre 0 et 1)"""
    if _absent(value):
        return MISSING
    assert value is not None
    text = decimal(value * 100, digits)
    if signed and value > 0:
        text = "+" + text
    return f"{text}{THIN_NBSP}%"


def euros(value: float | None) -> str:
    if _absent(value):
        return MISSING
    assert value is not None
    if abs(value) >= 1e6:
        return f"{decimal(value / 1e6, 1)} M€"
    return f"{integer(value)} €"


def month(value: dt.date | None) -> str:
    """décembre 2023"""
    if value is None:
        return MISSING
    return f"{MOIS[value.month - 1]} {value.year}"


def short_month(value: dt.date | None) -> str:
    """déc. 2023"""
    if value is None:
        return MISSING
    return f"{MOIS_COURTS[value.month - 1]} {value.year}"


def date(value: dt.date | None) -> str:
    """17 janvier 2024"""
    if value is None:
        return MISSING
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MOIS[value.month - 1]} {value.year}"
