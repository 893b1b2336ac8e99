"""Page « Établissements » (AppTest, entrepôt de démonstration) : les alertes plantées dans la démonstration, avec
leurs noms, pour Île-de-France puis la Seine-Saint-Denis ; la liste cherchable ; le détail avec les jalons SONS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.registry import PAGES
from pipelines.indicators.ruptures import shift_month
from pipelines.warehouse import establishment_queries as Q
from pipelines.warehouse.connection import connect_read
from tests.test_app import APP
from tests.test_cli import cli

PAGE = "app_pages/etablissements.py"


@pytest.fixture
def page(demo_db: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_page_is_internal_only() -> None:
    [spec] = [p for p in PAGES if p.path == PAGE]
    assert "public" not in spec.modes and "public" not in spec.roles


def test_alerts_of_a_departement_match_the_command_and_show_names(page: AppTest, demo_db: Path) -> None:
    page.radio(key="niveau").set_value("Région").run()
    page.selectbox(key="region").set_value("11").run()
    assert not page.exception, [e.value for e in page.exception]
    assert "Île-de-France" in page.title[0].value
    page.radio(key="niveau").set_value("Département").run()
    page.selectbox(key="departement").set_value("93").run()
    assert not page.exception, [e.value for e in page.exception]
    assert "Seine-Saint-Denis" in page.title[0].value
    expected = json.loads(cli("ruptures", "--json", "--departement", "93", db=demo_db).stdout)
    assert {r["type"] for r in expected} == {"arret", "baisse", "equipe_sans_flux"}
    shown = {}
    for table in page.dataframe:
        frame = table.value
        if "Établissement" in frame.columns and "Documents perdus" in frame.columns:
            shown.update(dict(zip(frame["FINESS"], frame["Établissement"], strict=True)))
    assert shown == {r["finess"]: r["raison_sociale"] for r in expected}
    assert all("démo" in name for name in shown.values())
    tabs = [t.label for t in page.tabs]
    assert tabs == [
        f"{label} ({sum(r['type'] == code for r in expected)})"
        for code, label in (
            ("arret", "Arrêt"),
            ("baisse", "Baisse"),
            ("equipe_sans_flux", "Équipé sans flux"),
        )
    ]


def test_each_alert_carries_the_twelve_months_of_its_series(demo_db: Path) -> None:
    """La petite série d'une alerte (lue pour les seuls établissements en alerte) : les documents de son établissement
    × couloir des 12 mois jusqu'au mois de l'alerte, dans l'ordre des mois, tels que les donne la table des séries."""
    with connect_read(demo_db) as con:
        mois = Q.latest_month(con)
        assert mois is not None
        alerts = Q.alerts(con, mois, "pays", "FR")
        expected = con.sql(
            """SELECT e.code_geo AS finess, c.couloir, list(s.documents ORDER BY s.mois) AS attendue
            FROM series_etablissements AS s
            JOIN dim_etablissements AS e USING (etablissement_id)
            JOIN dim_couloirs_etablissements AS c USING (couloir_id)
            WHERE s.couloir_id <> 0 AND s.mois BETWEEN $debut AND $fin GROUP BY ALL""",
            params={"debut": shift_month(mois, -11), "fin": mois},
        ).pl()
    assert alerts.height > 0
    joined = alerts.join(expected, on=["finess", "couloir"], how="left")
    assert joined["serie"].to_list() == joined["attendue"].to_list()


def test_search_and_detail_with_sons_milestones(page: AppTest) -> None:
    page.radio(key="niveau").set_value("Région").run()
    page.selectbox(key="region").set_value("11").run()
    page.radio(key="niveau").set_value("Département").run()
    page.selectbox(key="departement").set_value("93").run()
    page.text_input(key="recherche_etablissement").set_value("Clinique démo").run()
    assert not page.exception, [e.value for e in page.exception]
    listing = next(t.value for t in page.dataframe if "SONS" in t.value.columns)
    assert len(listing) > 0 and all("Clinique démo" in n for n in listing["Établissement"])  # pandas
    # La clinique équipée d'un DPI sans jamais envoyer : détail, jalons SONS, pas de série.
    equipped = listing[listing["SONS"].str.contains("DPI V1")]
    # Une valeur absente s'écrit « — », jamais « None » : la clinique équipée n'a ni mois d'envoi ni évolution.
    assert listing.isna().sum().sum() == 0
    # Une valeur absente (pas d'évolution sur 12 mois, pas de ligne SONS) s'écrit « — », jamais « None ».
    assert listing.isna().sum().sum() == 0
    assert (listing["Évolution sur 12 mois"] == "—").any() and (listing["SONS"] == "—").any()
    page.selectbox(key="etablissement_detail").set_value(equipped["FINESS"].iloc[0]).run()
    assert not page.exception, [e.value for e in page.exception]
    spec = json.loads(page.get("plotly_chart")[0].proto.spec)
    annotations = [a["text"] for a in spec["layout"].get("annotations", [])]
    assert any("DPI V1 installé" in a for a in annotations)


def test_sons_aggregates_are_compared_with_the_establishment_lines() -> None:
    """Règle sur des lignes littérales : une étape compte quand sa date est au plus tard la date de situation ; seuls
    les chiffres agrégés livrés, d'un dispositif livré aussi ligne à ligne, sont comparés."""
    import datetime as dt

    import polars as pl
    from polars.testing import assert_frame_equal

    from pipelines.indicators.sons_etablissements import consistency
    from tests.conftest import typed_rows

    day = dt.date(2024, 1, 17)
    aggregates = pl.LazyFrame(
        {
            "date_situation": [day, day],
            "vague": ["V1", "V1"],
            "dispositif": ["DPI", "RIS"],  # RIS n'a pas de lignes par établissement : pas comparé
            "bons_de_commande": [None, 5],
            "installations": [3, 4],
            "demandes_de_solde": [1, 2],
        }
    )
    lines = pl.LazyFrame(
        {
            "vague": ["V1", "V1", "V1"],
            "dispositif": ["DPI", "DPI", "DPI"],
            "date_bon_de_commande": [dt.date(2023, 5, 1), dt.date(2023, 6, 1), dt.date(2024, 2, 1)],
            "date_installation": [dt.date(2023, 9, 1), dt.date(2024, 1, 17), None],
            "date_demande_solde": [dt.date(2024, 1, 10), None, None],
        }
    )
    expected = typed_rows(
        [(day, "V1", "DPI", "demandes_de_solde", 1, 1, 0), (day, "V1", "DPI", "installations", 3, 2, 1)],
        "date_situation vague dispositif etape agrege lignes ecart",
        date_situation=pl.Date,
        agrege=pl.Int64,
        lignes=pl.Int64,
        ecart=pl.Int64,
    )
    assert_frame_equal(consistency(aggregates, lines).collect(), expected)


def test_the_sons_page_shows_the_comparison_to_internal_readers(demo_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/sons.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == "Statistiques agrégées et lignes par établissement" for s in at.subheader)
    shown = [d.value for d in at.dataframe]
    compared = next(frame for frame in shown if "Lignes par établissement" in frame.columns)
    row = compared[(compared["Dispositif"] == "DPI") & (compared["Étape"] == "Installations")].iloc[0]
    # V1 au 17 janvier 2024 : 2 015 installations publiées (COSUI) ; les lignes de démonstration n'en couvrent qu'une
    # partie, et l'écart le montre.
    assert row["Statistique agrégée"] == 2015 and row["Écart"] == 2015 - row["Lignes par établissement"]
