"""Banc d'essai des livraisons mensuelles : `python -m benchmarks.monthly --rows 1000000 10000000`.

Pour chaque taille d'historique (les flux par établissement de `benchmarks.generate`, 60 mois) : premier chargement
des 59 premiers mois, puis, chacune dans son propre processus (temps et mémoire de pointe), la livraison du 60e mois
(1/60 des lignes), sa relivraison à l'identique et la révision d'un mois ancien ; à côté, la copie du fichier de
l'entrepôt que fait chaque import (publication) et la chaîne pandas relancée sur tout l'historique (ce que ferait un
script mensuel). Résultats : benchmarks/results/mensuel_<lignes>.json, et un tableau en français sur la sortie.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.generate import MONTHS, feed
from benchmarks.run import measure_sizes, reference_warehouse, size_parser, timed_rss
from pipelines import formats
from pipelines.settings import REFERENCE_DIR

REVISED_MONTH = MONTHS[10]


def files(rows: int, folder: Path) -> dict[str, Path]:
    """Historique (59 mois), livraison du dernier mois, révision d'un mois ancien (+1 document par ligne)."""
    frame = feed(rows)
    folder.mkdir(parents=True, exist_ok=True)
    parts = {
        "historique": frame.filter(pl.col("mois") != MONTHS[-1]),
        "mois": frame.filter(pl.col("mois") == MONTHS[-1]),
        "revision": frame.filter(pl.col("mois") == REVISED_MONTH).with_columns(pl.col("documents") + 1),
        "complet": frame,
    }
    paths = {}
    for name, part in parts.items():
        paths[name] = folder / f"{name}_{rows}.csv"
        part.write_csv(paths[name], separator=";")
    return paths


def copy_seconds(db: Path, repetitions: int = 3) -> float:
    """La copie du fichier de l'entrepôt qu'un import fait avant d'écrire (médiane)."""
    times = []
    for _ in range(repetitions):
        target = db.with_name(db.name + ".copie")
        started = time.perf_counter()
        shutil.copyfile(db, target)
        times.append(time.perf_counter() - started)
        target.unlink()
    return sorted(times)[len(times) // 2]


def run_size(rows: int, work: Path, pandas: bool) -> dict[str, Any]:
    py = sys.executable
    paths = files(rows, work / "donnees")
    db = work / f"mensuel_{rows}.duckdb"
    db.unlink(missing_ok=True)
    reference_warehouse(db)
    step = [py, "-m", "benchmarks.steps", "ingest", str(db)]
    out: dict[str, Any] = {
        "lignes_historique": pl.scan_csv(paths["historique"], separator=";").select(pl.len()).collect().item()
    }
    out["premier_chargement"] = timed_rss([*step, str(paths["historique"])])
    out["livraison_mensuelle"] = timed_rss([*step, str(paths["mois"])])
    out["relivraison_identique"] = timed_rss([*step, str(paths["mois"])])
    out["revision_mois_ancien"] = timed_rss([*step, str(paths["revision"])])
    out["taille_entrepot_mo"] = db.stat().st_size / 2**20
    out["copie_entrepot_s"] = copy_seconds(db)
    if pandas:
        population = REFERENCE_DIR / "population.csv"
        out["pandas_historique_complet"] = timed_rss(
            [py, "-m", "benchmarks.steps", "pandas", str(paths["complet"]), str(population)]
        )
    first = out["premier_chargement"]["secondes"]
    for key in ("livraison_mensuelle", "relivraison_identique", "revision_mois_ancien"):
        out[key]["part_du_premier_chargement"] = out[key]["secondes"] / first
    return out


def table(results: list[dict[str, Any]]) -> str:
    """Le tableau Markdown des mesures, une ligne par taille d'historique."""
    lines = [
        "| historique | premier chargement | mois livré (1/60) | relivraison identique | révision d'un mois ancien "
        "| copie de l'entrepôt | pandas sur tout l'historique |",
        "|---|---|---|---|---|---|---|",
    ]

    def cell(step: dict[str, Any]) -> str:
        share = step.get("part_du_premier_chargement")
        extra = f", {formats.percent(share, 0)} du premier" if share is not None else ""
        return f"{formats.decimal(step['secondes'], 2)} s ({formats.integer(step['rss_max_mo'])} Mo{extra})"

    for r in results:
        pandas = cell(r["pandas_historique_complet"]) if "pandas_historique_complet" in r else "—"
        lines.append(
            f"| {formats.integer(r['lignes_historique'])} lignes ({formats.integer(r['taille_entrepot_mo'])} Mo) "
            f"| {cell(r['premier_chargement'])} | {cell(r['livraison_mensuelle'])} "
            f"| {cell(r['relivraison_identique'])} | {cell(r['revision_mois_ancien'])} "
            f"| {formats.decimal(r['copie_entrepot_s'], 2)} s | {pandas} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = size_parser("benchmarks.monthly", __doc__, [1_000_000, 10_000_000])
    parser.add_argument("--sans-pandas", action="store_true", help="ne pas relancer la chaîne pandas")
    args = parser.parse_args(argv)
    results = measure_sizes(
        args.rows,
        "mensuel",
        lambda rows, work: run_size(rows, work, pandas=not args.sans_pandas and rows <= 10_000_000),
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
