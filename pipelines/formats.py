"""Formats français des nombres, pourcentages et mois : une seule définition pour la ligne de commande, l'application
et les exports. Espace fine insécable pour les milliers, virgule décimale.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl

THIN_NBSP = "\u202f"
MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
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


def change(value: float | None, period: str) -> str | None:
    """« +3,2 % sur 1 mois » (l'évolution d'un indicateur, pour `st.metric(delta=…)`) ; `None` sans valeur."""
    return None if _absent(value) else f"{percent(value, signed=True)} {period}"


def euros(value: float | None) -> str:
    if _absent(value):
        return MISSING
    assert value is not None
    if abs(value) >= 1e6:
        return f"{decimal(value / 1e6, 1)} M€"
    return f"{integer(value)} €"


def _month_in(value: dt.date | None, names: tuple[str, ...]) -> str:
    return MISSING if value is None else f"{names[value.month - 1]} {value.year}"


def month(value: dt.date | None) -> str:
    """décembre 2023"""
    return _month_in(value, MOIS)


def of_month(value: dt.date | None) -> str:
    """« de décembre 2023 », « d'octobre 2025 » : la préposition élidée devant avril, août et octobre."""
    if value is None:
        return f"de {MISSING}"
    label = month(value)
    return f"d'{label}" if label[0] in "aeiou" else f"de {label}"


def short_month(value: dt.date | None) -> str:
    """déc. 2023"""
    return _month_in(value, MOIS_COURTS)


def date(value: dt.date | None) -> str:
    """17 janvier 2024"""
    if value is None:
        return MISSING
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MOIS[value.month - 1]} {value.year}"


# --- Les mêmes formats en expressions Polars (colonnes de tableaux affichés) -----------------------------------


def month_column(column: str, short: bool = True) -> pl.Expr:
    """Colonne de dates → « déc. 2023 » (ou « décembre 2023 »), vectorisé."""
    names = MOIS_COURTS if short else MOIS
    label = pl.col(column).dt.month().replace_strict(dict(enumerate(names, start=1)), return_dtype=pl.String)
    return pl.concat_str([label, pl.col(column).dt.year().cast(pl.String)], separator=" ")


def date_column(column: str) -> pl.Expr:
    """Colonne de dates → « 17 janvier 2024 » (« 1er » pour le premier du mois), vectorisé."""
    day = pl.col(column).dt.day()
    day_text = pl.when(day == 1).then(pl.lit("1er")).otherwise(day.cast(pl.String))
    label = pl.col(column).dt.month().replace_strict(dict(enumerate(MOIS, start=1)), return_dtype=pl.String)
    return pl.concat_str([day_text, label, pl.col(column).dt.year().cast(pl.String)], separator=" ")


# --- Complétude d'un mois ---------------------------------------------------------------------------------------

_CHILD_NOUNS = {
    "region": ("région", "régions"),
    "departement": ("département", "départements"),
    "etablissement": ("établissement", "établissements"),
}


def coverage(couverture: dict[str, Any]) -> str:
    """« 1 région sur 18, 4 couloirs sur 7 » (ou « mois en cours ») : ce qu'un mois provisoire contient déjà."""
    parts: list[str] = []
    if couverture.get("mois_en_cours") or couverture.get("en_cours"):
        parts.append("mois en cours")
    nouns = _CHILD_NOUNS.get(str(couverture.get("niveau_enfants")))
    expected_children = couverture.get("enfants_attendus")
    if nouns and isinstance(expected_children, int) and expected_children:
        delivered = int(couverture.get("enfants_livres") or 0)
        parts.append(f"{delivered} {nouns[0] if delivered <= 1 else nouns[1]} sur {expected_children}")
    expected_couloirs = couverture.get("couloirs_attendus")
    if isinstance(expected_couloirs, int) and expected_couloirs:
        delivered = int(couverture.get("couloirs_livres") or 0)
        parts.append(f"{delivered} couloir{'s' if delivered > 1 else ''} sur {expected_couloirs}")
    expected, delivered_contributions = couverture.get("attendues"), couverture.get("livrees")
    if isinstance(expected, int) and isinstance(delivered_contributions, int) and expected:
        parts.append(f"{delivered_contributions} contribution(s) complète(s) sur {expected}")
    return ", ".join(parts) or "couverture inconnue"
