"""Relivraison des octets du dernier import : reconnue sans relire, valider ni recopier le fichier.

Ce module n'importe que duckdb et la bibliothèque standard : la ligne de commande y répond avant d'importer
polars, numpy et la validation (issue 19, relivraison identique ≤ 0,5 s, docs/PERFORMANCE.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.intake.extensions import PARQUET_EXTENSIONS
from pipelines.warehouse.connection import WarehouseError, connect_read, first_row, named_statements

# Formats dont les mêmes octets donnent toujours la même table : un classeur dépend aussi de la feuille choisie.
SAME_BYTES_SAME_TABLE = (".csv", ".txt", *PARQUET_EXTENSIONS)


@dataclass(frozen=True)
class Incoming:
    """Un fichier à importer : son chemin, et le nom à montrer (différent pour un dépôt par le navigateur)."""

    path: Path
    display_name: str | None = None
    source: str | None = None  # provenance déclarée (référence publiée, démonstration…)
    demo: bool = False
    auteur: str | None = (
        None  # qui importe : identité connectée, poste local ou compte de la ligne de commande
    )
    # Empreinte SHA-256 déjà calculée pour ces octets (la ligne de commande l'a lue en cherchant une relivraison) :
    # l'import la reprend au lieu de relire le fichier.
    empreinte: str | None = None

    @property
    def name(self) -> str:
        return self.display_name or self.path.name


@dataclass(frozen=True)
class Repeat:
    """Le dernier import accepté, dont le fichier reçu reprend les octets mêmes."""

    import_id: int
    nature: str
    lignes: int
    accepte_le: dt.datetime

    @property
    def message(self) -> str:
        return identical_message(self.import_id, self.accepte_le)


def identical_message(import_id: int, accepted: dt.datetime) -> str:
    return f"fichier identique à l'import n° {import_id} du {accepted:%d/%m/%Y %H:%M} : rien n'a changé"


def sha256_of(path: Path, stop: threading.Event | None = None) -> str:
    """Empreinte du fichier ; `stop` l'abandonne en route (fichier refusé : inutile de lire le Go qui reste)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            if stop is not None and stop.is_set():
                return ""
            digest.update(chunk)
    return digest.hexdigest()


def repeats_last_import(
    db_path: Path, incoming: Incoming, kind: str | None
) -> tuple[Repeat | None, str | None]:
    """Le dernier import accepté quand le fichier en reprend les octets (même nom, même nature, même marque de
    démonstration, et rien d'importé depuis), sans ouvrir l'entrepôt en écriture ; None dans tout autre cas, qui
    suit le chemin ordinaire. Rend aussi l'empreinte quand elle a été calculée (un fichier mensuel garde souvent le
    même nom : le chemin ordinaire la reprend au lieu de relire le fichier)."""
    if incoming.path.suffix.lower() not in SAME_BYTES_SAME_TABLE or not db_path.is_file():
        return None, incoming.empreinte
    try:
        con = connect_read(db_path)
    except WarehouseError:
        return None, incoming.empreinte  # le chemin ordinaire dira pourquoi l'entrepôt ne s'ouvre pas
    try:
        last = first_row(con, named_statements("queries/imports.sql")["last_import"])
    except duckdb.Error:
        return None, incoming.empreinte
    finally:
        con.close()
    if last is None:
        return None, incoming.empreinte
    import_id, name, digest, nature, accepted, rows, demo = last
    if name != incoming.name or (kind is not None and kind != nature) or bool(demo) != incoming.demo:
        return None, incoming.empreinte
    try:
        computed = incoming.empreinte or sha256_of(incoming.path)
    except OSError:
        return None, None  # fichier absent ou illisible : le chemin ordinaire le refuse en le disant
    if computed != digest:
        return None, computed
    return Repeat(int(import_id), str(nature), int(rows), accepted), computed
