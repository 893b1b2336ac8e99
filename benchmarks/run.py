"""Banc d'essai : `make bench` (ou `python -m benchmarks.run --rows 1000000 10000000`).

Pour chaque taille : génère les fichiers, puis mesure dans des processus séparés (temps et mémoire de pointe) :
import CSV et Parquet, recalcul des indicateurs, chiffres clés, rendu des pages (froid, chaud), référence pandas.
Les résultats vont dans benchmarks/results/<lignes>.json ; `benchmarks.report` en fait docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import compileall
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.generate import write
from pipelines import formats
from pipelines.settings import REFERENCE_DIR, REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results"


def _rss_wrapper(command: list[str]) -> list[str]:
    """`/usr/bin/time -f %M` donne la mémoire de pointe du processus enfant (Ko)."""
    return ["/usr/bin/time", "-f", "RSS_KO=%M", *command] if Path("/usr/bin/time").exists() else command


def reference_warehouse(db: Path) -> None:
    """Un entrepôt neuf qui n'a que la référence (populations, cibles), comme avant une première livraison."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines",
            "ingest",
            str(REFERENCE_DIR / "population.csv"),
            str(REFERENCE_DIR / "cibles.csv"),
            "--db",
            str(db),
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )


def run_size(rows: int, work: Path, pages: bool = True, repetitions: int = 3) -> dict[str, Any]:
    """Mesures d'une taille. Import et recalcul sont répétés (`repetitions` passages, entrepôt neuf à chaque import) :
    la médiane est retenue, tous les passages sont gardés (`passages`) — d'un passage à l'autre, cette machine varie
    de 10 à 15 %."""
    py = sys.executable
    csv_path, parquet_path, actual = write(rows, work / "donnees")
    base = work / "base.duckdb"
    if not base.exists():
        reference_warehouse(base)
    out: dict[str, Any] = {"lignes": actual}
    # La référence pandas est répétée elle aussi (le rapport en dépend autant que de nous), sauf au-delà de 10 M de
    # lignes où un passage dure plusieurs minutes ; ses passages alternent avec ceux de l'import CSV, pour que les deux
    # côtés du rapport voient les mêmes moments de la machine (sa vitesse varie parfois de moitié d'une heure à
    # l'autre).
    pandas_runs = repetitions if rows <= 10_000_000 else 1
    population = REFERENCE_DIR / "population.csv"
    pandas_command = [py, "-m", "benchmarks.steps", "pandas", str(csv_path), str(population)]
    pandas: list[dict[str, Any]] = []
    for fmt, path in (("csv", csv_path), ("parquet", parquet_path)):
        db = work / f"{fmt}_{rows}.duckdb"
        runs = []
        for repetition in range(repetitions):
            shutil.copyfile(base, db)
            step = timed_rss([py, "-m", "benchmarks.steps", "ingest", str(db), str(path)])
            phases = step["mesures"]
            # Débit d'import : lecture, validation et chargement (le recalcul est mesuré à part, comme dans l'issue).
            step["import_s"] = phases["lecture_validation"] + phases["chargement"]
            step["lignes_par_s"] = actual / step["import_s"]
            runs.append(step)
            if fmt == "csv" and repetition < pandas_runs:
                pandas.append(timed_rss(pandas_command))
        out[f"import_{fmt}"] = median_run(runs, "import_s")
        # La commande entière de chaque passage (recalcul et publication compris), pour le rapport à pandas.
        out[f"import_{fmt}"]["commandes_s"] = [r["secondes"] for r in runs]
    out["pandas"] = median_run(pandas, "secondes")
    parquet_db = str(work / f"parquet_{rows}.duckdb")
    refreshes = [timed_rss([py, "-m", "benchmarks.steps", "refresh", parquet_db]) for _ in range(repetitions)]
    out["recalcul"] = median_run(refreshes, "secondes", inner=True)
    out["kpi"] = timed_rss([py, "-m", "benchmarks.steps", "kpi", parquet_db])
    out["ruptures"] = timed_rss([py, "-m", "benchmarks.steps", "ruptures", parquet_db])
    if pages:
        out["pages"] = timed_rss([py, "-m", "benchmarks.steps", "pages", parquet_db])
    # Médiane contre médiane : la commande `ingest` entière (CSV) et la référence pandas, passages alternés.
    ours = statistics.median(out["import_csv"]["commandes_s"])
    out["rapport_pandas"] = out["pandas"]["secondes"] / ours
    return out


def median_run(runs: list[dict[str, Any]], key: str, inner: bool = False) -> dict[str, Any]:
    """Le passage médian selon `key` (dans `mesures` si `inner`), avec la liste de tous les passages ; la mémoire
    retenue est la plus haute des passages."""

    def value(run: dict[str, Any]) -> float:
        return float(run["mesures"][key] if inner else run[key])

    ordered = sorted(runs, key=value)
    median = dict(ordered[len(ordered) // 2])
    median["passages"] = [value(r) for r in runs]
    median["rss_max_mo"] = max((r.get("rss_max_mo") or 0) for r in runs) or None
    return median


@functools.cache
def compile_product() -> None:
    """Compile une fois le code du produit en bytecode (`__pycache__`), comme pip le fait à l'installation : une
    commande mesurée ne recompile pas ses modules à chaque lancement, même là où PYTHONDONTWRITEBYTECODE empêche
    Python de garder ce qu'il compile (≈ 0,1 s par commande sur cette machine)."""
    for package in ("pipelines", "app_pages"):
        compileall.compile_dir(REPO_ROOT / package, quiet=1)


def timed_rss(command: list[str]) -> dict[str, Any]:
    compile_product()
    started = time.perf_counter()
    completed = subprocess.run(_rss_wrapper(command), cwd=REPO_ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} a échoué :\n{completed.stderr[-3000:]}")
    rss = [line for line in completed.stderr.splitlines() if line.startswith("RSS_KO=")]
    result: dict[str, Any] = {
        "secondes": elapsed,
        "rss_max_mo": int(rss[-1].split("=")[1]) / 1024 if rss else None,
    }
    lines = [line for line in completed.stdout.strip().splitlines() if line.startswith("{")]
    if lines:
        result["mesures"] = json.loads(lines[-1])
    return result


def machine() -> dict[str, Any]:
    import duckdb
    import pandas
    import polars
    import streamlit

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "produit": project["version"],
        "processeurs": os.cpu_count(),
        "memoire_go": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "systeme": platform.platform(),
        "versions": {
            "duckdb": duckdb.__version__,
            "polars": polars.__version__,
            "pandas": pandas.__version__,
            "streamlit": streamlit.__version__,
        },
    }


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Les mesures d'une taille en JSON indenté, accents gardés : `benchmarks.report` les relit, un humain aussi."""
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


def size_parser(module: str, doc: str, rows: list[int]) -> argparse.ArgumentParser:
    """L'analyseur d'un banc annexe `python -m <module>` : la première ligne de sa docstring, et `--rows`."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=rows)
    return parser


def measure_sizes(
    rows: list[int], name: str, measure: Callable[[int, Path], dict[str, Any]], out: Path | None = None
) -> list[dict[str, Any]]:
    """Mesure chaque taille, écrit ses résultats et la machine dans `out`/<name>_<lignes>.json (par défaut
    benchmarks/results).

    Toutes les tailles partagent un dossier temporaire : ce qu'une mesure y prépare une fois (l'entrepôt de
    référence) sert aux suivantes."""
    folder = RESULTS if out is None else out
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix=f"mes-bench-{name}-") as tmp:
        for size in rows:
            result = {"machine": machine(), **measure(size, Path(tmp))}
            write_result(folder / f"{name}_{size}.json", result)
            results.append(result)
            print(f"{formats.integer(size)} lignes mesurées", file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000, 30_000_000])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--sans-pages", action="store_true", help="ne pas mesurer le rendu des pages")
    parser.add_argument(
        "--repetitions", type=int, default=3, help="passages d'import et de recalcul (médiane)"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mes-bench-") as tmp:
        for rows in args.rows:
            print(f"[banc] {rows:,} lignes…".replace(",", " "), file=sys.stderr, flush=True)
            result = {
                "machine": machine(),
                **run_size(rows, Path(tmp), pages=not args.sans_pages, repetitions=args.repetitions),
            }
            write_result(args.out / f"{rows}.json", result)
            print(
                json.dumps({k: v for k, v in result.items() if k != "machine"}, ensure_ascii=False)[:400],
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
