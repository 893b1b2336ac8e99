"""Réponses « golden » : un petit entrepôt construit sur les entrées publiées reproduit les sorties publiées.

Entrées : tests/golden/inputs/ (voir son README). Sorties attendues : tests/golden/expected.json, relu à la main ;
`python -m tests.test_golden` le régénère après un changement voulu de définition.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.indicators.kpi import key_figures
from pipelines.settings import get_settings
from pipelines.warehouse.ingest import Incoming, ingest

GOLDEN = Path(__file__).parent / "golden"
INPUTS = ["population.csv", "cibles.csv", "flux_publie.csv", "sons_publie.csv"]


def build_golden(db: Path) -> None:
    settings = get_settings(db=db, aujourdhui=dt.date(2026, 11, 21))
    results = ingest([Incoming(GOLDEN / "inputs" / name) for name in INPUTS], settings=settings)
    assert all(r.ok for r in results), [r.message for r in results]


def outputs(db: Path) -> dict[str, object]:
    with duckdb.connect(str(db), read_only=True) as con:
        kpis = {
            month: key_figures(con, dt.date.fromisoformat(f"{month}-01"))
            for month in ("2023-02", "2023-08", "2023-12")
        }
        couloirs_aout = con.execute(
            "SELECT couloir, flux_annualise, cible, taux_atteinte_cible FROM indicateurs_flux "
            "WHERE niveau = 'pays' AND mois = DATE '2023-08-01' AND cible IS NOT NULL ORDER BY couloir"
        ).fetchall()
        sons = con.execute(
            "SELECT dispositif, bons_de_commande, cible, demandes_de_solde, taux_couverture, taux_solde FROM "
            "indicateurs_sons "
            "WHERE niveau = 'pays' AND vague = 'V1' ORDER BY dispositif"
        ).fetchall()
    return {
        "kpi": kpis,
        "couloirs_aout_2023": [list(r) for r in couloirs_aout],
        "sons_v1": [list(r) for r in sons],
    }


@pytest.fixture(scope="module")
def golden_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    db = tmp_path_factory.mktemp("golden") / "golden.duckdb"
    build_golden(db)
    return json.loads(json.dumps(outputs(db), default=str))


def _assert_close(actual: object, expected: object, path: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), path
        for key in expected:
            _assert_close(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _assert_close(a, e, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert isinstance(actual, int | float) and math.isclose(actual, expected, rel_tol=1e-9), (
            path,
            actual,
            expected,
        )
    else:
        assert actual == expected, (path, actual, expected)


def test_outputs_match_the_committed_golden_answers(golden_outputs: dict[str, object]) -> None:
    expected = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
    _assert_close(golden_outputs, expected)


def test_december_2023_reproduces_226_million_and_90_percent(golden_outputs: dict) -> None:
    december = golden_outputs["kpi"]["2023-12"]
    assert december["documents_mois"] == 18_800_000
    assert (
        december["flux_annualise"] == 225_600_000
    )  # publié « 226 M » (arrondi), corrigé de la coquille 231 M
    assert round(december["flux_annualise"] / 1e6) == 226
    assert december["cible_annuelle"] == 250_000_000
    assert round(december["taux_atteinte_cible"], 2) == 0.90
    assert round(december["evolution_depuis_cosui"], 2) == 0.30  # « ~30 % depuis le COSUI de septembre »
    assert december["mois_reference_cosui"] == "2023-09"
    assert december["donnees_demo"] is False


def test_february_2023_is_one_and_a_half_documents_per_inhabitant(golden_outputs: dict) -> None:
    february = golden_outputs["kpi"]["2023-02"]
    assert february["population"] == 68_043_000 and february["annee_population"] == 2023
    assert round(february["documents_par_habitant_an"], 1) == 1.5
    shares = {k: round(v, 2) for k, v in february["parts_couloir"].items()}
    assert shares == {"BIO": 0.32, "HOP": 0.37, "MDV": 0.23, "RAD": 0.07, "PHA": 0.01}


def test_august_2023_couloirs_against_their_targets(golden_outputs: dict) -> None:
    rates = {
        row[0]: (round(row[1] / 1e6), row[2], round(row[3], 3))
        for row in golden_outputs["couloirs_aout_2023"]
    }
    assert rates == {
        "BIO": (75, 75e6, 1.0),
        "HOP": (30, 20e6, 1.5),
        "MDV": (25, 120e6, 0.208),
        "RAD": (13, 35e6, 0.371),
        # Les rythmes publiés par couloir font 143 M, le national publié 142 M : écart d'arrondi de la source.
        "TOUS": (143, 250e6, 0.572),
    }


def test_sons_v1_ms1_coverage_and_sanitaire_balance_rate(golden_outputs: dict) -> None:
    sons = {row[0]: row for row in golden_outputs["sons_v1"]}
    assert sons["MS1"][1:4] == [11518, 18900, 1282]
    assert round(sons["MS1"][4], 3) == 0.609  # 11 518 / 18 900
    assert round(sons["SANITAIRE"][5], 3) == 0.987  # publié : 98,7 % des commandes V1 sanitaire soldées


if __name__ == "__main__":  # régénération volontaire des réponses attendues
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/golden.duckdb")
    target.unlink(missing_ok=True)
    build_golden(target)
    (GOLDEN / "expected.json").write_text(
        json.dumps(outputs(target), default=str, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
