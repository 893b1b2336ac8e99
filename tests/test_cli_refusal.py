"""Un fichier refusé par `python -m pipelines ingest` : chaque problème est écrit une fois, dans le compte rendu
(sortie standard) ; le fil des étapes (sortie d'erreur) n'en dit que l'issue."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_text
from tests.test_cli import cli

PROBLEMS = (
    "mauvais.csv, ligne 2, colonne « documents » : nombre négatif (valeur « -3 »)",
    "mauvais.csv, ligne 3, colonne « couloir » : couloir inconnu",
)


@pytest.mark.parametrize("options", [[], ["--dry-run"]])
def test_each_problem_is_printed_once(tmp_path: Path, options: list[str]) -> None:
    bad = write_text(tmp_path / "mauvais.csv", "mois;couloir;documents\n2024-01;BIO;-3\n2024-02;XYZ;4\n")
    result = cli("ingest", *options, str(bad), db=tmp_path / "entrepot.duckdb")
    assert result.returncode == 1
    for problem in PROBLEMS:
        assert result.stdout.count(problem) == 1 and problem not in result.stderr
    assert result.stdout.count("Fichier refusé : mauvais.csv") == 1
    assert "mauvais.csv : refusé, 2 problème(s)" in result.stderr
    assert not (tmp_path / "entrepot.duckdb").exists()  # rien n'a été écrit
