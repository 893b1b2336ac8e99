"""L'entrepôt DuckDB : schéma, lecture concurrente et écriture atomique.

DuckDB n'admet qu'un processus écrivain par fichier, et un écrivain exclut les lecteurs. Pour que l'application
lise pendant un import sans jamais voir un fichier à moitié chargé, l'écriture se fait par copie :
  1. un verrou (`<entrepôt>.lock`, flock) sérialise les écrivains : un second import attend, puis abandonne
     avec un message clair ;
  2. l'entrepôt publié est copié dans un fichier temporaire du même dossier, où l'import s'écrit ;
  3. à la fin, le temporaire est refermé (CHECKPOINT), rouvert en lecture seule et vérifié, puis renommé sur
     l'entrepôt publié (`os.replace`, atomique) ; il reçoit un identifiant de publication neuf (table `publication`),
     que l'application lit par la connexion même qui sert la page (clé de ses caches).
Un lecteur ouvre toujours soit l'ancien fichier, soit le nouveau. Un processus tué en cours d'import laisse un
temporaire orphelin (effacé au prochain import) et l'entrepôt publié intact.

Un journal `<entrepôt>.wal` laissé à côté du fichier publié par une session d'écriture interrompue (un autre outil
ouvert en écriture) est intégré avant la copie ; s'il ne peut pas l'être, l'import est refusé avec l'explication :
copier le fichier sans son journal, puis publier la copie à côté de ce journal, rendrait l'entrepôt illisible.
Toute panne de l'environnement (disque plein, lecture seule, fichier corrompu, dossier) devient `WarehouseUnavailable`,
au message en français ; rien n'est alors publié.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.settings import SQL_DIR

SCHEMA_FILES = (
    "schema/00_raw.sql",
    "schema/01_raw_etablissements.sql",
    "schema/10_staging.sql",
    "schema/11_staging_etablissements.sql",
    "schema/20_marts.sql",
    "schema/21_marts_etablissements.sql",
    "schema/30_indicateurs.sql",
)


class WarehouseError(RuntimeError):
    """Erreur d'accès à l'entrepôt, au message en français."""


class WarehouseMissing(WarehouseError):
    pass


class WarehouseBusy(WarehouseError):
    pass


class WarehouseUnavailable(WarehouseError):
    """Entrepôt ou environnement indisponible : disque plein, lecture seule, fichier corrompu, chemin qui est un
    dossier, journal d'écriture orphelin. Rien n'a été publié."""


_ERRNO_CAUSES = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EACCES: "droits insuffisants",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "le chemin est un dossier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENOENT: "dossier introuvable",
    errno.EIO: "erreur d'entrée-sortie du disque",
}
_DUCKDB_CAUSES = (
    ("no space left", "disque plein"),
    ("read-only file system", "système de fichiers en lecture seule"),
    ("permission denied", "droits insuffisants"),
    ("is a directory", "le chemin est un dossier"),
    ("could not set lock", "fichier ouvert en écriture par un autre programme"),
    ("conflicting lock", "fichier ouvert en écriture par un autre programme"),
    ("not a valid duckdb database", "fichier d'entrepôt corrompu ou qui n'est pas un entrepôt DuckDB"),
    ("checksum", "fichier d'entrepôt corrompu (somme de contrôle)"),
    ("corrupt", "fichier d'entrepôt corrompu"),
    ("truncated", "fichier d'entrepôt tronqué"),
    ("could not read enough bytes", "fichier d'entrepôt tronqué"),
    ("wal", "journal d'écriture (.wal) illisible ou d'une autre version du fichier"),
    ("out of memory", "mémoire insuffisante"),
    ("failed to allocate", "mémoire insuffisante"),
)


def describe_failure(exc: BaseException) -> str:
    """La cause d'une panne d'environnement, en français, suivie du message d'origine (abrégé)."""
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:240]
    if isinstance(exc, OSError) and exc.errno in _ERRNO_CAUSES:
        return f"{_ERRNO_CAUSES[exc.errno]} ({detail})"
    if isinstance(exc, MemoryError):
        return "mémoire insuffisante"
    lowered = str(exc).lower()
    for needle, cause in _DUCKDB_CAUSES:
        if needle in lowered:
            return f"{cause} ({detail})"
    if isinstance(exc, duckdb.SerializationException):
        return f"fichier d'entrepôt corrompu ou tronqué ({detail})"
    return detail


def unavailable(db_path: Path, exc: BaseException) -> WarehouseUnavailable:
    return WarehouseUnavailable(
        f"Entrepôt indisponible ({db_path}) : {describe_failure(exc)}. Rien n'a été écrit ; l'entrepôt publié est "
        "inchangé."
    )


def read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def loaded_kinds() -> list[str]:
    """Les natures de fichier que l'entrepôt charge, une par `sql/load/<nature>.sql` : la ligne de commande les
    connaît sans importer leurs déclarations (`pipelines.sources`, qui importe polars ; tests/test_cli.py vérifie
    que les deux listes concordent)."""
    return sorted(p.stem for p in (SQL_DIR / "load").glob("*.sql"))


def named_statements(name: str) -> dict[str, str]:
    """Les requêtes d'un fichier SQL découpé en blocs `-- name: xxx`."""
    text = read_sql(name)
    blocks = re.split(r"^-- name: (\w+)\s*$", text, flags=re.MULTILINE)
    return {blocks[i]: blocks[i + 1].strip() for i in range(1, len(blocks), 2)}


def first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object] | None = None
) -> tuple[Any, ...] | None:
    """Première ligne d'une requête, résultat entièrement lu : avec DuckDB 2.0, un `fetchone()` laisse le résultat
    ouvert et bloque la connexion pour la requête suivante."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def files_fingerprint(paths: Iterable[Path], how: str = "") -> str:
    """L'empreinte SHA-256 du contenu de fichiers, dans l'ordre donné (chaque nom compte aussi), et de `how` : la
    façon de les installer (types des colonnes), qui change aussi ce qui est installé."""
    digest = hashlib.sha256(how.encode())
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_installed(con: duckdb.DuckDBPyConnection, what: str, fingerprint: str) -> bool:
    """Vrai quand `what` (schema, reference) a déjà été installé dans cet entrepôt depuis ces mêmes fichiers."""
    if not _table_exists(con, "empreintes_installees"):
        return False
    row = first_row(con, named_statements("queries/installation.sql")["installed"], [what])
    return row is not None and row[0] == fingerprint


def record_installed(con: duckdb.DuckDBPyConnection, what: str, fingerprint: str) -> None:
    con.execute(named_statements("queries/installation.sql")["record"], [what, fingerprint])


# Ce que `apply_schema` exécute en plus des fichiers du schéma, selon l'état de l'entrepôt.
CODES_MIGRATION, BACKFILL_MIGRATION = "migrations/04_codes_flux.sql", "migrations/05_backfill.sql"
# À augmenter quand le code Python qui installe le schéma ou les tables de référence change : les entrepôts déjà
# installés le réinstallent alors à leur prochaine écriture, même si aucun fichier n'a changé.
INSTALL_VERSION = "1"


def _schema_fingerprint() -> str:
    files = (*SCHEMA_FILES, CODES_MIGRATION, BACKFILL_MIGRATION)
    return files_fingerprint((SQL_DIR / name for name in files), INSTALL_VERSION)


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Crée ce qui manque (tables, vues) et met à niveau un entrepôt plus ancien, dans la copie de travail. Rien à
    faire quand le schéma en place vient des mêmes fichiers SQL (un entrepôt d'avant l'empreinte la reçoit)."""
    fingerprint = _schema_fingerprint()
    if is_installed(con, "schema", fingerprint):
        return
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
            for statement in named_statements(CODES_MIGRATION).values():
                con.execute(statement)
        if name == "schema/10_staging.sql" and backfill:
            for statement in named_statements(BACKFILL_MIGRATION).values():
                con.execute(statement)
    record_installed(con, "schema", fingerprint)


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
    _check_readable(db_path)
    try:
        return duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseUnavailable(f"Entrepôt illisible ({db_path}) : {describe_failure(exc)}.") from exc


def _check_readable(db_path: Path) -> None:
    if db_path.is_dir():
        raise WarehouseUnavailable(
            f"Entrepôt indisponible : {db_path} est un dossier, pas un fichier .duckdb."
        )
    if not db_path.exists():
        raise WarehouseMissing(
            f"Entrepôt introuvable : {db_path}. Construisez-le avec « python -m pipelines demo » ou « make run »."
        )


SNAPSHOT_ALIAS = "entrepot"


def connect_snapshot(db_path: Path) -> duckdb.DuckDBPyConnection:
    """Connexion en lecture seule à la version publiée au moment de l'ouverture, même si le processus garde d'autres
    connexions ouvertes sur une version plus ancienne.

    `duckdb.connect(chemin)` rend l'instance déjà ouverte pour ce chemin dans le processus, donc l'ancien fichier
    tant qu'une connexion y reste ouverte ; un `ATTACH` dans une base en mémoire ouvre le fichier présent. Chaque
    curseur de cette connexion doit faire `USE entrepot` (voir `snapshot_cursor`)."""
    _check_readable(db_path)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH ? AS {SNAPSHOT_ALIAS} (READ_ONLY)", [str(db_path)])
        con.execute(f"USE {SNAPSHOT_ALIAS}")
    except duckdb.Error as exc:
        con.close()
        raise WarehouseUnavailable(f"Entrepôt illisible ({db_path}) : {describe_failure(exc)}.") from exc
    return con


def snapshot_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Un curseur (utilisable depuis un autre fil) sur la version ouverte par `connect_snapshot`."""
    cursor = con.cursor()
    cursor.execute(f"USE {SNAPSHOT_ALIAS}")
    return cursor


def publication_id(con: duckdb.DuckDBPyConnection) -> str:
    """Identifiant de la publication que sert cette connexion : neuf à chaque import accepté (jamais réutilisé,
    même par un entrepôt reconstruit), lu dans le fichier même qu'elle a ouvert."""
    try:
        row = first_row(con, named_statements("publication.sql")["read"])
    except duckdb.CatalogException:
        return "sans-publication"  # entrepôt antérieur à la table `publication`
    return str(row[0]) if row else "sans-publication"


@contextlib.contextmanager
def writer_lock(db_path: Path, wait_s: float) -> Iterator[None]:
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - refermé par le `with` ci-dessous
    except OSError as exc:
        raise WarehouseUnavailable(
            f"Entrepôt indisponible ({db_path}) : impossible de poser le verrou d'écriture {lock_path.name} — "
            f"{describe_failure(exc)}. Rien n'a été écrit."
        ) from exc
    with handle:
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


_DEMO_BUILD = re.compile(r"\.demo-(\d+)\.build")


def process_alive(pid: int) -> bool:
    """Vrai si le processus existe encore (il peut appartenir à un autre utilisateur) : ses fichiers sont à lui."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_orphans(db_path: Path, keep: Path | None = None) -> None:
    """Efface les fichiers de travail laissés par un import ou une construction interrompus : copies, leurs journaux
    et leurs dossiers de débordement (on tient le verrou : aucune copie d'import n'est vivante, sauf `keep`, celle
    que ce processus a commencée avant le verrou), et les constructions de démonstration dont le processus a
    disparu."""
    from pipelines.intake.reading import sweep_transcodes

    for orphan in db_path.parent.glob(f".{db_path.name}.*.tmp*"):
        if orphan != keep:
            _remove(orphan)
    for pattern in (f".{db_path.name}.demo-*.build*", f"..{db_path.name}.demo-*.build.*"):
        for orphan in db_path.parent.glob(pattern):
            match = _DEMO_BUILD.search(orphan.name)
            if match and not process_alive(int(match.group(1))):
                _remove(orphan)
    sweep_transcodes()


def _integrate_stale_wal(db_path: Path) -> bool:
    """Intègre au fichier publié le journal qu'une session d'écriture interrompue a laissé à côté de lui (rend vrai
    s'il y en avait un) ; s'il ne peut pas l'être, refuse l'import plutôt que de publier une copie à côté d'un journal
    qui ne lui appartient pas."""
    wal = db_path.with_name(db_path.name + ".wal")
    if not wal.exists():
        return False
    try:
        if not db_path.exists():
            raise duckdb.IOException("journal sans fichier d'entrepôt")
        duckdb.connect(str(db_path)).close()  # l'ouverture rejoue le journal, la fermeture l'intègre
    except duckdb.Error as exc:
        raise WarehouseUnavailable(_stale_wal_message(db_path, wal, describe_failure(exc))) from exc
    if wal.exists():
        raise WarehouseUnavailable(
            _stale_wal_message(db_path, wal, "DuckDB ne l'a pas intégré à l'ouverture")
        )
    return True


def _stale_wal_message(db_path: Path, wal: Path, cause: str) -> str:
    return (
        f"Entrepôt indisponible ({db_path}) : un journal d'écriture ({wal.name}) laissé par une session "
        f"interrompue est à côté de l'entrepôt et ne peut pas y être intégré — {cause}. Rien n'a été écrit : "
        "publier une copie à côté de ce journal rendrait l'entrepôt illisible. Si l'application ou un autre outil "
        f"a l'entrepôt ouvert, fermez-le puis relancez l'import ; sinon mettez {wal.name} de côté (il ne porte que "
        "les écritures de la session interrompue) et relancez."
    )


def _verify_copy(work: Path, db_path: Path) -> None:
    """La copie à publier se rouvre en lecture seule, sans journal, et répond : sinon elle n'est pas publiée."""
    if work.with_name(work.name + ".wal").exists():
        raise WarehouseUnavailable(
            f"Entrepôt indisponible ({db_path}) : la copie de travail garde un journal après sa fermeture ; "
            "elle n'est pas publiée."
        )
    try:
        with duckdb.connect(str(work), read_only=True) as check:
            first_row(check, "SELECT count(*) FROM imports")
            publication_id(check)
    except duckdb.Error as exc:
        raise WarehouseUnavailable(
            f"Entrepôt indisponible ({db_path}) : la copie de travail ne se relit pas ({describe_failure(exc)}) ; "
            "elle n'est pas publiée."
        ) from exc


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    """Ce qui change quand le fichier est remplacé (inode) ou écrit sur place (taille, date) ; None s'il ne se lit
    pas (absent, dossier illisible…) : la session dira pourquoi."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def _remove_quietly(path: Path) -> None:
    """Efface sans rien dire d'un échec : sur un disque en lecture seule, même effacer un fichier absent échoue, et
    la réponse donnée au fichier reçu ne doit pas en changer."""
    with contextlib.suppress(OSError):
        _remove(path)


class EarlyCopy:
    """La copie de travail de l'entrepôt, commencée avant le verrou, pendant que le fichier reçu se valide : à 30 M
    de lignes, les 0,3 à 0,5 s de la copie d'un entrepôt de 436 Mo se recouvrent avec la validation.

    Elle s'écrit sous un nom à elle (`.<entrepôt>.<pid>.<aléa>.tmp`, que `remove_orphans` balaie s'il reste) : hors du
    verrou, rien ne touche au fichier de travail d'une session. Sous le verrou, `take` la renomme en fichier de
    travail si elle est entière et si l'entrepôt publié est resté le même fichier, inchangé, depuis qu'elle a
    commencé (un autre import l'aurait remplacé) et qu'aucun journal n'a été intégré ; sinon elle est effacée et la
    session recopie. Un fichier refusé la jette (`discard`) : il ne prend toujours pas le verrou, et un disque plein
    ou en lecture seule fait échouer la copie sans changer sa réponse."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(os.path.realpath(db_path))
        self.path = self.db_path.with_name(f".{self.db_path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
        self._source = _identity(self.db_path)
        self._failed = False
        self._done = False
        self._thread = threading.Thread(target=self._copy, name="copie-anticipee", daemon=True)
        if self._source is not None:
            self._thread.start()

    def _copy(self) -> None:
        try:
            shutil.copyfile(self.db_path, self.path)
        except OSError:
            self._failed = True  # la session recopiera, et dira ce qui ne va pas

    def _wait(self) -> None:
        if self._thread.is_alive():
            self._thread.join()

    def take(self, db_path: Path, work: Path, journal_integrated: bool) -> bool:
        """Sous le verrou : renomme la copie en `work` et rend vrai si elle est celle de l'entrepôt publié `db_path`
        (pas de journal intégré à l'ouverture de la session) ; sinon l'efface et rend faux."""
        if self._done or self._source is None:
            return False
        self._wait()
        self._done = True
        copied = _identity(self.path)
        whole = not self._failed and copied is not None and copied[2] == self._source[2]
        same = self.db_path == db_path and _identity(db_path) == self._source and not journal_integrated
        if whole and same:
            try:
                os.replace(self.path, work)
                return True
            except OSError:
                pass
        _remove_quietly(self.path)
        return False

    def discard(self) -> None:
        """Efface la copie si aucune session ne l'a reprise."""
        self._wait()
        if not self._done:
            self._done = True
            _remove_quietly(self.path)


@dataclass
class Writer:
    """Connexion d'écriture sur la copie de travail ; `changed` dit s'il faut publier la copie en sortie."""

    con: duckdb.DuckDBPyConnection
    changed: bool = False


@contextlib.contextmanager
def write_session(
    db_path: Path,
    wait_s: float = 60.0,
    publish: bool = True,
    memory_limit_mb: int | None = None,
    early: EarlyCopy | None = None,
) -> Iterator[Writer]:
    """Connexion d'écriture sur une copie de l'entrepôt, publiée atomiquement en sortie normale.

    La copie n'est publiée que si l'appelant a marqué `changed` : un fichier refusé ou identique ne touche pas même
    la date de l'entrepôt. En cas d'exception, ou si `publish` est faux (essai à blanc), la copie est jetée.
    `early` : une copie commencée avant le verrou (`EarlyCopy`), reprise si l'entrepôt n'a pas changé depuis.
    """
    db_path = Path(os.path.realpath(db_path))
    if db_path.is_dir():
        raise WarehouseUnavailable(
            f"Entrepôt indisponible : {db_path} est un dossier, pas un fichier .duckdb."
        )
    try:
        with writer_lock(db_path, wait_s):
            yield from _session(db_path, publish, memory_limit_mb, early)
    except WarehouseError:
        raise
    except (OSError, duckdb.Error, MemoryError) as exc:
        raise unavailable(db_path, exc) from exc


def _session(
    db_path: Path, publish: bool, memory_limit_mb: int | None, early: EarlyCopy | None
) -> Iterator[Writer]:
    work = _temporary_copy_path(db_path)
    remove_orphans(db_path, keep=early.path if early is not None else None)
    integrated = _integrate_stale_wal(db_path)
    published = False
    con: duckdb.DuckDBPyConnection | None = None
    try:
        reused = early is not None and early.take(db_path, work, integrated)
        if db_path.exists() and not reused:
            shutil.copyfile(db_path, work)
        config: dict[str, str | bool | int | float | list[str]] = (
            {"memory_limit": f"{memory_limit_mb}MB"} if memory_limit_mb else {}
        )
        con = duckdb.connect(str(work), config=config)
        writer = Writer(con)
        apply_schema(con)
        yield writer
        if publish and writer.changed:
            statements = named_statements("publication.sql")
            con.execute(statements["create"])
            con.execute(statements["clear"])
            con.execute(statements["insert"], [str(uuid.uuid4())])
            con.execute("CHECKPOINT")
            con.close()
            _verify_copy(work, db_path)
            if db_path.with_name(db_path.name + ".wal").exists():
                raise WarehouseUnavailable(
                    f"Entrepôt indisponible ({db_path}) : un autre programme a écrit dans l'entrepôt pendant "
                    "l'import (journal .wal apparu) ; rien n'a été publié, relancez l'import."
                )
            os.replace(work, db_path)
            _fsync_dir(db_path.parent)
            published = True
    finally:
        if con is not None:
            with contextlib.suppress(duckdb.Error):
                con.close()
        if not published:
            for leftover in work.parent.glob(f"{work.name}*"):
                _remove(leftover)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
