"""Sous charge : un gros import pendant que plusieurs processus lecteurs interrogent l'entrepôt par l'accès aux
données de l'application ; un second import concurrent ; un import tué en plein travail. Tout reste sur la machine."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.intake.validation import finess_with_key
from tests.conftest import TODAY
from tests.test_cli import REPO

ESTABLISHMENTS = 12_000
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def big_feed(path: Path) -> int:
    """Flux par établissement (FINESS fictifs du 35), 12 mois × 2 couloirs : environ 290 000 lignes."""
    finess = [finess_with_key(f"35{i:06d}") for i in range(ESTABLISHMENTS)]
    frame = (
        pl.DataFrame({"finess": finess})
        .join(pl.DataFrame({"mois": MONTHS}), how="cross")
        .join(pl.DataFrame({"couloir": ["HOP", "BIO"]}), how="cross")
    )
    frame = frame.with_columns(
        pl.lit("35").alias("departement"),
        (pl.int_range(0, frame.height) % 97 + 11).alias("documents"),
    )
    frame.write_csv(path, separator=";")
    return int(frame["documents"].sum())


def national_total(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute("SELECT sum(documents) FROM flux_mensuel").fetchall()[0][0])


def reader(db: str, stop_file: str, queue: mp.Queue, after_imports: int) -> None:
    """Un lecteur comme l'application : connexion en lecture seule, requêtes du module `queries`, chiffres clés."""
    os.environ["MES_DB"] = db
    from pipelines.indicators.kpi import key_figures
    from pipelines.warehouse import queries
    from pipelines.warehouse.connection import connect_read

    seen: set[int] = set()
    errors: list[str] = []
    reads = 0
    while not os.path.exists(stop_file):
        try:
            with connect_read(Path(db)) as con:
                total = con.execute("SELECT sum(documents) FROM flux_mensuel").fetchall()[0][0]
                imports = queries.imports(con).height
                key_figures(con)
                # Cohérence interne d'une même version : le registre et les lignes vont ensemble.
                rows_from_last = con.execute(
                    "SELECT count(*) FROM flux_mensuel WHERE import_id = ?", [imports]
                ).fetchall()[0][0]
            seen.add(int(total))
            if imports == after_imports and rows_from_last == 0:
                errors.append("registre publié sans ses lignes")
            reads += 1
        except Exception as exc:  # tout échec d'un lecteur est un défaut
            errors.append(repr(exc))
        time.sleep(0.02)
    queue.put((sorted(seen), errors, reads))


def run_ingest(db: Path, path: Path, wait_s: str = "60") -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "MES_DB": str(db),
        "MES_AUJOURDHUI": TODAY.isoformat(),
        "MES_VERROU_ATTENTE_S": wait_s,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "ingest", str(path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_work_copy(db: Path, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not list(db.parent.glob(f".{db.name}.*.tmp")):
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"l'import s'est terminé avant d'avoir commencé à écrire : {out}{err}")
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.timeout(600)
def test_readers_never_fail_nor_see_half_a_file_and_a_second_writer_is_refused(
    demo_db: Path, tmp_path: Path
) -> None:
    feed = tmp_path / "etablissements.csv"
    added = big_feed(feed)
    before = national_total(demo_db)
    stop_file = tmp_path / "stop"
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    with duckdb.connect(str(demo_db), read_only=True) as con:
        after_imports = int(con.execute("SELECT count(*) FROM imports").fetchall()[0][0]) + 1
    # Lecteurs démons, arrêtés quoi qu'il arrive : un test en échec ne laisse aucun processus qui bloquerait pytest.
    readers = [
        ctx.Process(target=reader, args=(str(demo_db), str(stop_file), queue, after_imports), daemon=True)
        for _ in range(3)
    ]
    for process in readers:
        process.start()
    try:
        first = run_ingest(demo_db, feed)
        wait_for_work_copy(demo_db, first)
        second = run_ingest(demo_db, feed, wait_s="0.5")
        second_out, second_err = second.communicate(timeout=120)
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, out + err
        time.sleep(0.5)
        stop_file.touch()
        results = [queue.get(timeout=60) for _ in readers]
    finally:
        stop_file.touch()
        for process in readers:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()

    after = national_total(demo_db)
    assert after == before + added
    assert second.returncode == 3 and "Un autre import est en cours" in second_err, second_out + second_err
    for seen, errors, reads in results:
        assert errors == []
        assert reads > 0
        assert set(seen) <= {before, after}, "un lecteur a vu un fichier à moitié chargé"
    assert any(after in seen for seen, _, _ in results), "un lecteur après l'import voit tout le fichier"


@pytest.mark.timeout(600)
def test_a_killed_ingest_leaves_the_previous_state(demo_db: Path, tmp_path: Path) -> None:
    feed = tmp_path / "etablissements.csv"
    big_feed(feed)
    before = national_total(demo_db)
    process = run_ingest(demo_db, feed)
    wait_for_work_copy(demo_db, process)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert national_total(demo_db) == before
    # Le prochain import nettoie la copie orpheline et passe.
    small = tmp_path / "petit.csv"
    small.write_text("mois;couloir;documents\n2024-01;BIO;5\n", encoding="utf-8")
    retry = run_ingest(demo_db, small)
    out, err = retry.communicate(timeout=120)
    assert retry.returncode == 0, out + err
    assert national_total(demo_db) == before + 5
    assert not list(demo_db.parent.glob(f".{demo_db.name}.*.tmp*"))
