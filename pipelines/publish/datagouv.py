"""Métadonnées du paquet pour data.gouv.fr (`datagouv.json`) : titre, description, licence, fréquence, couverture
spatiale et temporelle, ressources ; les champs portent les noms et les valeurs de l'API de data.gouv.fr."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl

from pipelines import formats
from pipelines.publish.dictionary import TABLE_DESCRIPTIONS
from pipelines.publish.freshness import Edition, Freshness


def metadata(
    tables: dict[str, pl.DataFrame], mois: dt.date, freshness: Freshness, demo: bool, licence: str
) -> dict[str, Any]:
    """Le jeu de données tel que data.gouv.fr le décrit (licence `lov2`, fréquence `monthly`)."""
    first = tables["indicateurs_flux"]["mois"].min()
    start = first if isinstance(first, dt.date) else mois
    description = (
        "Documents de santé envoyés chaque mois par les professionnels à Mon espace santé (DMP), par couloir et "
        "par territoire (France, régions, départements), face à la cible de 250 millions de documents par an ; "
        "usages de Mon espace santé (activation, connexions, consultation par les professionnels, MSSanté) ; "
        "programmes SONS et SUN-ES. Chiffres par habitant (INSEE), secret statistique appliqué aux départements. "
        f"{freshness.text}."
        + (
            " DONNÉES DE DÉMONSTRATION : ce paquet n'est pas officiel et ne doit pas être publié."
            if demo
            else ""
        )
    )
    resources = [
        {
            "title": f"{name}.csv",
            "description": TABLE_DESCRIPTIONS.get(name, name),
            "format": "csv",
            "filetype": "file",
            "url": f"csv/{name}.csv",
            "schema": {"url": "datapackage.json"},
        }
        for name in tables
    ]
    resources += [
        {
            "title": "API JSON par territoire",
            "description": "Index des 120 territoires et leurs chiffres",
            "format": "json",
            "filetype": "file",
            "url": "api/v1/index.json",
        },
        {
            "title": "Dictionnaire des données (Table Schema)",
            "description": "Schéma de chaque table",
            "format": "json",
            "filetype": "file",
            "url": "datapackage.json",
        },
    ]
    return {
        "title": "Ségur numérique — alimentation et usages de Mon espace santé",
        "acronym": "MES-SEGUR",
        "description": description,
        "license": "lov2",
        "license_title": licence,
        "frequency": "monthly",
        "frequency_date": freshness.prochaine_mise_a_jour.isoformat()
        if freshness.prochaine_mise_a_jour
        else None,
        "spatial": {"zones": ["country:fr"], "granularity": "fr:departement"},
        "temporal_coverage": {"start": start.isoformat(), "end": freshness.arretees_au.isoformat()},
        "tags": ["sante", "mon-espace-sante", "dmp", "segur-du-numerique", "e-sante", "mssante"],
        "extras": {
            "mois_publie": f"{mois:%Y-%m}",
            "couverture_temporelle": f"de {formats.month(start)} à {formats.month(mois)}",
            "demonstration": demo,
        },
        "resources": resources,
    }


def write_metadata(folder: Path, tables: dict[str, pl.DataFrame], edition: Edition) -> Path:
    path = folder / "datagouv.json"
    document = metadata(tables, edition.mois, edition.fraicheur, edition.demo, edition.licence)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
