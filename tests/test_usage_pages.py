"""Pages publiques « Usages de Mon espace santé » et « Méthode » (AppTest), marque de fraîcheur et événements.

Ce qu'un citoyen voit : les chiffres de l'entrepôt, un constat pour titre de chaque graphique, la carte qui suit un
fichier `usage` importé, la date d'arrêt des données et l'alerte quand une mise à jour prévue n'a pas eu lieu."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from streamlit.testing.v1 import AppTest

from pipelines import formats
from pipelines.publish import events
from pipelines.publish.freshness import freshness
from pipelines.settings import Settings
from pipelines.warehouse.ingest import Incoming, ingest
from tests.conftest import write_text

APP = str(Path(__file__).resolve().parent.parent / "app.py")
D = dt.date


def titles(at: AppTest) -> list[str]:
    """Le constat de chaque graphique, dans l'ordre : le texte en gras écrit juste au-dessus de la figure."""
    found: list[str] = []
    last_bold = ""

    def walk(node: Any) -> None:
        nonlocal last_bold
        if node.type == "markdown" and node.value.startswith("**"):
            last_bold = re.sub(r"\\(.)", r"\1", node.value.strip("*"))
        elif node.type == "plotly_chart":
            found.append(last_bold)
            last_bold = ""
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def map_values(at: AppTest) -> dict[str, str]:
    """Texte survolé de chaque département sur la carte d'activation : « Nom (code) : 38 % »."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {t["text"].split("(")[1].split(")")[0]: t["text"] for t in spec["data"] if "text" in t}


def test_usage_page_shows_the_warehouse_figures(demo_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("app_pages/usages.py").run()
    assert not at.exception, [e.value for e in at.exception]
    with duckdb.connect(str(demo_db), read_only=True) as con:
        rate, activated = con.execute(
            "SELECT max(valeur) FILTER (indicateur = 'taux_activation'), "
            "max(valeur) FILTER (indicateur = 'profils_actives') "
            "FROM indicateurs_usage WHERE niveau = 'pays' AND mois = DATE '2025-10-01'"
        ).fetchall()[0]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Profils activés"] == formats.integer(activated) == "23\u202f300\u202f000"  # point publié
    assert shown["Taux d'activation"] == formats.percent(rate)
    found = titles(at)
    assert len(found) == 5
    assert found[0].startswith(
        f"France : {formats.percent(rate, 0)} des habitants ont activé leur profil fin octobre 2025"
    )
    assert "connexions en octobre 2025" in found[1] and "messages MSSanté" in found[3]
    assert len(map_values(at)) == 101
    spec = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert any(t.get("name") == "Incident" for t in spec["data"]), "la grève de novembre 2024 est portée"


def test_an_imported_usage_file_updates_the_activation_map(
    demo_db: Path, settings: Settings, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "usages_93.csv",
        "mois;indicateur;valeur;departement\n2025-10;Profils activés;1 000 000;Seine-Saint-Denis\n",
    )
    [result] = ingest([Incoming(path)], settings=settings)
    assert result.statut == "revision", result.message
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("app_pages/usages.py").run()
    # 1 000 000 ÷ 1 668 670 habitants (populations légales 2021) = 60 %.
    assert map_values(at)["93"].startswith("Seine-Saint-Denis (93) : 60")
    assert "à 60\u202f% (Seine-Saint-Denis)" in titles(at)[0]  # la France garde son point publié (34 %)


def test_comparison_shows_up_to_five_territories(demo_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("app_pages/usages.py").run()
    at.radio(key="comparaison_niveau").set_value("Départements").run()
    at.multiselect(key="comparaison_departement").set_value(["93", "75", "23", "2A", "971"]).run()
    assert not at.exception
    compared = json.loads(at.get("plotly_chart")[-1].proto.spec)
    names = [t["name"] for t in compared["data"] if t.get("mode") == "lines+markers"]
    assert names == [
        "Creuse (23)",
        "Corse-du-Sud (2A)",
        "Paris (75)",
        "Seine-Saint-Denis (93)",
        "Guadeloupe (971)",
    ]
    at.radio(key="comparaison_indicateur").set_value("documents_par_habitant_an").run()
    assert "documents par habitant et par an" in titles(at)[-1]


def test_method_page_says_which_wording_of_the_target_it_uses(demo_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("app_pages/methode.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "Ce produit retient « envoyés »" in text and "× 12" in text and "« < 11 »" in text
    headers = [h.value for h in at.header]
    for expected in ("Sources", "Révisions", "Secret statistique", "Calendrier de publication"):
        assert expected in headers
    tables = [t.value for t in at.dataframe]
    assert any("Taux d'activation" in t["Indicateur"].to_list() for t in tables if "Indicateur" in t.columns)


def test_freshness_mark_and_stale_warning() -> None:
    on_time = freshness(D(2025, 10, 1), D(2025, 11, 25))
    assert (
        on_time.text
        == "Données arrêtées au 31 octobre 2025 — prochaine mise à jour prévue le 22 décembre 2025"
    )
    assert on_time.warning is None
    late = freshness(D(2025, 10, 1), D(2026, 1, 5))
    assert late.en_retard and late.warning == (
        "Ces données ne sont plus à jour : la mise à jour prévue le 22 décembre 2025 (données de novembre 2025) "
        "n'a pas eu lieu."
    )


def test_events_are_dated_sourced_and_include_the_biology_strike() -> None:
    table = events.events()
    assert table["source"].null_count() == 0 and table["date"].null_count() == 0
    strike = events.in_range(D(2024, 10, 1), D(2024, 12, 1)).filter(pl.col("categorie") == "Incident")
    assert strike["libelle"].to_list() == ["Grève des envois en biologie"]
    assert "esante.gouv.fr" in strike["source"][0]
