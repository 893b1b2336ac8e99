"""La version courte du banc de charge (`python -m benchmarks.load`, dans `make bench`) : des sessions qui restent
ouvertes et vont de page en page, de mois en mois et de territoire en territoire dans l'application (protocole de
Streamlit), une session de Chromium qui fait de même, des onglets neufs ; et vingt sessions ouvertes d'un coup sur un
serveur neuf. Aucun temps n'est vérifié ici : les temps sont ceux du banc, écrits dans docs/PERFORMANCE.md."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.load import ProtocolSession, next_gesture, problem
from tests.browser.conftest import CHROMIUM, REPO, serve_demo
from tests.conftest import TODAY

pytestmark = pytest.mark.browser


def test_sessions_browse_inside_the_app_without_an_error(demo_warehouse_master: Path, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium de Debian absent")
    db = tmp_path / "entrepot.duckdb"
    db.write_bytes(demo_warehouse_master.read_bytes())
    out = tmp_path / "charge.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--sessions", "3", "--secondes", "20", "--db", str(db)]
        + ["--pause", "0.5", "--onglets", "1", "--releve", "2", "--out", str(out)],
        cwd=REPO,
        env={**os.environ, "MES_AUJOURDHUI": TODAY.isoformat()},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["erreurs"] == 0, result["exemples_erreurs"]
    # Trois sessions, 20 s, une pause de 0,5 s en moyenne : bien plus de trois changements, de chaque sorte.
    assert result["pages"] >= 6
    assert set(result["par_geste"]) == {"page", "mois", "geographie"}
    browser = result["navigateur_pendant_la_charge"]
    assert browser["erreurs"] == 0, browser["exemples_erreurs"]
    assert browser["pages"] >= 1
    tab = result["nouvel_onglet"]["serveur_chaud"]
    assert tab["onglets"] == 1
    parts = ("paquet_statique_s", "connexion_s", "passage_du_script_s", "dessin_s")
    assert all(tab[part] >= 0 for part in parts)
    assert sum(tab[part] for part in parts) == pytest.approx(tab["total_s"], abs=0.05)
    assert result["memoire_serveur_mo"] > 0 and result["processeur_serveur_s"] > 0
    # Relevée toutes les 2 s pendant les 20 s : une dizaine de relevés, dans l'ordre, jamais au-delà de la pointe.
    samples = result["memoire_au_fil_mo"]
    assert len(samples) >= 8 and [t for t, _ in samples] == sorted(t for t, _ in samples)
    assert all(0 < mo <= result["memoire_serveur_mo"] for _, mo in samples)


async def _open_together(url: str, count: int) -> list[str | None]:
    """`count` sessions ouvertes en même temps, puis un geste chacune : ce qui a mal tourné pour chacune."""

    async def one(seed: int) -> str | None:
        session = ProtocolSession(url)
        try:
            trouble = problem(await asyncio.wait_for(session.open(), 120))
            if trouble is None:
                _, page, changes = next_gesture(session, random.Random(seed))
                trouble = problem(await asyncio.wait_for(session.rerun(page, changes), 120))
            return trouble
        finally:
            await session.close()

    return await asyncio.gather(*(one(seed) for seed in range(count)))


def test_twenty_sessions_opened_together_on_a_fresh_server(
    demo_warehouse_master: Path, tmp_path: Path
) -> None:
    """Vingt premiers passages en même temps, sur un serveur qui n'a encore rien importé ni rien en cache : aucune
    exception (un module à moitié importé), aucun serveur figé (un calcul de Polars qui attend le verrou de Python)."""
    # Dans un fil à part : les tests de navigateur de la même session pytest laissent une boucle asyncio en cours
    # dans le fil principal (API synchrone de Playwright), où `asyncio.run` est refusé.
    with serve_demo(demo_warehouse_master, tmp_path) as (url, _), ThreadPoolExecutor(max_workers=1) as runner:
        troubles = runner.submit(asyncio.run, _open_together(url, 20)).result()
    assert troubles == [None] * 20
