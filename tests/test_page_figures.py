"""Chiffres de lecture des pages (totaux SONS, dernière situation, écart à la France), sur des lignes littérales ; et
leur lecture dans l'entrepôt de démonstration, celle que les pages affichent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from pipelines.indicators import page_figures as PF
from pipelines.warehouse import queries

D = dt.date


def test_sons_totals_sum_dispositifs_but_not_their_groups() -> None:
    sons = pl.LazyFrame(
        {
            "date_situation": D(2025, 6, 30),
            "vague": "V2",
            "dispositif": ["DPI", "MS1", "SANITAIRE", "MEDICO-SOCIAL"],
            "niveau": "pays",
            "code_geo": "FR",
            "bons_de_commande": [100, 40, 100, 40],
            "installations": [10, None, 10, None],
            "demandes_de_solde": pl.Series([None, None, None, None], dtype=pl.Int64),
            "montants_verses_eur": [1.5e6, 0.5e6, 1.5e6, 0.5e6],
        }
    )
    expected = pl.DataFrame(
        {
            "date_situation": [D(2025, 6, 30)],
            "vague": ["V2"],
            "niveau": ["pays"],
            "code_geo": ["FR"],
            "bons_de_commande": [140],
            "installations": [10],
            "demandes_de_solde": pl.Series([None], dtype=pl.Int64),
            "montants_verses_eur": [2.0e6],
        }
    )
    assert_frame_equal(PF.sons_totals(sons).collect(), expected)


def test_latest_situation_keeps_the_most_recent_date_of_each_dispositif() -> None:
    sons = pl.LazyFrame(
        {
            "date_situation": [D(2024, 1, 17), D(2025, 6, 30), D(2024, 1, 17)],
            "vague": ["V1", "V1", "V2"],
            "dispositif": ["DPI", "DPI", "DPI"],
            "bons_de_commande": [10, 30, 5],
        }
    )
    expected = pl.DataFrame(
        {
            "vague": ["V1", "V2"],
            "dispositif": ["DPI", "DPI"],
            "date_situation": [D(2025, 6, 30), D(2024, 1, 17)],
            "bons_de_commande": [30, 5],
        }
    )
    assert_frame_equal(PF.latest_situation(sons).collect(), expected)


def test_gap_to_national_per_month_and_null_without_population() -> None:
    region = pl.LazyFrame(
        {"mois": [D(2025, 9, 1), D(2025, 10, 1)], "documents_par_habitant_an": [3.0, None]},
        schema={"mois": pl.Date, "documents_par_habitant_an": pl.Float64},
    )
    france = pl.LazyFrame({"mois": [D(2025, 9, 1), D(2025, 10, 1)], "documents_par_habitant_an": [2.0, 2.5]})
    expected = pl.DataFrame({"mois": [D(2025, 9, 1), D(2025, 10, 1)], "ecart_national": [0.5, None]})
    assert_frame_equal(PF.gap_to_national(region, france).collect(), expected)


def test_page_reads_on_the_demo_warehouse(demo_warehouse_master: Path) -> None:
    with duckdb.connect(str(demo_warehouse_master), read_only=True) as con:
        sons = queries.sons(con, "pays", "FR")
        totals = queries.sons_wave_totals(con, "pays", "FR")
        wave = sons.filter(
            (pl.col("vague") == "V1") & ~pl.col("dispositif").is_in(["SANITAIRE", "MEDICO-SOCIAL"])
        )
        latest_date = wave["date_situation"].max()
        v1 = totals.filter((pl.col("vague") == "V1") & (pl.col("date_situation") == latest_date)).row(
            0, named=True
        )
        # Vague 1 publiée (COSUI du 17 janvier 2024) : au moins 51 701 + 2 015 + 1 831 + 1 899 installations.
        assert (
            v1["installations"] == wave.filter(pl.col("date_situation") == latest_date)["installations"].sum()
        )
        assert v1["installations"] >= 51_701 + 2_015 + 1_831 + 1_899

        deadlines = queries.sons_deadlines(con, D(2026, 11, 21))
        first = deadlines.row(0, named=True)
        assert first["jours_restants"] == (first["date_echeance"] - D(2026, 11, 21)).days

        month = queries.months(con, "region", "53")[0]
        region = queries.flux_series(con, "region", "53").filter(
            (pl.col("couloir") == "TOUS") & (pl.col("mois") == month)
        )
        france = queries.flux_series(con, "pays", "FR").filter(
            (pl.col("couloir") == "TOUS") & (pl.col("mois") == month)
        )
        gap = queries.national_gap(con, "region", "53", month)
        expected = region["documents_par_habitant_an"][0] / france["documents_par_habitant_an"][0] - 1
        assert gap is not None and abs(gap - expected) < 1e-12
