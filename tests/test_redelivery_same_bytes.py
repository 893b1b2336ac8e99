"""Relivrer les octets du dernier import : la réponse « identique » vient sans relire ni valider le fichier et sans
ouvrir l'entrepôt en écriture (issue 19 : ≤ 0,5 s quelle que soit la taille de l'historique). Tout autre cas suit le
chemin ordinaire, qui compare au contenu courant."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.settings import Settings
from pipelines.warehouse.ingest import Incoming, ingest
from tests.conftest import write_text

A = "mois;couloir;documents\n2025-10;BIO;1000\n2025-10;HOP;2000\n"
B = "mois;couloir;documents\n2025-10;BIO;1500\n2025-10;HOP;2000\n"


def test_the_bytes_of_the_last_import_are_identical_without_reading_the_file(
    settings: Settings, tmp_path: Path
) -> None:
    a = write_text(tmp_path / "a.csv", A)
    [first] = ingest([Incoming(a)], settings=settings)
    db = settings.db_path()
    published, stamp, around = db.read_bytes(), db.stat().st_mtime_ns, sorted(db.parent.iterdir())
    progress: list[str] = []
    [again] = ingest([Incoming(a)], settings=settings, progress=progress.append)
    assert again.statut == "identique" and again.nature == "flux"
    assert again.message.startswith(f"fichier identique à l'import n° {first.import_id} du ")
    assert again.message.endswith(": rien n'a changé") and (again.nouvelles, again.revisees) == (0, 0)
    assert not any("validation" in line or "écriture" in line for line in progress), progress
    assert db.read_bytes() == published and db.stat().st_mtime_ns == stamp
    assert sorted(db.parent.iterdir()) == around  # ni copie de l'entrepôt ni verrou laissés à côté


def test_a_then_b_then_a_is_still_a_revision(settings: Settings, tmp_path: Path) -> None:
    a, b = write_text(tmp_path / "a.csv", A), write_text(tmp_path / "b.csv", B)
    results = [ingest([Incoming(p)], settings=settings)[0] for p in (a, b, a)]
    assert [r.statut for r in results] == ["nouveau", "revision", "revision"]


def test_other_name_other_kind_or_changed_bytes_take_the_ordinary_path(
    settings: Settings, tmp_path: Path
) -> None:
    a = write_text(tmp_path / "a.csv", A)
    ingest([Incoming(a)], settings=settings)
    copy = write_text(tmp_path / "copie.csv", A)
    progress: list[str] = []
    [renamed] = ingest([Incoming(copy)], settings=settings, progress=progress.append)
    assert renamed.statut == "identique"
    assert any("validation" in line for line in progress)  # relu, validé et comparé au contenu courant
    [other_kind] = ingest([Incoming(a)], kind="sons", settings=settings)
    assert other_kind.statut == "refuse"  # les mêmes octets lus comme une autre nature : validés, et refusés
    write_text(a, B)
    os.utime(a)
    [changed] = ingest([Incoming(a)], settings=settings)
    assert changed.statut == "revision" and changed.revisees == 1


def test_a_missing_file_under_the_last_name_is_refused_not_a_failure(
    settings: Settings, tmp_path: Path
) -> None:
    a = write_text(tmp_path / "a.csv", A)
    ingest([Incoming(a)], settings=settings)
    a.unlink()
    [missing] = ingest([Incoming(a)], settings=settings)
    assert missing.statut == "refuse" and "a.csv" in missing.message
