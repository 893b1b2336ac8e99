"""Le banc d'essai en miniature (quelques milliers de lignes), pour qu'il ne se périme pas. Aucun temps n'est
vérifié : seulement que chaque étape tourne et rend ses mesures."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from benchmarks.floor import measure
from benchmarks.generate import MONTHS, SERIES, feed
from benchmarks.report import floor_table
from benchmarks.run import run_size


def test_generated_feed_is_deterministic_and_valid() -> None:
    first, second = feed(3000), feed(3000)
    assert first.equals(second)
    assert first.height == 3000 // (len(MONTHS) * len(SERIES)) * len(MONTHS) * len(SERIES)
    assert first["finess"].str.len_chars().unique().to_list() == [9]
    assert (first["documents"] > 0).all()


def test_tiny_benchmark_run_measures_every_step(tmp_path: Path) -> None:
    result = run_size(3000, tmp_path, pages=True, repetitions=2)
    assert result["lignes"] == 3000
    for step in ("import_csv", "import_parquet", "recalcul", "kpi", "ruptures", "pages", "pandas"):
        assert result[step]["secondes"] > 0, step
    assert result["import_csv"]["lignes_par_s"] > 0 and result["rapport_pandas"] > 0
    assert len(result["import_csv"]["passages"]) == 2 and len(result["recalcul"]["passages"]) == 2
    assert set(result["pages"]["mesures"]) >= {"vue_ensemble", "territoires", "donnees"}
    assert result["recalcul"]["mesures"]["secondes"] > 0 and result["kpi"]["mesures"]["mediane_s"] > 0
    # Le banc importe un fichier valide : l'entrepôt mesuré contient bien les lignes générées.
    import duckdb

    with duckdb.connect(str(tmp_path / "parquet_3000.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM flux_mensuel WHERE niveau = 'etablissement'").fetchall() == [
            (3000,)
        ]
        # Un établissement × mois × couloir (les deux types HOP réunis), plus TOUS.
        couloirs = len({couloir for couloir, _ in SERIES})
        establishments = 3000 // (len(MONTHS) * len(SERIES))
        assert con.execute("SELECT count(*) FROM indicateurs_etablissements").fetchall() == [
            (establishments * len(MONTHS) * (couloirs + 1),)
        ]
    assert pl.read_parquet(tmp_path / "donnees" / "flux_3000.parquet").height == 3000


def test_tiny_floor_measures_each_unavoidable_step(tmp_path: Path) -> None:
    result = measure(3000, tmp_path, repetitions=1)
    steps = result["mesures"]
    assert result["lignes"] == 3000
    assert all(
        steps[k] > 0
        for k in ("lecture_csv", "ecriture_raw_flux", "ecriture_raw_textes", "ecriture_series", "demarrage")
    )
    assert (
        steps["somme"]
        == steps["lecture_csv"] + steps["ecriture_raw_flux"] + steps["ecriture_series"] + steps["demarrage"]
    )


def test_floor_table_compares_the_floor_with_the_time_the_target_allows(tmp_path: Path) -> None:
    import json

    steps = {
        "lecture_csv": 1.0,
        "ecriture_raw_flux": 3.0,
        "ecriture_raw_textes": 1.0,
        "ecriture_series": 1.5,
        "demarrage": 0.5,
    }
    floor = {"lignes": 1000, "mesures": {**steps, "somme": 6.0}}
    (tmp_path / "1000.json").write_text(json.dumps(floor), encoding="utf-8")
    text = "\n".join(floor_table({"lignes": 1000, "pandas": {"secondes": 35.0}}, tmp_path))
    assert "**6,00 s**" in text and "| 7,00 s |" in text and "Il reste 1,00 s" in text
    assert floor_table({"lignes": 2000, "pandas": {"secondes": 35.0}}, tmp_path) == []


def test_memory_trend_reads_start_end_peak_and_slope_of_the_samples() -> None:
    from benchmarks.report import memory_trend

    # Un relevé toutes les 60 s pendant 20 minutes : 1 000 Mo, puis 10 Mo de plus par minute à partir de la 10e.
    # Début et fin : médianes du premier et du dernier cinquième (4 relevés chacun).
    samples = [[60.0 * k, 1000.0 + 10.0 * max(k - 10, 0)] for k in range(21)]
    assert memory_trend(samples) == (
        "1\u202f000 Mo au début, 1\u202f085 Mo à la fin, 1\u202f100 Mo au plus (21 relevés), pente sur la seconde "
        "moitié +100 Mo par 10 minutes"
    )
    assert memory_trend(samples[:4]) == ""  # trop peu de relevés pour une tendance
    # Moins de 10 minutes : pas de pente (elle ne dirait que le remplissage des caches).
    assert memory_trend(samples[:9]).endswith("au plus (9 relevés)")
