"""L'application sous charge : `python -m benchmarks.load --sessions 20 --secondes 120 [--db ENTREPOT | --rows N]`.

Un vrai serveur (`python -m pipelines serve`, 127.0.0.1) et Chromium sans écran : chaque session est un contexte de
navigateur séparé qui va de page en page en changeant de mois et de géographie (par l'adresse, comme un lien partagé),
pendant la durée donnée. Mesuré : nombre de pages, erreurs (exception affichée, page sans titre), temps jusqu'à la
page dessinée (titre affiché, plus de calcul en cours) en médiane et 95e centile, mémoire de pointe du
serveur. Résultats : benchmarks/results/charge.json et une ligne en français sur la sortie.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import formats
from pipelines.serve import local_server
from pipelines.settings import REPO_ROOT

PAGES = ["", "couloirs", "territoires", "sons", "sunes", "usages", "etablissements", "donnees", "methode"]
MONTHS = ["2025-10", "2025-09", "2025-06", "2024-12"]
GEOGRAPHIES = [{}, {"region": "53"}, {"region": "11"}, {"departement": "35"}, {"departement": "93"}]
CHROMIUM = "/usr/bin/chromium"


@dataclass
class Run:
    """Ce que les sessions ont vu : le temps de chaque page, et chaque erreur avec son adresse."""

    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.seconds)
        p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else None
        return {
            "pages": len(ordered),
            "erreurs": len(self.errors),
            "exemples_erreurs": self.errors[:10],
            "mediane_s": statistics.median(ordered) if ordered else None,
            "p95_s": p95,
        }


def peak_memory_mb(pid: int) -> float | None:
    """La mémoire résidente de pointe d'un processus (VmHWM), en Mo."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _session(browser: Any, url: str, until: float, seed: int, run: Run) -> None:
    chooser = random.Random(seed)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = await context.new_page()
    try:
        while time.monotonic() < until:
            query = {"mois": chooser.choice(MONTHS), **chooser.choice(GEOGRAPHIES)}
            address = f"{url}/{chooser.choice(PAGES)}?" + "&".join(f"{k}={v}" for k, v in query.items())
            started = time.perf_counter()
            try:
                await page.goto(address)
                await page.locator("h1").first.wait_for(timeout=60_000)
                await page.locator('[data-testid="stStatusWidget"]').wait_for(
                    state="detached", timeout=60_000
                )
                if await page.locator('[data-testid="stException"]').count():
                    run.errors.append(f"{address} : exception affichée")
                    continue
                run.seconds.append(time.perf_counter() - started)
            except (
                Exception
            ) as exc:  # une page qui ne se dessine pas est une erreur de la charge, pas du banc
                run.errors.append(f"{address} : {type(exc).__name__}")
    finally:
        await context.close()


async def _drive(url: str, sessions: int, seconds: float) -> Run:
    from playwright.async_api import async_playwright

    run = Run()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        until = time.monotonic() + seconds
        await asyncio.gather(*(_session(browser, url, until, seed, run) for seed in range(sessions)))
        await browser.close()
    return run


def load_run(db: Path, sessions: int, seconds: float, today: str | None = None) -> dict[str, Any]:
    """`sessions` sessions pendant `seconds` secondes contre un serveur neuf sur `db` ; le serveur est arrêté en
    sortie."""
    env = {"MES_DB": str(db), **({"MES_AUJOURDHUI": today} if today else {})}
    with local_server(env) as (process, url):
        run = asyncio.run(_drive(url, sessions, seconds))
        memory = peak_memory_mb(process.pid)
    return {"sessions": sessions, "duree_s": seconds, **run.summary(), "memoire_serveur_mo": memory}


def _warehouse(rows: int, folder: Path) -> Path:
    """Un entrepôt de `rows` lignes de flux par établissement (benchmarks.generate), référence comprise."""
    from benchmarks.generate import write
    from benchmarks.run import reference_warehouse

    _, parquet, _ = write(rows, folder)
    db = folder / "charge.duckdb"
    reference_warehouse(db)
    subprocess.run(
        [sys.executable, "-m", "pipelines", "ingest", str(parquet), "--db", str(db)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    return db


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--secondes", type=float, default=120)
    parser.add_argument(
        "--db", type=Path, help="entrepôt à servir (sinon un entrepôt de --rows lignes est construit)"
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "benchmarks" / "results" / "charge.json",
        help="fichier de résultats",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mes-charge-") as tmp:
        db = args.db or _warehouse(args.rows, Path(tmp))
        result = load_run(db, args.sessions, args.secondes)
    result["entrepot"] = str(args.db) if args.db else f"{args.rows} lignes générées"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    memory = formats.integer(result["memoire_serveur_mo"])
    print(
        f"{result['sessions']} sessions, {formats.integer(result['duree_s'])} s : {result['pages']} pages, "
        f"{result['erreurs']} erreur(s) ; médiane {formats.decimal(result['mediane_s'], 2)} s, 95e centile "
        f"{formats.decimal(result['p95_s'], 2)} s ; mémoire du serveur {memory} Mo"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
