"""La boucle commune des bancs annexes (`benchmarks.monthly`, `benchmarks.shapes`) : une taille, un fichier de
résultats avec la machine, dans un dossier temporaire partagé. Aucun temps n'est vérifié."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import benchmarks.run
from benchmarks import shapes
from benchmarks.run import measure_sizes, size_parser


def test_size_parser_takes_the_first_docstring_line_and_rows() -> None:
    parser = size_parser("benchmarks.exemple", "Un banc.\n\nLe détail.", [10, 20])
    assert parser.prog == "python -m benchmarks.exemple" and parser.description == "Un banc."
    assert parser.parse_args([]).rows == [10, 20]
    assert parser.parse_args(["--rows", "5"]).rows == [5]


def test_measure_sizes_writes_one_file_per_size_in_a_shared_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(benchmarks.run, "RESULTS", tmp_path / "resultats")
    folders: list[Path] = []

    def measure(rows: int, work: Path) -> dict[str, Any]:
        folders.append(work)
        return {"lignes": rows}

    results = measure_sizes([3, 4], "essai", measure)
    assert [r["lignes"] for r in results] == [3, 4] and len(set(folders)) == 1
    assert not folders[0].exists()
    written = json.loads((tmp_path / "resultats" / "essai_4.json").read_text(encoding="utf-8"))
    assert written["lignes"] == 4 and written["machine"]["processeurs"] > 0


def test_shapes_main_writes_every_shape_and_prints_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(benchmarks.run, "RESULTS", tmp_path)
    assert shapes.main(["--rows", "1200", "--formes", "un_couloir", "--repetitions", "1"]) == 0
    written = json.loads((tmp_path / "formes_1200.json").read_text(encoding="utf-8"))
    assert [r["forme"] for r in written["formes"]] == ["un_couloir"] and "machine" in written
    assert "un couloir par établissement" in capsys.readouterr().out
