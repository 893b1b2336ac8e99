"""L'entrepôt DuckDB : schéma, lecture concurrente et écriture atomique.

DuckDB n'admet qu'un processus écrivain par fichier, et un écrivain exclut les lecteurs. Pour que l'application
lise pendant un import sans jamais voir un fichier à moitié chargé, l'écriture se fait par copie :
  1. un verrou (`<entrepôt>.lock`, flock) sérialise les écrivains : un second import attend, puis abandonne
     avec un message clair ;
  2. l'entrepôt publié est copié dans un fichier temporaire du même dossier, où l'import s'écrit ;
  3. à la fin, le temporaire est refermé (CHECKPOINT) puis renommé sur l'entrepôt publié (`os.replace`, atomique).
Un lecteur ouvre toujours soit l'ancien fichier, soit le nouveau. Un processus tué en cours d'import laisse un
temporaire orphelin (effacé au prochain import) et l'entrepôt publié intact.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.settings import SQL_DIR

SCHEMA_FILES = (
    "schema/00_raw.sql",
    "schema/10_staging.sql",
    "schema/20_marts.sql",
    "schema/30_indicateurs.sql",
)


class WarehouseError(RuntimeError):
    """Erreur d'accès à l'entrepôt, au message en français."""


class WarehouseMissing(WarehouseError):
    pass


class WarehouseBusy(WarehouseError):
    pass


def read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def named_statements(name: str) -> dict[str, str]:
    """Les requêtes d'un fichier SQL découpé en blocs `-- name: xxx`."""
    text = read_sql(name)
    blocks = re.split(r"^-- name: (\w+)\s*$", text, flags=re.MULTILINE)
    return {blocks[i]: blocks[i + 1].strip() for i in range(1, len(blocks), 2)}


def first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> tuple[Any, ...] | None:
    """Première ligne d'une requête, résultat entièrement lu : avec DuckDB 2.0, un `fetchone()` laisse le résultat
    ouvert et bloque la connexion pour la requête suivante."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Crée ce qui manque (tables, vues) et met à niveau un entrepôt plus ancien, dans la copie de travail."""
    had_flux = _table_exists(con, "raw_flux")
    # Avant la version 0.3, `raw_flux` portait ses codes en texte (04_codes_flux.sql les numérote).
    text_codes = had_flux and _column_exists(con, "raw_flux", "couloir")
    # Avant `flux_remplacees`, elle se déduit une fois de l'historique brut (05_backfill.sql).
    backfill = had_flux and not _table_exists(con, "flux_remplacees")
    if text_codes:
        con.execute("ALTER TABLE raw_flux RENAME TO raw_flux_textes")
    for name in SCHEMA_FILES:
        con.execute((SQL_DIR / name).read_text(encoding="utf-8"))
        if name == "schema/00_raw.sql" and text_codes:
            for statement in named_statements("migrations/04_codes_flux.sql").values():
                con.execute(statement)
        if name == "schema/10_staging.sql" and backfill:
            for statement in named_statements("migrations/05_backfill.sql").values():
                con.execute(statement)


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = first_row(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_type = 'BASE TABLE'",
        [table],
    )
    return bool(row and row[0])


def _column_exists(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    row = first_row(
        con,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column],
    )
    return bool(row and row[0])


def version(db_path: Path) -> tuple[int, int]:
    """Identifiant de la version publiée (inode, date de modification) : change à chaque import accepté."""
    try:
        stat = db_path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_ino, stat.st_mtime_ns)


def connect_read(db_path: Path) -> duckdb.DuckDBPyConnection:
    """Connexion en lecture seule à la version publiée."""
    if not db_path.exists():
        raise WarehouseMissing(
            f"Entrepôt introuvable : {db_path}. Construisez-le avec « python -m pipelines demo » ou « make run »."
        )
    return duckdb.connect(str(db_path), read_only=True)


@contextlib.contextmanager
def writer_lock(db_path: Path, wait_s: float) -> Iterator[None]:
    lock_path = db_path.with_name(db_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"Un autre import est en cours sur {db_path} depuis plus de {wait_s:.0f} s : "
                        "rien n'a été écrit, réessayez quand il sera terminé."
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _temporary_copy_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")


def _remove_orphans(db_path: Path) -> None:
    """Efface les copies de travail laissées par un import interrompu (on tient le verrou : aucune n'est vivante)."""
    for orphan in db_path.parent.glob(f".{db_path.name}.*.tmp*"):
        orphan.unlink(missing_ok=True)


@dataclass
class Writer:
    """Connexion d'écriture sur la copie de travail ; `changed` dit s'il faut publier la copie en sortie."""

    con: duckdb.DuckDBPyConnection
    changed: bool = False


@contextlib.contextmanager
def write_session(
    db_path: Path, wait_s: float = 60.0, publish: bool = True, memory_limit_mb: int | None = None
) -> Iterator[Writer]:
    """Connexion d'écriture sur une copie de l'entrepôt, publiée atomiquement en sortie normale.

    La copie n'est publiée que si l'appelant a marqué `changed` : un fichier refusé ou identique ne touche pas même
    la date de l'entrepôt. En cas d'exception, ou si `publish` est faux (essai à blanc), la copie est jetée.
    """
    with writer_lock(db_path, wait_s):
        _remove_orphans(db_path)
        work = _temporary_copy_path(db_path)
        if db_path.exists():
            shutil.copyfile(db_path, work)
        config: dict[str, str | bool | int | float | list[str]] = (
            {"memory_limit": f"{memory_limit_mb}MB"} if memory_limit_mb else {}
        )
        con = duckdb.connect(str(work), config=config)
        writer = Writer(con)
        published = False
        try:
            apply_schema(con)
            yield writer
            if publish and writer.changed:
                con.execute("CHECKPOINT")
                con.close()
                os.replace(work, db_path)
                _fsync_dir(db_path.parent)
                published = True
        finally:
            with contextlib.suppress(duckdb.Error):
                con.close()
            if not published:
                for leftover in (work, work.with_name(work.name + ".wal")):
                    leftover.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
