"""Plancher de la commande `ingest` : ce que coûtent, seules, les opérations qu'aucune implémentation ne peut éviter
avec l'entrepôt tel qu'il est (lire le fichier, écrire chaque ligne dans `raw_flux`, écrire les séries des
établissements, démarrer Python). `python -m benchmarks.floor --rows 10000000` (appelé par `make bench`).

Rien n'est validé ni calculé ici : la somme est ce que coûterait une validation et un recalcul instantanés. Elle se
compare au cinquième du temps de la référence pandas (la cible « 5 × pandas »). Une ligne de plus, pour mémoire, mesure
l'écriture des mêmes lignes avec leurs codes en texte, comme `raw_flux` les gardait avant la version 0.3.
Résultats : benchmarks/results/plancher/<lignes>.json, repris par `benchmarks.report`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from benchmarks.generate import write
from benchmarks.run import compile_product
from pipelines.settings import REPO_ROOT, get_settings
from pipelines.warehouse.connection import apply_schema, named_statements
from pipelines.warehouse.flux_codes import encode
from pipelines.warehouse.ingest import Incoming, validate_file

RESULTS = REPO_ROOT / "benchmarks" / "results" / "plancher"
TEXT_RAW = """CREATE TABLE raw_textes (import_id INTEGER, ligne INTEGER, mois DATE, couloir VARCHAR, niveau VARCHAR,
    code_geo VARCHAR, code_region VARCHAR, code_departement VARCHAR, type_document VARCHAR, documents BIGINT)"""


def _median_seconds(action: Callable[[], object], repetitions: int) -> float:
    timings = []
    for _ in range(repetitions):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _median_insert(
    db: Path, prepare: str | None, tables: dict[str, pl.DataFrame], insert: str, repetitions: int
) -> float:
    """Médiane du temps d'une seule instruction d'écriture, dans un entrepôt neuf à chaque passage (sa création
    n'est pas comptée)."""
    timings = []
    for _ in range(repetitions):
        with _fresh(db) as con:
            if prepare:
                con.execute(prepare)
            for name, frame in tables.items():
                con.register(name, frame)
            started = time.perf_counter()
            con.execute(insert, [1] if "?" in insert else [])
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _fresh(db: Path) -> duckdb.DuckDBPyConnection:
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db), config={"memory_limit": f"{get_settings().memoire_max_mo}MB"})
    apply_schema(con)
    return con


def measure(rows: int, work: Path, repetitions: int = 3) -> dict[str, Any]:
    """Les temps (médiane de `repetitions`) des opérations incompressibles, sur le fichier que génère le banc."""
    csv_path, _, actual = write(rows, work / "donnees")
    out: dict[str, float] = {}
    codes = ("mois", "couloir", "type_document", "departement", "finess")
    typed: dict[str, pl.DataType] = {"documents": pl.Int64(), **{c: pl.Categorical() for c in codes}}
    out["lecture_csv"] = _median_seconds(
        lambda: pl.read_csv(csv_path, separator=";", schema_overrides=typed), repetitions
    )

    # Les lignes exactes que la commande écrit : la table validée, telle que `sql/load/flux.sql` la reçoit.
    _, lot, _ = validate_file(Incoming(csv_path), None, get_settings(tranche_seuil_mo=0))
    db = work / "plancher.duckdb"
    with _fresh(db) as con:  # numérotés comme à l'import (pipelines/flux_codes.py), hors mesure
        coded = encode(con, lot)
    insert = named_statements("load/flux.sql")["insert"]
    out["ecriture_raw_flux"] = _median_insert(db, None, {"lot": coded}, insert, repetitions)
    text_insert = (
        "INSERT INTO raw_textes SELECT ?, ligne, mois, couloir, niveau, code_geo, code_region, code_departement, "
        "type_document, documents FROM lot"
    )
    out["ecriture_raw_textes"] = _median_insert(db, TEXT_RAW, {"lot": lot}, text_insert, repetitions)

    # Les séries des établissements : une ligne par valeur et une par mois pour TOUS (ici 5 séries dont 2 réunies en
    # un couloir : 4 couloirs + TOUS par mois, soit autant de lignes que le fichier).
    n = actual
    series = pl.DataFrame(
        {
            "etablissement_id": (pl.int_range(n, eager=True) // 300).cast(pl.Int32),
            "couloir_id": (pl.int_range(n, eager=True) % 5).cast(pl.Int32),
            "mois": pl.date_range(pl.date(2021, 7, 1), pl.date(2026, 6, 1), "1mo", eager=True).sample(
                n, with_replacement=True, seed=1
            ),
            **{
                c: pl.int_range(n, eager=True)
                for c in ("documents", "documents_m1", "documents_m12", "cumul_12_mois")
            },
            "donnees_demo": pl.repeat(False, n, eager=True),
        }
    )

    store = named_statements("queries/indicateurs_etablissements.sql")["store_series"]
    out["ecriture_series"] = _median_insert(db, None, {"series_calculees": series}, store, repetitions)
    start = [sys.executable, "-c", "import pipelines.warehouse.ingest, pipelines.indicators.refresh"]
    compile_product()
    out["demarrage"] = _median_seconds(lambda: subprocess.run(start, cwd=REPO_ROOT, check=True), repetitions)
    out["somme"] = out["lecture_csv"] + out["ecriture_raw_flux"] + out["ecriture_series"] + out["demarrage"]
    return {"lignes": actual, "mesures": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mes-plancher-") as tmp:
        result = measure(args.rows, Path(tmp), args.repetitions)
    (RESULTS / f"{args.rows}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
