"""Le banc des livraisons mensuelles (issue 19) en miniature, pour qu'il ne se périme pas : chaque étape tourne dans
son processus et rend ses mesures, les rapports se calculent à partir des secondes mesurées, la courbe de croissance
s'écrit. Aucun temps n'est vérifié."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import monthly, report
from benchmarks.generate import MONTHS, feed
from benchmarks.monthly import Sizes, targets
from pipelines.formats import THIN_NBSP

SIX_THOUSAND = f"6{THIN_NBSP}000 lignes"

STEPS = ("premier_chargement", "livraison_mensuelle", "relivraison_identique", "revision_mois_ancien")


def test_tiny_monthly_run_measures_every_step_and_draws_the_growth_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = 6000
    assert monthly.main(["--rows", str(rows), "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / f"mensuel_{rows}.json").read_text(encoding="utf-8"))
    for key in (
        "machine",
        "commande",
        "lignes_demandees",
        "lignes_historique",
        "lignes_mois_livre",
        "lignes_revision",
        *STEPS,
        "mois_sans_historique",
        "taille_entrepot_mo",
        "copie_entrepot_s",
        "copie_entrepot_passages",
        "pandas_historique_complet",
        "rapport_pandas",
    ):
        assert key in result, key
    assert result["commande"] == f"python -m benchmarks.monthly --rows {rows}"
    height = feed(rows).height
    assert result["lignes_demandees"] == rows
    assert result["lignes_mois_livre"] == result["lignes_revision"] == height // len(MONTHS)
    assert result["lignes_historique"] + result["lignes_mois_livre"] == height
    for step in STEPS:
        assert result[step]["secondes"] > 0 and result[step]["rss_max_mo"] > 0, step
    first = result["premier_chargement"]["secondes"]
    for step in STEPS[1:]:
        assert result[step]["part_du_premier_chargement"] == pytest.approx(result[step]["secondes"] / first)
    # Chaque livraison est répétée (la livraison et la révision depuis l'entrepôt d'avant elles, le premier
    # chargement depuis l'entrepôt de référence) : le passage médian est retenu.
    for step in ("mois_sans_historique", *STEPS):
        runs = result[step]["passages"]
        assert len(runs) == monthly.IDENTICAL_RUNS, step
        assert result[step]["secondes"] == sorted(runs)[len(runs) // 2], step
    assert result["copie_entrepot_s"] == sorted(result["copie_entrepot_passages"])[1]
    assert result["rapport_pandas"] == pytest.approx(
        result["pandas_historique_complet"]["secondes"] / result["livraison_mensuelle"]["secondes"]
    )
    printed = capsys.readouterr().out
    assert "| cible (issue 19) | mesuré | atteinte |" in printed
    assert f"Reproduire : python -m benchmarks.monthly --rows {rows}" in printed

    # Les cibles lues à la taille de l'essai : chaque valeur vient des secondes mesurées.
    results = report.monthly_results(tmp_path)
    read = {target: (value, met) for target, value, met in targets(results, Sizes(rows, rows, rows))}
    share = result["livraison_mensuelle"]["secondes"] / first
    value, met = read[f"livraison mensuelle ≤ 10 % du premier chargement ({SIX_THOUSAND})"]
    assert value.startswith(monthly.formats.percent(share, 1)) and met == (share <= 0.10)
    floor = result["mois_sans_historique"]["secondes"]
    beyond = max(result["livraison_mensuelle"]["secondes"] - floor, 0) / first
    value, met = read[
        f"livraison mensuelle hors plancher ≤ 10 % du premier chargement ({SIX_THOUSAND} ; lecture proposée, "
        "décision en attente)"
    ]
    assert value.startswith(monthly.formats.percent(beyond, 1)) and met == (beyond <= 0.10)
    value, met = read[
        f"livraison mensuelle ≥ 10 × plus rapide que pandas sur tout l'historique ({SIX_THOUSAND})"
    ]
    assert value.startswith(monthly.formats.decimal(result["rapport_pandas"], 1) + " ×")
    assert met == (result["rapport_pandas"] >= 10)
    assert all(met is not None for _, met in read.values())

    image = tmp_path / "images" / "livraisons_mensuelles.svg"
    report.growth_plot(results, image)
    svg = image.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and report.MONTHLY_TITLE in svg
    for label in (
        "Premier chargement",
        "Livraison mensuelle",
        "Révision d'un mois ancien",
        "Relivraison identique",
        "Même mois sans historique (plancher)",
    ):
        assert label in svg, label
    section = "\n".join(report.monthly_section(results, image="images/livraisons_mensuelles.svg"))
    assert "](images/livraisons_mensuelles.svg)" in section and monthly.REPRODUCE in section


def _result(rows: int, first: float, month: float, identical: float, revision: float) -> dict[str, Any]:
    return {
        "machine": {"date": "2026-12-01 12:00", "produit": "0.0.0"},
        "lignes_demandees": rows,
        "lignes_historique": rows * 59 // 60,
        "premier_chargement": {"secondes": first, "rss_max_mo": 900.0},
        "livraison_mensuelle": {"secondes": month, "rss_max_mo": 800.0},
        "mois_sans_historique": {"secondes": month * 0.6, "rss_max_mo": 500.0},
        "relivraison_identique": {"secondes": identical, "rss_max_mo": 100.0},
        "revision_mois_ancien": {"secondes": revision, "rss_max_mo": 700.0},
        "taille_entrepot_mo": rows / 40_000,
        "copie_entrepot_s": rows / 1e8,
    }


@pytest.fixture
def measured() -> list[dict[str, Any]]:
    small = _result(1_000_000, 5.0, 1.0, 0.4, 1.2)
    reference = _result(10_000_000, 20.0, 1.5, 0.45, 2.5)
    reference["pandas_historique_complet"] = {"secondes": 30.0, "rss_max_mo": 4000.0}
    large = _result(30_000_000, 60.0, 2.5, 0.6, 4.0)
    large["pandas_omis"] = monthly.PANDAS_SKIPPED
    return [small, reference, large]


def test_each_target_is_read_at_its_own_size(measured: list[dict[str, Any]]) -> None:
    read = {target: (value, met) for target, value, met in targets(measured)}
    assert read["livraison mensuelle ≤ 10 % du premier chargement (10 M de lignes)"] == (
        f"7,5{THIN_NBSP}% (1,50 s contre 20,00 s)",
        True,
    )
    assert read["révision d'un mois ancien ≤ 10 % du premier chargement (10 M de lignes)"][1] is False
    assert read["révision d'un mois ancien ≤ 10 % du premier chargement (30 M de lignes)"][1] is True
    assert read["relivraison identique ≤ 0,5 s (1 M de lignes)"][1] is True
    assert read["relivraison identique ≤ 0,5 s (30 M de lignes)"] == ("0,60 s", False)
    pandas = "livraison mensuelle ≥ 10 × plus rapide que pandas sur tout l'historique (10 M de lignes)"
    assert read[pandas] == ("20,0 × (pandas 30,00 s, livraison 1,50 s)", True)
    assert read["mémoire de pointe d'une livraison mensuelle ≤ 1 Go (30 M de lignes)"][1] is True
    assert read["copie du fichier de l'entrepôt à chaque import ≤ 1 s (30 M de lignes)"][1] is True
    flat = {target: value for target, (value, _) in read.items() if "coût plat" in target}
    assert [value.split(" ×")[0] for value in flat.values()] == ["2,5", "3,3"]
    assert [read[target][1] for target in flat] == [True, False]
    beyond = (
        "livraison mensuelle hors plancher ≤ 10 % du premier chargement (30 M de lignes ; lecture proposée, "
    )
    assert read[beyond + "décision en attente)"] == (
        f"1,7{THIN_NBSP}% (1,00 s au-delà du plancher de 1,50 s : le même mois sans historique)",
        True,
    )
    assert len(read) == 14


def test_a_size_not_measured_is_neither_met_nor_refuted(measured: list[dict[str, Any]]) -> None:
    without_large = measured[:2]
    rows = targets(without_large)
    missing = [target for target, _, met in rows if met is None]
    assert len(missing) == 8 and all("30 M de lignes" in target for target in missing)
    flat = next(value for target, value, _ in rows if target.startswith("livraison mensuelle : coût plat"))
    assert "pour mémoire, 10 M de lignes ÷ 1 M de lignes : 1,5 ×" in flat
    table = monthly.targets_table(without_large)
    assert "| — |" in table and "| **non** |" in table and "| oui |" in table


def test_older_results_take_their_size_from_the_file_name(
    tmp_path: Path, measured: list[dict[str, Any]]
) -> None:
    for result in measured:
        older = copy.deepcopy(result)
        del older["lignes_demandees"]
        (tmp_path / f"mensuel_{result['lignes_demandees']}.json").write_text(
            json.dumps(older), encoding="utf-8"
        )
    results = report.monthly_results(tmp_path)
    assert [r["lignes_demandees"] for r in results] == [1_000_000, 10_000_000, 30_000_000]
    section = "\n".join(report.monthly_section(results))
    assert (
        "Chaîne pandas non relancée au-delà de 10 M de lignes" in section
        and f"30{THIN_NBSP}000{THIN_NBSP}000 lignes" in section
    )
