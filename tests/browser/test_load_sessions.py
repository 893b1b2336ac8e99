"""La version courte du banc de charge (`python -m benchmarks.load`, dans `make bench`) : trois sessions de navigateur
qui vont de page en page, de mois en mois et de territoire en territoire contre un vrai serveur, sans aucune erreur.
Aucun temps n'est vérifié ici : les temps sont ceux du banc, écrits dans docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, REPO
from tests.conftest import TODAY

pytestmark = pytest.mark.browser


def test_three_sessions_browse_without_an_error(demo_warehouse_master: Path, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium de Debian absent")
    db = tmp_path / "entrepot.duckdb"
    shutil.copyfile(demo_warehouse_master, db)
    out = tmp_path / "charge.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--sessions", "3", "--secondes", "20", "--db", str(db)]
        + ["--out", str(out)],
        cwd=REPO,
        env={**os.environ, "MES_AUJOURDHUI": TODAY.isoformat()},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["erreurs"] == 0, result["exemples_erreurs"]
    assert result["pages"] >= 3 and result["memoire_serveur_mo"] > 0
