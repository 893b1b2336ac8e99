"""Réglages du produit : un seul objet typé, surchargeable par les variables d'environnement `MES_*`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
GEO_DIR = DATA_DIR / "geo"
SQL_DIR = Path(__file__).resolve().parent / "warehouse" / "sql"


class Settings(BaseSettings):
    """Réglages lus dans l'environnement (préfixe `MES_`), chemins relatifs au dépôt."""

    model_config = SettingsConfigDict(env_prefix="MES_", extra="ignore")

    db: Path = Field(default=DATA_DIR / "warehouse.duckdb", description="Entrepôt DuckDB publié")
    # Date « du jour » : sert à refuser les mois futurs et aux comptes à rebours. Surchargeable pour les tests.
    aujourdhui: dt.date | None = None
    max_problemes: int = Field(default=200, description="Nombre maximal de problèmes rapportés par fichier")
    upload_max_mo: int = Field(
        default=200, description="Taille maximale d'un fichier déposé dans l'application"
    )
    verrou_attente_s: float = Field(default=60.0, description="Attente maximale du verrou d'écriture")
    # Au-delà, DuckDB déborde sur disque (dossier `<entrepôt>.tmp`) au lieu de grossir : un import national tient
    # ainsi sur un poste de 4 Go. La validation Polars, par tranches, reste en dessous (docs/PERFORMANCE.md).
    # Un fichier plus gros que `tranche_seuil_mo` est lu et validé par tranches de `tranche_lignes` lignes : la
    # mémoire tient à la taille d'une tranche (docs/PERFORMANCE.md).
    tranche_seuil_mo: float = Field(
        default=64.0, ge=0, description="Taille à partir de laquelle lire par tranches"
    )
    tranche_lignes: int = Field(default=1_000_000, ge=1, description="Lignes par tranche")
    memoire_max_mo: int = Field(
        default=512, ge=128, description="Mémoire maximale de DuckDB à l'écriture (Mo)"
    )
    # Un import de flux ne recalcule que les mois qu'il touche et les fenêtres qui en dépendent (m − 1, m − 12,
    # cumul sur 12 mois, attente de la complétude) ; faux : chaque import recalcule tout (docs/PERFORMANCE.md).
    recalcul_incremental: bool = Field(
        default=True, description="Ne recalculer que ce qu'un import de flux change"
    )
    # Trois publics, trois modes (docs/DEPLOIEMENT.md) : `local` pour un poste, `public` pour ce qui peut être
    # publié, `interne` derrière une connexion OpenID Connect avec des rôles.
    mode: Literal["local", "public", "interne"] = Field(default="local", description="Mode de l'application")
    roles: Path = Field(
        default=REFERENCE_DIR / "roles.csv", description="Identités (e-mail ou domaine) et leur rôle"
    )
    # Fichier de secrets de Streamlit (section `[auth]` du mode interne) ; par défaut `.streamlit/secrets.toml`.
    secrets: Path | None = None

    # Bornes d'un fichier reçu : chacune tient avant la mémoire, et son dépassement est un refus en français qui
    # nomme le réglage (docs/PERFORMANCE.md, « Fichiers hostiles »).
    fichier_max_mo: float = Field(
        default=4096.0, gt=0, description="Taille maximale d'un fichier importé (Mo)"
    )
    xlsx_decompresse_max_mo: float = Field(
        default=512.0, gt=0, description="Taille décompressée maximale d'un classeur Excel (Mo)"
    )
    xlsx_cellules_max: int = Field(
        default=10_000_000, ge=1, description="Nombre maximal de cellules d'un classeur Excel"
    )
    colonnes_max: int = Field(default=1000, ge=1, description="Nombre maximal de colonnes d'un tableau")
    parquet_decompresse_max_mo: float = Field(
        default=4096.0, gt=0, description="Taille décompressée maximale d'un fichier Parquet (Mo)"
    )
    # Un compte ou un code tient en quelques dizaines de caractères ; un libellé d'établissement en une centaine.
    champ_max_car: int = Field(default=256, ge=16, description="Longueur maximale d'une cellule (caractères)")

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


def get_settings() -> Settings:
    """Relit l'environnement à chaque appel : les tests et la ligne de commande peuvent changer `MES_DB`."""
    return Settings()
