"""Banc des formes de fichier : `python -m benchmarks.shapes --rows 10000000`.

Le premier chargement ne se mesure pas que sur la forme de `benchmarks.generate` (cinq séries par établissement, avec
le département). Forme « un couloir par établissement » : environ 170 000 établissements qui n'envoient chacun que
dans un couloir, colonnes `mois;couloir;finess;documents`, sans département (il se déduit du FINESS). Pour chaque
forme : la commande `ingest` entière dans un entrepôt neuf (temps, lignes par seconde, mémoire de pointe), et à côté
le script pandas de dix lignes qui ne fait que lire le fichier et sommer par mois, couloir et établissement.
Résultats : benchmarks/results/formes_<lignes>.json, et un tableau en français sur la sortie.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.generate import MONTHS, feed
from benchmarks.run import measure_sizes, median_run, reference_warehouse, size_parser, timed_rss
from pipelines import formats
from pipelines.intake.validation import finess_with_key
from pipelines.warehouse.reference import load_reference

ONE_COULOIR = ("HOP", "BIO", "RAD", "MDV", "PHA")
SHAPES = {
    "series": "cinq séries par établissement, avec le département (benchmarks.generate)",
    "un_couloir": "un couloir par établissement, sans département (≈ 170 000 établissements à 10 M de lignes)",
}


def one_couloir_feed(rows: int) -> pl.DataFrame:
    """Environ `rows` lignes : `rows / 60` établissements, un couloir chacun, 60 mois, sans colonne département."""
    establishments = max(1, rows // len(MONTHS))
    departements = sorted(load_reference().departements)
    bodies = [f"{departements[i % len(departements)][:2]}{i:06d}" for i in range(establishments)]
    etab = pl.DataFrame(
        {
            "i": list(range(establishments)),
            "finess": [finess_with_key(body) for body in bodies],
            "couloir": [ONE_COULOIR[i % len(ONE_COULOIR)] for i in range(establishments)],
        }
    )
    months = pl.DataFrame({"mois": MONTHS, "m": list(range(len(MONTHS)))})
    documents = (pl.col("i") * 7919 + pl.col("m") * 31) % 200 + 20 + pl.col("m") * 3
    return (
        etab.join(months, how="cross")
        .select("mois", "couloir", "finess", documents.cast(pl.Int64).alias("documents"))
        .sort("mois", "finess")
    )


def pandas_read_and_sum(csv_path: str) -> dict[str, float]:
    """Le script pandas de référence : lire le fichier, sommer par mois et couloir, et par mois et établissement."""
    import time

    import pandas as pd

    started = time.perf_counter()
    raw = pd.read_csv(csv_path, sep=";", dtype={"finess": str, "departement": str})
    by_couloir = raw.groupby(["mois", "couloir"], as_index=False)["documents"].sum()
    by_etablissement = raw.groupby(["mois", "finess"], as_index=False)["documents"].sum()
    assert len(by_couloir) and len(by_etablissement)
    return {"secondes": time.perf_counter() - started}


def run_shape(shape: str, rows: int, work: Path, base: Path, repetitions: int = 3) -> dict[str, Any]:
    """Une forme : `repetitions` passages de la commande `ingest` (entrepôt neuf à chaque fois) et du script pandas,
    en alternance ; le passage médian de chacun est retenu, tous sont gardés (`passages`), la mémoire est la plus
    haute. Un seul passage ne dit rien de sûr : d'une heure à l'autre, cette machine varie de moitié."""
    py = sys.executable
    frame = feed(rows) if shape == "series" else one_couloir_feed(rows)
    csv_path = work / f"{shape}_{rows}.csv"
    frame.write_csv(csv_path, separator=";")
    out: dict[str, Any] = {
        "forme": shape,
        "description": SHAPES[shape],
        "lignes": frame.height,
        "etablissements": frame["finess"].n_unique(),
        "colonnes": frame.columns,
    }
    del frame
    db = work / f"{shape}_{rows}.duckdb"
    ours, theirs = [], []
    for _ in range(repetitions):
        shutil.copyfile(base, db)
        ours.append(timed_rss([py, "-m", "benchmarks.steps", "ingest", str(db), str(csv_path)]))
        theirs.append(timed_rss([py, "-m", "benchmarks.shapes", "--pandas", str(csv_path)]))
    for key, runs in (("ingest", ours), ("pandas_lire_sommer", theirs)):
        for run in runs:
            run["lignes_par_s"] = out["lignes"] / run["secondes"]
        out[key] = median_run(runs, "secondes")
    db.unlink()
    csv_path.unlink()
    return out


def table(results: list[dict[str, Any]]) -> str:
    """Le tableau Markdown : une ligne par forme et par taille."""
    lines = [
        "| forme | lignes | établissements | `ingest` entier (lignes/s, mémoire) | pandas lire et sommer (lignes/s) |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        ours, pandas = r["ingest"], r["pandas_lire_sommer"]
        lines.append(
            f"| {r['description']} | {formats.integer(r['lignes'])} | {formats.integer(r['etablissements'])} "
            f"| {formats.decimal(ours['secondes'], 2)} s ({formats.decimal(ours['lignes_par_s'] / 1e6, 2)} M/s, "
            f"{formats.integer(ours['rss_max_mo'])} Mo) "
            f"| {formats.decimal(pandas['secondes'], 2)} s ({formats.decimal(pandas['lignes_par_s'] / 1e6, 2)} M/s) |"
        )
    return "\n".join(lines)


def run_shapes(shapes: list[str], rows: int, work: Path, repetitions: int = 3) -> dict[str, Any]:
    """Les formes demandées à une taille ; l'entrepôt de référence se prépare une fois pour toutes les tailles."""
    base = work / "base.duckdb"
    if not base.exists():
        reference_warehouse(base)
    return {"formes": [run_shape(shape, rows, work, base, repetitions) for shape in shapes]}


def main(argv: list[str] | None = None) -> int:
    parser = size_parser("benchmarks.shapes", __doc__, [10_000_000])
    parser.add_argument("--formes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    parser.add_argument(
        "--repetitions", type=int, default=3, help="passages de chaque commande, en alternance (défaut : 3)"
    )
    parser.add_argument(
        "--pandas", metavar="CSV", help="(interne) le script pandas de référence sur ce fichier"
    )
    args = parser.parse_args(argv)
    if args.pandas:
        print(json.dumps(pandas_read_and_sum(args.pandas)))
        return 0
    results = measure_sizes(
        args.rows, "formes", lambda rows, work: run_shapes(args.formes, rows, work, args.repetitions)
    )
    print(table([shape for result in results for shape in result["formes"]]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
