"""Chaque page avec AppTest (sans navigateur) : aucune exception, et les chiffres clés affichés sont ceux de
`python -m pipelines kpi --json` pour le même mois et le même périmètre."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages._common import Selection
from pipelines import formats
from tests.test_cli import cli

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [
    "pages/1_vue_ensemble.py",
    "pages/2_couloirs.py",
    "pages/3_territoires.py",
    "pages/4_sons.py",
    "pages/5_sunes.py",
    "pages/6_donnees.py",
]


@pytest.fixture
def app(demo_db: Path) -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(app: AppTest, page: str) -> None:
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    # Le bandeau de démonstration est vérifié sur chaque page dans le vrai navigateur (tests/browser) : AppTest
    # ne rend plus, après switch_page, ce que le script principal affiche avant navigation.run().
    charts = app.get("plotly_chart")
    expected_charts = {"pages/6_donnees.py": 0, "pages/7_exports.py": 0, "pages/1_vue_ensemble.py": 1}.get(
        page
    )
    if expected_charts is not None:
        assert len(charts) == expected_charts
    else:
        assert len(charts) >= 2
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert spec["layout"]["title"]["text"], "chaque graphique a un titre qui énonce le constat"
        assert spec["layout"]["separators"] == ", "


def assert_matches_kpi(at: AppTest, figures: dict) -> None:
    shown = metrics(at)
    assert shown["Documents envoyés dans le mois"] == formats.integer(figures["documents_mois"])
    assert shown["Rythme annuel (mois × 12)"] == formats.millions(figures["flux_annualise"])
    assert shown["Documents par habitant et par an"] == formats.decimal(
        figures["documents_par_habitant_an"], 2
    )
    assert shown["Cumul des 12 derniers mois"] == formats.millions(figures["cumul_12_mois"])
    target_label = next(label for label in shown if label.startswith("Part de la cible"))
    assert shown[target_label] == formats.percent(figures["taux_atteinte_cible"])
    cosui_label = next(label for label in shown if label.startswith("Évolution depuis le COSUI"))
    assert shown[cosui_label] == formats.percent(figures["evolution_depuis_cosui"], signed=True)


def test_overview_shows_the_kpi_of_the_latest_month(app: AppTest, demo_db: Path) -> None:
    assert any("démonstration" in w.value for w in app.warning)
    figures = json.loads(cli("kpi", "--json", db=demo_db).stdout)
    assert_matches_kpi(app, figures)
    assert metrics(app)["Documents envoyés dans le mois"] == "42\u202f800\u202f000"


def test_overview_follows_the_selected_month_and_region(app: AppTest, demo_db: Path) -> None:
    # AppTest ne réexécute pas le script principal (barre latérale) après le premier passage : la sélection est posée
    # comme la barre latérale la pose ; l'usage réel de la barre latérale est testé dans le navigateur.
    app.session_state["selection"] = Selection(dt.date(2023, 12, 1), "pays", "FR", "France")
    app.run()
    assert_matches_kpi(app, json.loads(cli("kpi", "--json", "--mois", "2023-12", db=demo_db).stdout))
    app.session_state["selection"] = Selection(dt.date(2025, 10, 1), "region", "53", "Bretagne")
    app.run()
    assert_matches_kpi(app, json.loads(cli("kpi", "--json", "--region", "53", db=demo_db).stdout))
    assert "Bretagne" in app.title[0].value
