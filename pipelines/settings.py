"""Réglages du produit : un seul objet typé, surchargeable par les variables d'environnement `MES_*`.

Lus avec la bibliothèque standard (dataclasses, typing) : la ligne de commande répond ainsi à une relivraison
identique sans importer pydantic (0,3 à 0,4 s de démarrage sur les 0,5 s permises,
docs/decisions/007-reglages-sans-pydantic.md), et une valeur illisible est refusée en français, variable et valeur
nommées.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
GEO_DIR = DATA_DIR / "geo"
SQL_DIR = Path(__file__).resolve().parent / "warehouse" / "sql"
PREFIX = "MES_"


class SettingsError(ValueError):
    """Un réglage `MES_*` illisible ou hors de ses bornes ; le message, en français, nomme la variable."""


def _setting(
    default: Any, description: str, *, at_least: float | None = None, above: float | None = None
) -> Any:
    return field(default=default, metadata={"description": description, "at_least": at_least, "above": above})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Réglages du produit, chemins relatifs au dépôt. `get_settings` les lit dans l'environnement (préfixe
    `MES_`) ; construits directement, ils ne prennent que leurs valeurs par défaut et celles données."""

    db: Path = _setting(DATA_DIR / "warehouse.duckdb", "Entrepôt DuckDB publié")
    # Date « du jour » : sert à refuser les mois futurs et aux comptes à rebours. Surchargeable pour les tests.
    aujourdhui: dt.date | None = _setting(None, "Date du jour (AAAA-MM-JJ), pour les tests")
    max_problemes: int = _setting(200, "Nombre maximal de problèmes rapportés par fichier", at_least=1)
    upload_max_mo: int = _setting(200, "Taille maximale d'un fichier déposé dans l'application", at_least=1)
    verrou_attente_s: float = _setting(60.0, "Attente maximale du verrou d'écriture", at_least=0)
    # Au-delà, DuckDB déborde sur disque (dossier `<entrepôt>.tmp`) au lieu de grossir : un import national tient
    # ainsi sur un poste de 4 Go. La validation Polars, par tranches, reste en dessous (docs/PERFORMANCE.md).
    # Un fichier plus gros que `tranche_seuil_mo` est lu et validé par tranches de `tranche_lignes` lignes : la
    # mémoire tient à la taille d'une tranche (docs/PERFORMANCE.md).
    tranche_seuil_mo: float = _setting(64.0, "Taille à partir de laquelle lire par tranches", at_least=0)
    tranche_lignes: int = _setting(1_000_000, "Lignes par tranche", at_least=1)
    memoire_max_mo: int = _setting(512, "Mémoire maximale de DuckDB à l'écriture (Mo)", at_least=128)
    # Un import de flux ne recalcule que les mois qu'il touche et les fenêtres qui en dépendent (m − 1, m − 12,
    # cumul sur 12 mois, attente de la complétude) ; faux : chaque import recalcule tout (docs/PERFORMANCE.md).
    recalcul_incremental: bool = _setting(True, "Ne recalculer que ce qu'un import de flux change")
    # La copie de travail de l'entrepôt commence pendant la validation du premier fichier, hors du verrou ; elle ne
    # sert que si l'entrepôt publié n'a pas changé entre-temps (pipelines/warehouse/connection.py, `EarlyCopy`).
    copie_anticipee: bool = _setting(True, "Copier l'entrepôt pendant la validation du fichier")
    # Trois publics, trois modes (docs/DEPLOIEMENT.md) : `local` pour un poste, `public` pour ce qui peut être
    # publié, `interne` derrière une connexion OpenID Connect avec des rôles.
    mode: Literal["local", "public", "interne"] = _setting("local", "Mode de l'application")
    roles: Path = _setting(REFERENCE_DIR / "roles.csv", "Identités (e-mail ou domaine) et leur rôle")
    # Fichier de secrets de Streamlit (section `[auth]` du mode interne) ; par défaut `.streamlit/secrets.toml`.
    secrets: Path | None = _setting(None, "Fichier de secrets de Streamlit")

    # Bornes d'un fichier reçu : chacune tient avant la mémoire, et son dépassement est un refus en français qui
    # nomme le réglage (docs/PERFORMANCE.md, « Fichiers hostiles »).
    fichier_max_mo: float = _setting(4096.0, "Taille maximale d'un fichier importé (Mo)", above=0)
    xlsx_decompresse_max_mo: float = _setting(
        512.0, "Taille décompressée maximale d'un classeur Excel (Mo)", above=0
    )
    xlsx_cellules_max: int = _setting(
        10_000_000, "Nombre maximal de cellules d'un classeur Excel", at_least=1
    )
    colonnes_max: int = _setting(1000, "Nombre maximal de colonnes d'un tableau", at_least=1)
    parquet_decompresse_max_mo: float = _setting(
        4096.0, "Taille décompressée maximale d'un fichier Parquet (Mo)", above=0
    )
    # Un compte ou un code tient en quelques dizaines de caractères ; un libellé d'établissement en une centaine.
    champ_max_car: int = _setting(256, "Longueur maximale d'une cellule (caractères)", at_least=16)

    def __post_init__(self) -> None:
        hints = _hints()
        for setting in dataclasses.fields(self):
            _check(setting, hints[setting.name], getattr(self, setting.name))

    def today(self) -> dt.date:
        return self.aujourdhui or dt.date.today()

    def db_path(self) -> Path:
        path = self.db if self.db.is_absolute() else REPO_ROOT / self.db
        # Un lien symbolique est résolu une fois : la publication remplace la cible, jamais le lien (sinon le lien
        # et sa cible divergeraient).
        return path.resolve()

    def roles_path(self) -> Path:
        return self.roles if self.roles.is_absolute() else REPO_ROOT / self.roles

    def secrets_path(self) -> Path:
        if self.secrets is None:
            return REPO_ROOT / ".streamlit" / "secrets.toml"
        return self.secrets if self.secrets.is_absolute() else REPO_ROOT / self.secrets


def get_settings(environment: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Les réglages de l'environnement (`MES_*`, casse indifférente), puis ceux donnés par l'appelant. Relit
    l'environnement à chaque appel : les tests et la ligne de commande peuvent changer `MES_DB`."""
    read = from_environment(os.environ if environment is None else environment)
    return Settings(**{**read, **overrides})


def from_environment(environment: Mapping[str, str]) -> dict[str, Any]:
    """Les réglages présents dans l'environnement, chacun converti dans son type ; `SettingsError` sinon."""
    hints = _hints()
    given = {k.upper(): v for k, v in environment.items() if k.upper().startswith(PREFIX)}
    return {
        name: _parse(name, hints[name], given[PREFIX + name.upper()])
        for name in hints
        if PREFIX + name.upper() in given
    }


def variable(name: str) -> str:
    return PREFIX + name.upper()


_TRUE = {"1", "true", "vrai", "oui", "yes", "on", "t", "y", "o"}
_FALSE = {"0", "false", "faux", "non", "no", "off", "f", "n"}


def _parse(name: str, hint: Any, text: str) -> Any:
    """La valeur d'une variable d'environnement dans le type du réglage ; `SettingsError` en français sinon."""
    value = text.strip()
    hint, optional = _without_none(hint)
    if optional and value == "":
        return None
    if typing.get_origin(hint) is Literal:
        if value in typing.get_args(hint):
            return value
        return _refuse(name, text, f"valeurs admises : {', '.join(typing.get_args(hint))}")
    if hint is bool:
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        return _refuse(name, text, "vrai ou faux attendu (true/false, oui/non, 1/0)")
    if hint is int:
        try:
            return int(value.replace("_", ""))
        except ValueError:
            return _refuse(name, text, "nombre entier attendu")
    if hint is float:
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            return _refuse(name, text, "nombre attendu")
        # `nan` passerait toutes les bornes (toute comparaison est fausse) et lèverait une limite sans le dire.
        return number if math.isfinite(number) else _refuse(name, text, "nombre fini attendu")
    if hint is dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return _refuse(name, text, "date AAAA-MM-JJ attendue")
    if hint is Path:
        if value == "":
            return _refuse(name, text, "chemin vide")
        return Path(value)
    raise TypeError(f"type de réglage non pris en charge : {hint!r}")  # erreur de programmation


def _check(setting: dataclasses.Field[Any], hint: Any, value: Any) -> None:
    """Le type et les bornes d'un réglage, qu'il vienne de l'environnement ou de l'appelant."""
    hint, optional = _without_none(hint)
    if value is None and optional:
        return
    if typing.get_origin(hint) is Literal:
        if value not in typing.get_args(hint):
            _refuse(setting.name, value, f"valeurs admises : {', '.join(typing.get_args(hint))}")
        return
    if hint is float and isinstance(value, float) and not math.isfinite(value):
        _refuse(setting.name, value, "nombre fini attendu")
    expected = (int, float) if hint is float else hint
    if not isinstance(value, expected) or (hint is not bool and isinstance(value, bool)):
        _refuse(setting.name, value, f"{hint.__name__} attendu")
    at_least, above = setting.metadata["at_least"], setting.metadata["above"]
    if at_least is not None and value < at_least:
        _refuse(setting.name, value, f"doit valoir au moins {at_least:g}")
    if above is not None and value <= above:
        _refuse(setting.name, value, f"doit être plus grand que {above:g}")


def _refuse(name: str, value: object, reason: str) -> Any:
    shown = f"{value:g}" if isinstance(value, float) else value
    raise SettingsError(f"réglage {variable(name)} « {shown} » refusé : {reason}")


def _without_none(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        return rest[0], len(rest) < len(typing.get_args(hint))
    return hint, False


@functools.cache
def _hints() -> dict[str, Any]:
    return typing.get_type_hints(Settings)
