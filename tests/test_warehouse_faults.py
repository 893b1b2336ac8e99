"""Pannes de l'environnement et fichiers d'entrepôt abîmés : réponse « entrepôt indisponible » (code 3) avec la
cause en français, rien de publié, aucun temporaire laissé ; un journal orphelin ou un lien symbolique ne divisent
jamais l'entrepôt."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import Settings, get_settings
from pipelines.warehouse import connection
from pipelines.warehouse.connection import WarehouseUnavailable, publication_id
from pipelines.warehouse.ingest import Incoming, IngestResult, ingest
from tests.test_cli import cli

HEADER = "mois;couloir;departement;documents\n"


def csv_file(folder: Path, name: str, month: str, documents: int = 10) -> Path:
    path = folder / name
    path.write_text(f"{HEADER}{month};BIO;75;{documents}\n", encoding="utf-8")
    return path


def run(settings: Settings, path: Path, db: Path | None = None) -> IngestResult:
    [result] = ingest([Incoming(path)], settings=settings, db=db)
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def imported_months(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT strftime(mois, '%Y-%m') FROM flux_mensuel ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def built(settings: Settings, tmp_path: Path) -> Path:
    assert run(settings, csv_file(tmp_path, "janvier.csv", "2024-01")).ok
    return settings.db_path()


def crash_writer_session(db: Path) -> None:
    """Une session d'écriture étrangère (un autre outil) qui écrit puis meurt sans refermer : reste `<db>.wal`."""
    code = (
        "import duckdb, os, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute(\"SET checkpoint_threshold = '10GB'\")\n"
        "con.execute('PRAGMA disable_checkpoint_on_shutdown')\n"
        "con.execute('CREATE TABLE note_externe AS SELECT 42 AS x')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True)


# --- Journal orphelin ---------------------------------------------------------------------------------------------


def test_stale_wal_is_integrated_before_the_copy(settings: Settings, built: Path, tmp_path: Path) -> None:
    crash_writer_session(built)
    wal = built.with_name(built.name + ".wal")
    assert wal.exists()
    result = run(settings, csv_file(tmp_path, "fevrier.csv", "2024-02"))
    assert result.ok and result.nouvelles == 1, result.message
    assert not wal.exists()
    assert imported_months(built) == ["2024-01", "2024-02"]
    with duckdb.connect(str(built), read_only=True) as con:
        assert con.execute("SELECT x FROM note_externe").fetchall() == [(42,)]
    assert run(settings, csv_file(tmp_path, "mars.csv", "2024-03")).ok
    assert cli("kpi", "--json", db=built).returncode == 0


def test_wal_that_cannot_be_integrated_refuses_the_import(
    settings: Settings, built: Path, tmp_path: Path
) -> None:
    wal = built.with_name(built.name + ".wal")
    wal.write_bytes(b"\x00journal d'une autre version\xff" * 100)
    before = digest(built)
    result = cli("ingest", str(csv_file(tmp_path, "fevrier.csv", "2024-02")), db=built)
    assert result.returncode == 3, result.stderr
    assert "journal d'écriture" in result.stderr and "Traceback" not in result.stderr
    assert digest(built) == before and wal.exists()


# --- Lien symbolique ----------------------------------------------------------------------------------------------


def test_symlinked_db_keeps_the_link_and_its_target_in_step(
    settings: Settings, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "lien.duckdb"
    link.symlink_to(built)
    monkeypatch.setenv("MES_DB", str(link))
    assert run(get_settings(), csv_file(tmp_path, "fevrier.csv", "2024-02")).ok
    assert link.is_symlink() and link.resolve() == built.resolve()
    assert imported_months(link) == imported_months(built) == ["2024-01", "2024-02"]


# --- Temporaires ----------------------------------------------------------------------------------------------


def test_orphans_of_every_kind_are_swept_at_the_next_run(
    settings: Settings, built: Path, tmp_path: Path
) -> None:
    pid = dead_pid()
    folder = built.parent
    name = built.name
    orphans = [
        folder / f".{name}.{pid}.tmp",
        folder / f".{name}.{pid}.tmp.wal",
        folder / f".{name}.demo-{pid}.build",
        folder / f".{name}.demo-{pid}.build.lock",
        folder / f"..{name}.demo-{pid}.build.{pid}.tmp",
    ]
    for orphan in orphans:
        orphan.write_bytes(b"reste")
    spill = folder / f".{name}.{pid}.tmp.tmp"
    spill.mkdir()
    (spill / "bloc").write_bytes(b"x")
    transcode = Path(tempfile.gettempdir()) / f"mes-transcodage-{pid}-abc.csv"
    transcode.write_bytes(b"")
    upload = Path(tempfile.gettempdir()) / f"mes-depot-{pid}-abc"
    upload.mkdir()
    (upload / "depot.csv").write_bytes(b"x")
    assert run(settings, csv_file(tmp_path, "fevrier.csv", "2024-02")).ok
    assert leftovers(folder) == [], leftovers(folder)
    assert not transcode.exists() and not upload.exists()


def test_db_in_a_missing_folder_is_created_only_for_an_accepted_file(tmp_path: Path) -> None:
    db = tmp_path / "nouveau" / "dossier" / "w.duckdb"
    bad = tmp_path / "faux.csv"
    bad.write_text("mois;couloir;documents\n2024-13;BIO;1\n")
    refused = cli("ingest", str(bad), db=db)
    assert refused.returncode == 1 and not db.parent.exists() and not (tmp_path / "nouveau").exists()
    assert cli("ingest", "--dry-run", str(bad), db=db).returncode == 1 and not (tmp_path / "nouveau").exists()
    accepted = cli("ingest", str(csv_file(tmp_path, "bon.csv", "2024-01")), db=db)
    assert accepted.returncode == 0, accepted.stderr
    assert db.exists()


def test_db_that_is_a_directory(tmp_path: Path) -> None:
    result = cli("ingest", str(csv_file(tmp_path, "bon.csv", "2024-01")), db=tmp_path)
    assert result.returncode == 3 and "est un dossier" in result.stderr and "Traceback" not in result.stderr
    assert cli("kpi", db=tmp_path).returncode == 3


# --- Entrepôt corrompu ou tronqué --------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["corrompu", "tronque"])
def test_corrupt_or_truncated_warehouse(built: Path, tmp_path: Path, damage: str) -> None:
    data = built.read_bytes()
    if damage == "corrompu":
        built.write_bytes(data[:4096] + b"\xde\xad" * ((len(data) - 4096) // 2))
    else:
        built.write_bytes(data[: len(data) // 3])
    before = digest(built)
    result = cli("ingest", str(csv_file(tmp_path, "fevrier.csv", "2024-02")), db=built)
    assert result.returncode == 3, (result.returncode, result.stdout, result.stderr)
    assert "Entrepôt indisponible" in result.stderr and "Traceback" not in result.stderr
    assert digest(built) == before and leftovers(built.parent) == []
    kpi = cli("kpi", db=built)
    assert kpi.returncode == 3 and "Traceback" not in kpi.stderr


# --- Copie commencée pendant la validation ---------------------------------------------------------------------


def test_the_copy_started_during_validation_is_the_one_published(
    settings: Settings, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[str] = []
    copy = connection.shutil.copyfile

    def counted(source: str | Path, target: str | Path) -> object:
        copies.append(f"{threading.current_thread().name} → {Path(target).name}")
        return copy(source, target)

    monkeypatch.setattr(connection.shutil, "copyfile", counted)
    assert run(settings, csv_file(tmp_path, "fevrier.csv", "2024-02")).ok
    # Une seule copie, celle de la validation, reprise par la session puis publiée.
    [copied] = copies
    assert copied.startswith(f"copie-anticipee → .{built.name}.{os.getpid()}.") and copied.endswith(".tmp")
    assert imported_months(built) == ["2024-01", "2024-02"] and leftovers(built.parent) == []


def test_a_copy_of_a_warehouse_replaced_before_the_lock_is_not_used(
    settings: Settings, built: Path, tmp_path: Path
) -> None:
    early = connection.EarlyCopy(built)
    # Un autre processus publie pendant que celui-ci valide encore : il remplace le fichier de l'entrepôt.
    other = tmp_path / "autre.duckdb"
    shutil.copyfile(built, other)
    assert run(settings, csv_file(tmp_path, "mars.csv", "2024-03"), db=other).ok
    os.replace(other, built)
    with connection.write_session(built, early=early) as writer:
        months = writer.con.execute("SELECT count(DISTINCT mois) FROM raw_flux").fetchone()
    # La session a recopié l'entrepôt publié : l'import de mars y est, rien n'est perdu.
    assert months == (2,) and leftovers(built.parent) == []


def test_a_refused_file_leaves_no_copy(settings: Settings, built: Path, tmp_path: Path) -> None:
    before = digest(built)
    bad = tmp_path / "refuse.csv"
    bad.write_text(f"{HEADER}2024-13;BIO;75;10\n", encoding="utf-8")
    result = run(settings, bad)
    assert result.statut == "refuse" and digest(built) == before and leftovers(built.parent) == []


# --- Disque plein, lecture seule ---------------------------------------------------------------------------------


def test_disk_full_during_the_copy_is_an_environment_error(
    settings: Settings, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(source: object, target: str | Path) -> None:
        Path(target).write_bytes(b"copie partielle")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(connection.shutil, "copyfile", full)
    before = digest(built)
    with pytest.raises(WarehouseUnavailable, match="disque plein"):
        run(settings, csv_file(tmp_path, "fevrier.csv", "2024-02"))
    assert digest(built) == before and leftovers(built.parent) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """Un vrai petit disque (tmpfs de 12 Mo) ; le test est sauté là où l'on ne peut pas monter (non root)."""
    mount = tmp_path / "disque"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("montage d'un tmpfs impossible ici (droits)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_real_full_disk_and_read_only_mount(built: Path, tmp_path: Path, small_disk: Path) -> None:
    db = small_disk / "w.duckdb"
    shutil.copyfile(built, db)
    filler = small_disk / "remplissage"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(free - db.stat().st_size // 2, 0))  # la copie ne tient plus
    before = digest(db)
    result = cli("ingest", str(csv_file(tmp_path, "fevrier.csv", "2024-02")), db=db)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "disque plein" in result.stderr and "Traceback" not in result.stderr
    assert digest(db) == before and leftovers(small_disk) == [], leftovers(small_disk)
    filler.unlink()
    (small_disk / "w.duckdb.lock").unlink(missing_ok=True)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = cli("ingest", str(csv_file(tmp_path, "mars.csv", "2024-03")), db=db)
    assert result.returncode == 3 and "lecture seule" in result.stderr and "Traceback" not in result.stderr
    dry = cli("ingest", "--dry-run", str(csv_file(tmp_path, "avril.csv", "2024-04")), db=db)
    assert dry.returncode == 0, dry.stderr
    assert cli("kpi", "--json", db=db).returncode == 0
    # Un fichier refusé garde sa réponse sur un disque en lecture seule (la copie anticipée y échoue, sans bruit).
    bad = tmp_path / "refuse.csv"
    bad.write_text(f"{HEADER}2024-13;BIO;75;10\n", encoding="utf-8")
    refused = cli("ingest", str(bad), db=db)
    assert refused.returncode == 1 and "2024-13" in refused.stdout, (refused.stdout, refused.stderr)
    assert "indisponible" not in refused.stdout + refused.stderr and "Traceback" not in refused.stderr
    assert digest(db) == before


# --- Publication : identifiant neuf, lu par la connexion -----------------------------------------------------------


def test_each_publication_gets_a_new_id(settings: Settings, built: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(built), read_only=True) as con:
        first = publication_id(con)
    assert run(settings, csv_file(tmp_path, "fevrier.csv", "2024-02")).ok
    with duckdb.connect(str(built), read_only=True) as con:
        second = publication_id(con)
    assert first != second and "sans" not in second
    os.utime(built)  # la date seule ne change pas l'identifiant
    with duckdb.connect(str(built), read_only=True) as con:
        assert publication_id(con) == second


@pytest.mark.parametrize("damage", ["pas un entrepôt", "corrompu"])
def test_app_explains_an_unreadable_warehouse(settings: Settings, built: Path, damage: str) -> None:
    from streamlit.testing.v1 import AppTest

    data = built.read_bytes()
    if damage == "pas un entrepôt":
        built.write_bytes(b"ceci n'est pas un entrepot")
    else:
        built.write_bytes(data[:4096] + b"\xde\xad" * ((len(data) - 4096) // 2))
    app = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120).run()
    assert not app.exception
    assert any("Entrepôt" in e.value for e in app.error), [e.value for e in app.error]
