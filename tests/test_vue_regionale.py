"""La vue régionale (AppTest, entrepôt de démonstration) : choisir l'Île-de-France puis la Seine-Saint-Denis garde le
mois, la liste des départements suit la région, la sélection est dans l'adresse et une adresse la reproduit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app import APP


@pytest.fixture
def app(demo_db: Path) -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).run()


def test_month_survives_the_change_of_geography_and_lives_in_the_address(app: AppTest) -> None:
    app.selectbox(key="mois_pays_FR").set_value(dt.date(2024, 6, 1)).run()
    app.radio(key="niveau").set_value("Région").run()
    app.selectbox(key="region").set_value("11").run()
    assert app.selectbox(key="mois_region_11").value == dt.date(2024, 6, 1)
    app.radio(key="niveau").set_value("Département").run()
    assert not app.exception, [e.value for e in app.exception]
    departements = app.selectbox(key="departement").options
    # Les huit départements d'Île-de-France, et eux seuls.
    assert len(departements) == 8 and all(
        o.split(" – ")[0] in {"75", "77", "78", "91", "92", "93", "94", "95"} for o in departements
    )
    app.selectbox(key="departement").set_value("93").run()
    assert app.selectbox(key="mois_departement_93").value == dt.date(2024, 6, 1)
    assert dict(app.query_params) == {"departement": "93", "mois": "2024-06"}
    assert "Seine-Saint-Denis" in app.title[0].value


def test_an_address_reproduces_the_view(demo_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["departement"] = "974"
    at.query_params["mois"] = "2025-03"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="niveau").value == "Département"
    assert at.selectbox(key="region").value == "04"
    assert at.selectbox(key="departement").value == "974"
    assert at.selectbox(key="mois_departement_974").value == dt.date(2025, 3, 1)


def test_territoires_follow_the_region_then_the_departement(app: AppTest) -> None:
    app.switch_page("app_pages/territoires.py").run()
    app.radio(key="niveau").set_value("Région").run()
    app.selectbox(key="region").set_value("11").run()
    assert not app.exception, [e.value for e in app.exception]
    figures = [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
    zoomed = figures[0]
    # La carte du territoire ne dessine que les huit départements franciliens : Plotly la cadre sur eux.
    assert len(zoomed["data"]) == 8
    # Le titre-constat s'écrit au-dessus du graphique (app_pages/common.chart).
    assert any("en tête en Île-de-France" in m.value.replace("\\", "") for m in app.markdown)
    ranking = next(
        t.value
        for t in app.dataframe
        if "Département" in t.value.columns and "Rythme annuel" in t.value.columns
    )
    assert len(ranking) == 8
    assert not any(
        s.label == "Région" for s in app.main.selectbox
    )  # plus de second choix de région sur la page
    app.radio(key="niveau").set_value("Département").run()
    app.selectbox(key="departement").set_value("93").run()
    assert not app.exception, [e.value for e in app.exception]
    titles = [m.value.replace("\\", "").strip("*") for m in app.markdown]
    # Le département face à sa région (écart chiffré quand la population des départements est connue).
    assert any(t.startswith("Seine-Saint-Denis") and "Île-de-France" in t for t in titles), titles
    assert any("par rapport à la moyenne nationale" in t for t in titles)


@pytest.mark.parametrize(("page", "words"), [("app_pages/sons.py", "SONS"), ("app_pages/sunes.py", "SUN-ES")])
def test_sons_and_sunes_say_which_territory_they_show_for_a_departement(
    app: AppTest, page: str, words: str
) -> None:
    app.radio(key="niveau").set_value("Région").run()
    app.selectbox(key="region").set_value("11").run()
    app.radio(key="niveau").set_value("Département").run()
    app.selectbox(key="departement").set_value("93").run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value.endswith("Île-de-France")
    assert any(words in i.value and "région de Seine-Saint-Denis" in i.value for i in app.info)


def test_a_departement_is_compared_with_its_region_and_france(demo_db: Path) -> None:
    """Vue d'ensemble d'un département : ses chiffres clés face à ceux de sa région et de la France, le même mois —
    exactement ceux de `kpi` pour chacun."""
    from tests.test_cli import cli

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["departement"] = "35"
    at.query_params["mois"] = "2025-10"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == "Ille-et-Vilaine face à Bretagne et à France" for s in at.subheader)
    table = next(d.value for d in at.dataframe if "Périmètre" in d.value.columns)
    assert table["Périmètre"].tolist() == ["Ille-et-Vilaine", "Bretagne", "France"]
    for scope, row in zip((["--departement", "35"], ["--region", "53"], []), table.itertuples(), strict=True):
        expected = json.loads(cli("kpi", "--json", "--mois", "2025-10", *scope, db=demo_db).stdout)
        assert row[2] == expected["documents_mois"]


def test_couloir_shares_of_a_departement_sit_beside_its_region_and_france(demo_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["departement"] = "35"
    at.query_params["mois"] = "2025-10"
    at.run()
    at.switch_page("app_pages/couloirs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(
        s.value == "Parts des couloirs : Ille-et-Vilaine face à Bretagne et à France" for s in at.subheader
    )
    table = next(
        d.value for d in at.dataframe if "Couloir" in d.value.columns and "France" in d.value.columns
    )
    assert list(table.columns) == ["Couloir", "Ille-et-Vilaine", "Bretagne", "France"]
    for column in ("Ille-et-Vilaine", "Bretagne", "France"):
        assert abs(table[column].sum() - 1) < 1e-9  # des parts : chaque colonne fait 100 %
