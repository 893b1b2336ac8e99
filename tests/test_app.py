"""Chaque page avec AppTest (sans navigateur) : aucune exception, et les chiffres clés affichés sont ceux de
`python -m pipelines kpi --json` pour le même mois et le même périmètre."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import formats
from tests.test_cli import cli

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [
    "app_pages/vue_ensemble.py",
    "app_pages/couloirs.py",
    "app_pages/territoires.py",
    "app_pages/sons.py",
    "app_pages/sunes.py",
    "app_pages/donnees.py",
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
    expected_charts = {
        "app_pages/donnees.py": 0,
        "app_pages/exports.py": 0,
        "app_pages/vue_ensemble.py": 1,
    }.get(page)
    if expected_charts is not None:
        assert len(charts) == expected_charts
    else:
        assert len(charts) >= 2
    # Le constat de chaque graphique s'écrit en texte juste au-dessus (lisible, replié à toute largeur) ; le
    # graphique lui-même n'a plus de titre que la barre d'outils pourrait recouvrir.
    findings = [m.value for m in app.markdown if m.value.startswith("**")]
    assert len(findings) >= len(charts), "chaque graphique a un titre qui énonce le constat"
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert not (spec["layout"].get("title") or {}).get("text")
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
    # La barre latérale est pilotée comme un utilisateur la manie : mois, puis géographie.
    app.selectbox(key="mois_pays_FR").set_value(dt.date(2023, 12, 1)).run()
    assert_matches_kpi(app, json.loads(cli("kpi", "--json", "--mois", "2023-12", db=demo_db).stdout))
    app.radio(key="niveau").set_value("Région").run()
    app.selectbox(key="region").set_value("53").run()
    # Le mois choisi survit au changement de géographie (issue 18).
    assert_matches_kpi(
        app, json.loads(cli("kpi", "--json", "--region", "53", "--mois", "2023-12", db=demo_db).stdout)
    )
    assert "Bretagne" in app.title[0].value


def test_a_chart_table_is_built_only_once_its_shelf_is_opened(app: AppTest) -> None:
    """« Voir les chiffres du graphique » : fermé, le volet ne contient rien (le tableau mis en forme coûtait à chaque
    passage) ; ouvert, il montre les chiffres de la courbe, un mois par ligne."""
    assert [e.label for e in app.expander if e.label.startswith("Voir les chiffres")] == [
        "Voir les chiffres du graphique (tableau)"
    ]
    assert not any("Part de la cible" in d.value.columns for d in app.dataframe)
    app.session_state["tableau_tendance"] = True
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    table = next(d.value for d in app.dataframe if "Part de la cible" in d.value.columns)
    assert len(table) > 12 and table["Mois"].is_unique
    assert (table["Rythme annuel"] == table["Documents du mois"] * 12).all()
