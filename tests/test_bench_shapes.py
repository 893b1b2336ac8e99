"""Le banc des formes de fichier en miniature, pour qu'il ne se périme pas : chaque forme s'importe (la commande
échoue sinon) et le tableau se lit. Aucun temps n'est vérifié."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from benchmarks.generate import MONTHS
from benchmarks.report import shape_spread
from benchmarks.run import reference_warehouse
from benchmarks.shapes import ONE_COULOIR, one_couloir_feed, run_shape, table
from pipelines import formats


def test_one_couloir_shape_has_no_departement_and_one_couloir_per_establishment() -> None:
    frame = one_couloir_feed(1200)
    assert frame.columns == ["mois", "couloir", "finess", "documents"]
    assert frame.height == 1200 and frame["finess"].n_unique() == 1200 // len(MONTHS)
    per_establishment = frame.group_by("finess").agg(pl.col("couloir").n_unique().alias("n"))
    assert per_establishment["n"].max() == 1
    assert set(frame["couloir"].unique()) == set(ONE_COULOIR)


def test_tiny_shapes_run_imports_each_shape(tmp_path: Path) -> None:
    base = tmp_path / "base.duckdb"
    reference_warehouse(base)
    results = [run_shape(shape, 1200, tmp_path, base, repetitions=2) for shape in ("series", "un_couloir")]
    assert [r["lignes"] for r in results] == [1200, 1200]
    assert all(r["ingest"]["lignes_par_s"] > 0 and r["pandas_lire_sommer"]["secondes"] > 0 for r in results)
    # Deux passages de chaque, en alternance : le médian est retenu, l'écart se lit dans le rapport.
    assert all(len(r["ingest"]["passages"]) == len(r["pandas_lire_sommer"]["passages"]) == 2 for r in results)
    assert all("médiane de 2 passages" in shape_spread(r) for r in results)
    text = table(results)
    assert "un couloir par établissement" in text and formats.integer(1200) in text
