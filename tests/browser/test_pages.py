"""Chaque page dans un vrai navigateur : elle se charge, dessine ses graphiques, réagit à la barre latérale, et le
dépôt de fichier se comporte comme prévu. Captures d'écran dans test-artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import xlsxwriter
from playwright.sync_api import Page, expect

from tests.test_cli import cli

pytestmark = pytest.mark.browser
PAGES = {
    "": ("Vue d'ensemble", 1),
    "couloirs": ("Couloirs", 3),
    "territoires": ("Territoires", 3),
    "sons": ("SONS", 2),
    "sunes": ("SUN-ES et médico-social", 2),
    "donnees": ("Données", 0),
    "exports": ("Exports", 0),
    "usages": ("Usages de Mon espace santé", 5),
    "methode": ("Méthode", 0),
}
CHART = '[data-testid="stPlotlyChart"]'
TIMEOUT = 60_000


def open_page(page: Page, url: str, path: str) -> None:
    page.goto(f"{url}/{path}")
    expect(page.locator("h1").first).to_be_visible(timeout=TIMEOUT)


def metric_value(page: Page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_loads_and_draws_its_charts(
    page: Page, app_server: tuple[str, Path], screenshots: Path, path: str
) -> None:
    url, _ = app_server
    title, charts = PAGES[path]
    open_page(page, url, path)
    expect(page.locator("h1").first).to_contain_text(title, timeout=TIMEOUT)
    expect(page.get_by_text("Données de démonstration", exact=False).first).to_be_visible()
    # La marque de fraîcheur est sur chaque page, avec l'alerte : les données de démonstration s'arrêtent en 2025.
    expect(page.get_by_text("Données arrêtées au 31 octobre 2025", exact=False).first).to_be_visible()
    expect(page.get_by_text("Ces données ne sont plus à jour", exact=False).first).to_be_visible()
    expect(page.locator(CHART)).to_have_count(charts, timeout=TIMEOUT)
    for index in range(charts):
        # Un graphique est dessiné quand son SVG principal existe et contient des tracés.
        expect(page.locator(CHART).nth(index).locator(".main-svg .trace").first).to_be_attached(
            timeout=TIMEOUT
        )
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshots / f"{path or 'vue-ensemble'}.png"), full_page=True)


def test_sidebar_month_and_geography_change_the_figures(
    page: Page, app_server: tuple[str, Path], screenshots: Path
) -> None:
    url, _ = app_server
    open_page(page, url, "")
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(
        "42\u202f800\u202f000", timeout=TIMEOUT
    )
    sidebar = page.locator('[data-testid="stSidebar"]')
    months = sidebar.get_by_role("combobox", name="Mois")
    months.click()
    page.keyboard.type("décembre 2023")  # la liste est longue : on filtre comme un utilisateur
    page.get_by_role("option", name="décembre 2023").click()
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(
        "18\u202f800\u202f000", timeout=TIMEOUT
    )
    expect(page.get_by_text("Chiffres clés de décembre 2023")).to_be_visible()
    sidebar.get_by_text("Région", exact=True).click()
    expect(sidebar.get_by_role("combobox", name="Région")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("h1").first).to_contain_text("Auvergne-Rhône-Alpes", timeout=TIMEOUT)
    value = metric_value(page, "Documents envoyés dans le mois")
    assert value != "42\u202f800\u202f000" and re.fullmatch(r"[\d\u202f]+", value)
    page.screenshot(path=str(screenshots / "vue-ensemble-region.png"), full_page=True)


def test_upload_of_an_invalid_then_a_valid_file(
    page: Page, app_server: tuple[str, Path], screenshots: Path, tmp_path: Path
) -> None:
    url, db = app_server
    bad = tmp_path / "mauvais.csv"
    bad.write_text("mois;couloir;documents\n2025-11;BIO;-4\n", encoding="utf-8")
    good = tmp_path / "novembre 2025.csv"
    good.write_bytes("Mois;Couloir;Nombre de documents\nnov. 2025;Biologie;44 000 000\n".encode("cp1252"))

    open_page(page, url, "donnees")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    expect(page.get_by_text("Fichier refusé : 1 problème(s)")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("nombre négatif").first).to_be_attached(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Importer dans l'entrepôt")).to_have_count(0)
    page.screenshot(path=str(screenshots / "donnees-refus.png"), full_page=True)

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    expect(page.get_by_text("rien n'a encore été écrit", exact=False)).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="Importer dans l'entrepôt").click()
    expect(page.get_by_text("L'entrepôt est à jour")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(screenshots / "donnees-import.png"), full_page=True)

    # Novembre n'a que la biologie : mois provisoire, jamais le mois par défaut (issue 15). L'accueil reste sur le
    # dernier mois complet ; la valeur importée est celle de novembre, marquée incomplète.
    open_page(page, url, "")
    expect(page.get_by_text("Chiffres clés d'octobre 2025")).to_be_visible(timeout=TIMEOUT)
    november = json.loads(cli("kpi", "--json", "--mois", "2025-11", db=db).stdout)
    assert november["documents_mois"] == 44_000_000
    assert november["complet"] is False


def test_a_workbook_with_several_filled_sheets_asks_which_one(
    page: Page, app_server: tuple[str, Path], tmp_path: Path
) -> None:
    """Un classeur à deux feuilles remplies : la page demande laquelle importer avant toute vérification ; la feuille
    choisie est vérifiée (l'autre, des notes, serait refusée) ; rien n'est écrit sans confirmation."""
    url, db = app_server
    workbook_path = tmp_path / "livraison.xlsx"
    with xlsxwriter.Workbook(str(workbook_path)) as workbook:
        notes = workbook.add_worksheet("Notes")
        notes.write_column(0, 0, ["Livraison de l'ARS", "Chiffres provisoires"])
        data = workbook.add_worksheet("Flux")
        data.write_row(0, 0, ["mois", "couloir", "documents"])
        data.write_row(1, 0, ["2025-11", "RAD", "4 000 000"])
    before = db.stat().st_mtime_ns

    open_page(page, url, "donnees")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(workbook_path))
    question = page.get_by_text("Ce classeur a 2 feuilles remplies : laquelle importer ?")
    expect(question).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Importer dans l'entrepôt")).to_have_count(0)
    page.get_by_role("combobox", name=re.compile("laquelle importer")).click()
    page.get_by_role("option", name="Flux").click()
    expect(page.get_by_text("rien n'a encore été écrit", exact=False)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("feuille « Flux »", exact=False).first).to_be_attached(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Importer dans l'entrepôt")).to_be_visible()
    page.get_by_role("combobox", name=re.compile("laquelle importer")).click()
    page.get_by_role("option", name="Notes").click()
    expect(page.get_by_text("Fichier refusé", exact=False).first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Importer dans l'entrepôt")).to_have_count(0)
    assert db.stat().st_mtime_ns == before


def test_sons_tables_show_every_column_without_scrolling(page: Page, app_server: tuple[str, Path]) -> None:
    """Les tableaux des graphiques SONS tiennent dans la largeur de la page : aucune colonne (« Couverture ») coupée
    au bord ni cachée derrière un défilement horizontal."""
    url, _ = app_server
    open_page(page, url, "sons")
    toggles = page.get_by_text("Voir les chiffres du graphique (tableau)")
    expect(toggles.first).to_be_visible(timeout=TIMEOUT)
    # Un tableau n'est construit qu'une fois son volet ouvert (un passage par clic) : chacun est attendu avant d'ouvrir
    # le suivant, puis la mesure.
    shelved = page.locator('[data-testid="stExpander"] [data-testid="stDataFrame"]')
    for index in range(toggles.count()):
        toggles.nth(index).click()
        expect(shelved).to_have_count(index + 1, timeout=TIMEOUT)
    page.wait_for_timeout(1500)
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
          .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
          .map(e => e.closest('[data-testid="stDataFrame"]').innerText.slice(0, 60))"""
    )
    assert overflowing == []


def test_export_page_downloads_the_cosui_pack(
    page: Page, app_server: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = app_server
    open_page(page, url, "exports")
    page.get_by_role("button", name="Préparer le dossier COSUI").click()
    button = page.get_by_role("button", name=re.compile(r"Télécharger cosui_.*\.pptx"))
    expect(button).to_be_visible(timeout=120_000)
    with page.expect_download() as download:
        button.click()
    target = tmp_path / "cosui.pptx"
    download.value.save_as(target)
    assert target.read_bytes()[:2] == b"PK"  # un PPTX est une archive ZIP
