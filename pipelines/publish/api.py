"""API JSON statique du paquet de transparence : `api/v1/index.json`, `france.json`, `regions/<code>.json` (18) et
`departements/<code>.json` (101), chacun avec ses chiffres clés, sa série mensuelle, ses couloirs et ses usages.

Tout vient des tables publiques du paquet (`export.public_tables`, mêmes règles de diffusion que les CSV : séries
internes retirées, petits comptes masqués) : un chiffre de l'API est celui du CSV, ou absent avec lui. Les fichiers
suivent les schémas JSON écrits dans `api/v1/schema/`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.publish.freshness import Edition, Freshness
from pipelines.publish.theme import COULOIR_LABELS
from pipelines.publish.usage_charts import label as usage_label
from pipelines.sources.usage import nomenclature
from pipelines.warehouse.reference import load_reference

VERSION = "v1"
FOLDERS = {"region": "regions", "departement": "departements"}
FLUX_FIGURES = (
    "documents",
    "flux_annualise",
    "cumul_12_mois",
    "population",
    "documents_par_habitant_an",
    "evolution_1_mois",
    "evolution_12_mois",
    "cible",
    "taux_atteinte_cible",
)
SERIES_FIELDS = ("documents", "flux_annualise", "documents_par_habitant_an")
COULOIR_FIELDS = ("documents", "flux_annualise", "part_couloir")


def territories() -> list[tuple[str, str, str, str | None]]:
    """(niveau, code, libellé, code de la région) : la France, les 18 régions, les 101 départements."""
    reference = load_reference()
    return [
        ("pays", "FR", "France", None),
        *(("region", code, name, code) for code, name in sorted(reference.regions.items())),
        *(
            ("departement", code, name, region)
            for code, (name, region) in sorted(reference.departements.items())
        ),
    ]


def path_of(niveau: str, code: str) -> str:
    """Chemin d'un territoire sous `api/v1/`."""
    return "france.json" if niveau == "pays" else f"{FOLDERS[niveau]}/{code}.json"


def _clean(value: Any) -> Any:
    """Valeur JSON : dates en ISO, NaN en null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _month(value: dt.date) -> str:
    return f"{value:%Y-%m}"


def _masked(row: dict[str, Any]) -> bool:
    return bool(row.get("masque_secret_statistique"))


def territory_document(
    niveau: str,
    code: str,
    libelle: str,
    code_region: str | None,
    flux: pl.DataFrame,
    usage: pl.DataFrame,
    mois: dt.date,
    freshness: Freshness,
    demo: bool,
) -> dict[str, Any]:
    """Le document JSON d'un territoire, lu dans les tables publiques (flux : `indicateurs_flux`, usages :
    `indicateurs_usage`) déjà filtrées sur ce territoire."""
    total = flux.filter(pl.col("couloir") == "TOUS").sort("mois")
    current = total.filter(pl.col("mois") == mois)
    row = current.row(0, named=True) if current.height else {}
    key_figures = {name: _clean(row.get(name)) for name in FLUX_FIGURES}
    key_figures["masque_secret_statistique"] = _masked(row)
    couloirs = flux.filter((pl.col("couloir") != "TOUS") & (pl.col("mois") == mois)).sort("couloir")
    usage_months = usage["mois"].unique().sort().to_list() if usage.height else []
    usage_month = max((m for m in usage_months if m <= mois), default=None)
    latest_usage = (
        usage.filter(pl.col("mois") == usage_month).sort("indicateur") if usage_month else usage.head(0)
    )
    units = dict(zip(nomenclature()["code"], nomenclature()["unite"], strict=True))
    from pipelines.indicators.usage import DERIVED

    units.update({code: unit for code, (_, unit) in DERIVED.items()})
    return {
        "version": VERSION,
        "territoire": {"niveau": niveau, "code": code, "libelle": libelle, "code_region": code_region},
        "mois": _month(mois),
        "donnees_arretees_au": freshness.arretees_au.isoformat(),
        "prochaine_mise_a_jour": freshness.prochaine_mise_a_jour.isoformat()
        if freshness.prochaine_mise_a_jour
        else None,
        "demonstration": demo,
        "chiffres_cles": key_figures,
        "serie_mensuelle": [
            {
                "mois": _month(r["mois"]),
                **{f: _clean(r.get(f)) for f in SERIES_FIELDS},
                "masque_secret_statistique": _masked(r),
            }
            for r in total.iter_rows(named=True)
        ],
        "couloirs": [
            {
                "couloir": r["couloir"],
                "libelle": COULOIR_LABELS.get(r["couloir"], r["couloir"]),
                **{f: _clean(r.get(f)) for f in COULOIR_FIELDS},
                "masque_secret_statistique": _masked(r),
            }
            for r in couloirs.iter_rows(named=True)
        ],
        "usage": {
            "mois": _month(usage_month) if usage_month else None,
            "indicateurs": [
                {
                    "indicateur": r["indicateur"],
                    "libelle": usage_label(r["indicateur"]),
                    "unite": units.get(r["indicateur"]),
                    "valeur": _clean(r["valeur"]),
                    "masque_secret_statistique": _masked(r),
                }
                for r in latest_usage.iter_rows(named=True)
            ],
            "series": {
                indicator: [
                    {"mois": _month(r["mois"]), "valeur": _clean(r["valeur"])}
                    for r in part.sort("mois").iter_rows(named=True)
                ]
                for (indicator,), part in sorted(usage.group_by("indicateur"), key=lambda g: str(g[0][0]))
            },
        },
    }


def write_api(
    folder: Path, tables: dict[str, pl.DataFrame], edition: Edition
) -> dict[tuple[str, str], dict[str, Any]]:
    """Écrit `api/v1/` (index, France, régions, départements, schémas). Rend les documents par (niveau, code)."""
    mois, freshness, demo, licence = edition.mois, edition.fraicheur, edition.demo, edition.licence
    root = folder / "api" / VERSION
    for sub in ("regions", "departements", "schema"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    flux = tables["indicateurs_flux"].partition_by("niveau", "code_geo", as_dict=True)
    usage = tables["indicateurs_usage"].partition_by("niveau", "code_geo", as_dict=True)
    empty_flux, empty_usage = tables["indicateurs_flux"].head(0), tables["indicateurs_usage"].head(0)
    documents: dict[tuple[str, str], dict[str, Any]] = {}
    for niveau, code, libelle, region in territories():
        document = territory_document(
            niveau,
            code,
            libelle,
            region,
            flux.get((niveau, code), empty_flux),
            usage.get((niveau, code), empty_usage),
            mois,
            freshness,
            demo,
        )
        _write(root / path_of(niveau, code), document)
        documents[(niveau, code)] = document
    index = {
        "version": VERSION,
        "titre": "Ségur numérique — Mon espace santé : chiffres par territoire",
        "mois": _month(mois),
        "donnees_arretees_au": freshness.arretees_au.isoformat(),
        "prochaine_mise_a_jour": freshness.prochaine_mise_a_jour.isoformat()
        if freshness.prochaine_mise_a_jour
        else None,
        "fraicheur": freshness.text,
        "demonstration": demo,
        "licence": licence,
        "schemas": {"index": "schema/index.schema.json", "territoire": "schema/territoire.schema.json"},
        "territoires": [
            {"niveau": n, "code": c, "libelle": lib, "chemin": path_of(n, c)}
            for n, c, lib, _ in territories()
        ],
    }
    _write(root / "index.json", index)
    _write(root / "schema" / "index.schema.json", INDEX_SCHEMA)
    _write(root / "schema" / "territoire.schema.json", TERRITORY_SCHEMA)
    return documents


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False), encoding="utf-8")


# --- Schémas JSON (draft 2020-12) --------------------------------------------------------------------------------

_NUMBER = {"type": ["number", "null"]}
_INTEGER = {"type": ["integer", "null"]}
_MONTH = {"type": "string", "pattern": r"^\d{4}-\d{2}$"}
_DATE = {"type": "string", "format": "date"}
_MASK = {"type": "boolean", "description": "Vrai si le compte (1 à 10) est masqué par le secret statistique"}

TERRITORY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "territoire.schema.json",
    "title": "Chiffres d'un territoire : alimentation et usages de Mon espace santé",
    "description": "Mêmes chiffres que les CSV du paquet (indicateurs_flux, indicateurs_usage), mêmes règles de "
    "diffusion : une valeur masquée est null avec masque_secret_statistique vrai.",
    "type": "object",
    "required": [
        "version",
        "territoire",
        "mois",
        "donnees_arretees_au",
        "demonstration",
        "chiffres_cles",
        "serie_mensuelle",
        "couloirs",
        "usage",
    ],
    "properties": {
        "version": {"const": VERSION},
        "territoire": {
            "type": "object",
            "required": ["niveau", "code", "libelle"],
            "properties": {
                "niveau": {"enum": ["pays", "region", "departement"]},
                "code": {"type": "string", "description": "FR, code INSEE de région ou de département"},
                "libelle": {"type": "string"},
                "code_region": {"type": ["string", "null"]},
            },
        },
        "mois": {**_MONTH, "description": "Dernier mois publié"},
        "donnees_arretees_au": {**_DATE, "description": "Date d'arrêt des données"},
        "prochaine_mise_a_jour": {"type": ["string", "null"], "format": "date"},
        "demonstration": {
            "type": "boolean",
            "description": "Vrai : données de démonstration, non officielles",
        },
        "chiffres_cles": {
            "type": "object",
            "description": "Couloir TOUS, dernier mois publié",
            "properties": {
                "documents": {**_INTEGER, "description": "Documents envoyés à Mon espace santé dans le mois"},
                "flux_annualise": {**_NUMBER, "description": "Rythme annuel : documents du mois × 12"},
                "cumul_12_mois": {**_NUMBER, "description": "Somme des 12 derniers mois"},
                "population": {**_NUMBER, "description": "Population INSEE retenue"},
                "documents_par_habitant_an": {**_NUMBER, "description": "Rythme annuel ÷ population"},
                "evolution_1_mois": _NUMBER,
                "evolution_12_mois": _NUMBER,
                "cible": {
                    **_NUMBER,
                    "description": "Cible de rythme annuel (France : 250 M documents par an)",
                },
                "taux_atteinte_cible": {**_NUMBER, "description": "Rythme annuel ÷ cible"},
                "masque_secret_statistique": _MASK,
            },
        },
        "serie_mensuelle": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["mois", "documents"],
                "properties": {
                    "mois": _MONTH,
                    "documents": _INTEGER,
                    "flux_annualise": _NUMBER,
                    "documents_par_habitant_an": _NUMBER,
                    "masque_secret_statistique": _MASK,
                },
            },
        },
        "couloirs": {
            "type": "array",
            "description": "Couloirs publiés, dernier mois",
            "items": {
                "type": "object",
                "required": ["couloir", "documents"],
                "properties": {
                    "couloir": {"type": "string"},
                    "libelle": {"type": "string"},
                    "documents": _INTEGER,
                    "flux_annualise": _NUMBER,
                    "part_couloir": _NUMBER,
                    "masque_secret_statistique": _MASK,
                },
            },
        },
        "usage": {
            "type": "object",
            "required": ["mois", "indicateurs", "series"],
            "properties": {
                "mois": {
                    "type": ["string", "null"],
                    "description": "Dernier mois d'usage au plus tard le mois publié",
                },
                "indicateurs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["indicateur", "valeur"],
                        "properties": {
                            "indicateur": {
                                "type": "string",
                                "description": "Code (data/reference/indicateurs_usage.csv)",
                            },
                            "libelle": {"type": "string"},
                            "unite": {"type": ["string", "null"]},
                            "valeur": _NUMBER,
                            "masque_secret_statistique": _MASK,
                        },
                    },
                },
                "series": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["mois", "valeur"],
                            "properties": {"mois": _MONTH, "valeur": _NUMBER},
                        },
                    },
                },
            },
        },
    },
}

INDEX_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "index.schema.json",
    "title": "Index de l'API statique : la liste des territoires et la fraîcheur des données",
    "type": "object",
    "required": ["version", "mois", "donnees_arretees_au", "demonstration", "licence", "territoires"],
    "properties": {
        "version": {"const": VERSION},
        "titre": {"type": "string"},
        "mois": _MONTH,
        "donnees_arretees_au": _DATE,
        "prochaine_mise_a_jour": {"type": ["string", "null"], "format": "date"},
        "fraicheur": {"type": "string"},
        "demonstration": {"type": "boolean"},
        "licence": {"type": "string"},
        "schemas": {"type": "object"},
        "territoires": {
            "type": "array",
            "minItems": 120,
            "items": {
                "type": "object",
                "required": ["niveau", "code", "libelle", "chemin"],
                "properties": {
                    "niveau": {"enum": ["pays", "region", "departement"]},
                    "code": {"type": "string"},
                    "libelle": {"type": "string"},
                    "chemin": {"type": "string", "description": "Chemin relatif à api/v1/"},
                },
            },
        },
    },
}
