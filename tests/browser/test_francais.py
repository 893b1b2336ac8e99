"""Chaque page de l'application, dans un vrai navigateur : le document se déclare en français, aucun texte anglais de
Streamlit ou de Plotly ne reste (liste ci-dessous), aucune valeur brute (« None », « nan », nombre de cinq chiffres
sans séparateur), aucun libellé coupé, et axe-core ne trouve aucune violation grave ou critique.

Les pages viennent du registre de l'application (app_pages/registry.py), mode par mode : une page ajoutée est vérifiée
d'office.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from app_pages.registry import pages_for
from pipelines.access import LOCAL, PUBLIC, Role
from tests.browser.conftest import serve

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
CHART = '[data-testid="stPlotlyChart"]'

# Textes anglais de Streamlit et de Plotly vus dans l'application : aucun ne doit rester, ni dans le texte visible,
# ni dans les étiquettes lues par les lecteurs d'écran (aria-label, title, placeholder).
ENGLISH = [
    "Upload",
    "Browse files",
    "Drag and drop",
    "per file",
    "files are not allowed",
    "Error:",
    "Page not found",
    "Running the app's main page",
    "You have requested page",
    "Download plot",
    "Zoom",
    "Pan",
    "Autoscale",
    "Reset axes",
    "Zoom in",
    "Zoom out",
    "Show/hide columns",
    "Download as CSV",
    "Search",
    "Fullscreen",
    "Collapse sidebar",
    "Expand sidebar",
    "Help for",
    "Skip to main content",
    "Choose an option",
    "Link to heading",
    "Copy to clipboard",
    "No results",
    "Sidebar",
    "App pages",
    "file upload",
]
RAW_VALUES = ["None", "nan", "NaN", "true", "false", "NaT", "inf"]
# Un nombre de cinq chiffres ou plus écrit d'un bloc (« 6442104 ») : les milliers doivent être séparés. Un identifiant
# (nom de fichier, adresse) n'est pas un nombre : des chiffres collés à des lettres, à « _ » ou à « / » sont laissés.
UNSEPARATED = re.compile(r"(?<![\w/\u202f\u00a0,.])\d{5,}(?!\w)")

VISIBLE_TEXT = """() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || !node.nodeValue.trim()) continue;
    // Le code (exemples de valeurs à livrer, identifiants) s'écrit tel quel : il n'est pas un texte à franciser.
    if (element.closest('[data-testid="stIconMaterial"], [aria-hidden="true"], script, style, code')) continue;
    const style = getComputedStyle(element);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    parts.push(node.nodeValue.trim());
  }
  return parts;
}"""
LABELS = """() => [...document.querySelectorAll('[aria-label], [title], [placeholder], [data-title]')].flatMap(
  e => ['aria-label', 'title', 'placeholder', 'data-title'].map(a => e.getAttribute(a)).filter(Boolean))"""
# Un élément dont le texte déborde de sa boîte et est coupé (ellipse, overflow caché) : un libellé tronqué.
TRUNCATED = """() => [...document.querySelectorAll('body *')].filter(e => {
  if (!e.innerText || !e.innerText.trim() || e.closest('[data-testid="stIconMaterial"]')) return false;
  const style = getComputedStyle(e);
  const clipped = style.textOverflow === 'ellipsis' || ['hidden', 'clip'].includes(style.overflowX);
  const box = e.getBoundingClientRect();
  if (!clipped || box.width <= 2 || box.height <= 2) return false;  // liens d'évitement masqués (1 px)
  return e.scrollWidth > e.clientWidth + 1 && e.children.length === 0;
}).map(e => e.innerText.slice(0, 80))"""


FOCUSED = "() => (document.activeElement.innerText || document.activeElement.getAttribute('aria-label') || '').trim()"


def registered_pages(mode: str, role: Role) -> list[tuple[str, str, str]]:
    """(mode, adresse, titre) de chaque page que ce mode montre : le registre de l'application (app_pages/registry)."""
    return [
        (mode, "" if spec.default else (spec.url_path or ""), spec.title) for spec in pages_for(mode, role)
    ]


# Le mode interne (connexion OpenID Connect) a ses propres tests navigateur (test_interne.py) ; ses pages sont
# celles du mode local, vérifiées ici.
PAGES = registered_pages("local", LOCAL) + registered_pages("public", PUBLIC)


@pytest.fixture(scope="session")
def public_server(demo_warehouse_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """L'application en mode public (lecture seule, sans connexion) sur une copie de l'entrepôt de démonstration."""
    db = tmp_path_factory.mktemp("public") / "entrepot.duckdb"
    shutil.copyfile(demo_warehouse_master, db)
    with serve(db, tmp_path_factory.mktemp("logs-public"), MES_MODE="public") as url:
        yield url


def settle(page: Page) -> None:
    """Attend que la page soit dessinée : titre, graphiques tracés, plus de calcul en cours."""
    expect(page.locator("h1").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("html")).to_have_attribute("lang", "fr", timeout=TIMEOUT)
    charts = page.locator(CHART)
    for index in range(charts.count()):
        expect(charts.nth(index).locator(".main-svg .trace").first).to_be_attached(timeout=TIMEOUT)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=TIMEOUT)
    page.wait_for_timeout(1000)


def eventually(page: Page, probe: Callable[[], list[str]], seconds: float = 20) -> list[str]:
    """Ce que la page montre une fois stable : la traduction et la mise en forme suivent le dessin de quelques
    instants, davantage sur une machine chargée ; le constat est relu jusqu'à être vide, `seconds` au plus."""
    deadline = time.monotonic() + seconds
    found = probe()
    while found and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        found = probe()
    return found


def english_in(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        for phrase in ENGLISH:
            if re.search(rf"(?<![\w/]){re.escape(phrase)}(?!\w)", text):
                found.append(f"{phrase!r} dans {text[:80]!r}")
    return found


def test_registry_lists_every_page() -> None:
    assert (
        len(PAGES) >= 8
        and ("local", "", "Vue d'ensemble") in PAGES
        and ("public", "", "Vue d'ensemble") in PAGES
    )


@pytest.mark.parametrize(("mode", "path", "title"), PAGES, ids=[f"{m}-{p or 'accueil'}" for m, p, _ in PAGES])
def test_page_is_french_readable_and_accessible(
    page: Page, request: pytest.FixtureRequest, mode: str, path: str, title: str
) -> None:
    url = (
        request.getfixturevalue("app_server")[0]
        if mode == "local"
        else request.getfixturevalue("public_server")
    )
    page.goto(f"{url}/{path}")
    settle(page)
    expect(page.locator("h1").first).to_contain_text(title.split(" ")[0], timeout=TIMEOUT)
    # Le tableau d'un graphique n'est construit que volet ouvert : le premier est ouvert, pour qu'il soit vérifié aussi.
    shelves = page.get_by_text("Voir les chiffres du graphique (tableau)")
    if shelves.count():
        shelves.first.click()
        expect(page.locator('[data-testid="stExpander"] [data-testid="stDataFrame"]').first).to_be_visible(
            timeout=TIMEOUT
        )
        settle(page)
    # Les tableaux et les graphiques montrent leurs barres d'outils au survol : on les fait apparaître.
    for selector in (CHART, '[data-testid="stDataFrame"]'):
        if page.locator(selector).count():
            page.locator(selector).first.hover(force=True)
            page.wait_for_timeout(300)

    assert page.evaluate("document.documentElement.lang") == "fr"
    english = eventually(page, lambda: english_in(page.evaluate(VISIBLE_TEXT) + page.evaluate(LABELS)))
    assert english == []
    raw = eventually(
        page,
        lambda: [
            t
            for t in page.evaluate(VISIBLE_TEXT)
            if any(re.search(rf"(?<![\w.]){v}(?![\w.])", t) for v in RAW_VALUES)
        ],
    )
    assert raw == [], f"valeurs brutes affichées : {raw[:10]}"
    unseparated = eventually(page, lambda: [t for t in page.evaluate(VISIBLE_TEXT) if UNSEPARATED.search(t)])
    assert unseparated == [], f"nombres sans séparateur de milliers : {unseparated[:10]}"
    assert eventually(page, lambda: page.evaluate(TRUNCATED)) == []

    serious = serious_violations(page)
    assert serious == [], "\n".join(serious)


def serious_violations(page: Page) -> list[str]:
    """Les violations « serious » ou « critical » qu'axe-core trouve sur la page telle qu'elle est affichée."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}) : {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_unknown_address_answers_in_french(page: Page, app_server: tuple[str, Path]) -> None:
    url, _ = app_server
    page.goto(f"{url}/page-qui-n-existe-pas")
    expect(page.get_by_text("Page inconnue")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("La page « /page-qui-n-existe-pas » n'existe pas", exact=False)).to_be_visible()
    assert english_in(page.evaluate(VISIBLE_TEXT) + page.evaluate(LABELS)) == []


def test_keyboard_reaches_navigation_and_content(page: Page, app_server: tuple[str, Path]) -> None:
    """Au clavier seul : le lien d'évitement vient en premier, puis les pages, puis les réglages de la barre."""
    url, _ = app_server
    page.goto(f"{url}/")
    settle(page)
    expect(page.locator(f"{CHART} .modebar-btn").first).to_be_attached(timeout=TIMEOUT)
    focused: list[str] = []
    # Un tour complet de la page au plus (la tabulation revient au lien d'évitement).
    for _ in range(80):
        page.keyboard.press("Tab")
        focused.append(page.evaluate(FOCUSED))
        if len(focused) > 1 and focused[-1] == "Aller au contenu principal":
            break
    assert focused[0] == "Aller au contenu principal"
    assert any(text.endswith("Couloirs") for text in focused)
    assert "Mois" in focused or any("octobre 2025" in text for text in focused)
    assert any("Voir les chiffres du graphique" in text for text in focused), focused
    assert any(text == "Télécharger le graphique (PNG)" for text in focused), focused


def test_uploader_speaks_french(page: Page, app_server: tuple[str, Path], tmp_path: Path) -> None:
    """Le dépôt de fichier : bouton, taille maximale, taille du fichier et refus d'un PDF, en français."""
    url, _ = app_server
    page.goto(f"{url}/donnees")
    settle(page)
    uploader = page.locator('[data-testid="stFileUploader"]')
    expect(uploader).to_contain_text("Mo par fichier", timeout=TIMEOUT)
    expect(uploader.get_by_role("button", name="Choisir un fichier")).to_be_visible()
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(b"%PDF-1.4 essai")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(pdf))
    expect(uploader).to_contain_text("Type de fichier refusé (application/pdf)", timeout=TIMEOUT)
    expect(uploader).to_contain_text("14\u00a0o")
    assert english_in(page.evaluate(VISIBLE_TEXT) + page.evaluate(LABELS)) == []
