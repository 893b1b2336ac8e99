"""Les cartes au clavier (RGAA 7.1, 10.7) : la touche Tab atteint chaque carte par un seul arrêt, les flèches passent
d'un territoire à l'autre, et le territoire atteint montre — et annonce — la même étiquette qu'au survol, avec la
valeur de l'entrepôt. Sur la page Territoires de l'application et dans la page HTML du paquet de transparence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.completeness import latest_complete_month
from pipelines.warehouse.connection import connect_read

pytestmark = pytest.mark.browser

TERRITORY = "path[data-mes-carte]"
FOCUSED = "document.activeElement.getAttribute('aria-label')"
LABEL = re.compile(r"^.+ \([0-9AB]{2,3}\) : (\d[\d  ]*(,\d+)?|pas de donnée) ?.*$")


def _region_rate(db: Path, code: str) -> float:
    con = connect_read(db)
    try:
        month = latest_complete_month(con, "pays", "FR")
        (rate,) = con.execute(
            "SELECT documents_par_habitant_an FROM indicateurs_flux "
            "WHERE niveau = 'region' AND code_geo = ? AND couloir = ? AND mois = ?",
            [code, ALL_COULOIRS, month],
        ).fetchone() or (None,)
    finally:
        con.close()
    assert rate is not None
    return float(rate)


def _tab_until_map(page: Page, presses: int = 120) -> str | None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-mes-carte')"):
            return str(page.evaluate(FOCUSED))
    return None


def test_the_keyboard_reaches_every_territory_of_the_maps_and_reads_its_value(
    page: Page, app_server: tuple[str, Path]
) -> None:
    url, db = app_server
    page.goto(f"{url}/territoires")
    maps = page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(TERRITORY))
    expect(maps.first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Au clavier : Tab atteint la carte").first).to_be_visible()
    expect(maps).to_have_count(2)  # régions et départements
    for index in range(maps.count()):
        one = maps.nth(index)
        assert one.locator(f"{TERRITORY}[tabindex='0']").count() == 1  # un seul arrêt de tabulation par carte
    regions = maps.first.locator(TERRITORY)
    assert regions.count() == 18
    labels = [str(regions.nth(i).get_attribute("aria-label")) for i in range(regions.count())]
    assert all(LABEL.match(label) for label in labels), labels

    page.locator("h1").first.click()
    first = _tab_until_map(page)
    assert first == labels[0]
    box = maps.first.locator(".mes-carte-etiquette")
    expect(box).to_be_visible()
    assert box.inner_text() == first

    page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUSED) == labels[1] == box.inner_text()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(FOCUSED) == labels[-1]  # les flèches font le tour
    page.keyboard.press("Home")
    assert page.evaluate(FOCUSED) == labels[0]

    corse = next(label for label in labels if label.startswith("Corse (94)"))
    assert corse == f"Corse (94) : {formats.decimal(_region_rate(db, '94'), 1)} doc./hab./an"
    while page.evaluate(FOCUSED) != corse:
        page.keyboard.press("ArrowRight")
    assert box.inner_text() == corse
    # La tabulation suivante quitte les territoires (vers la barre d'outils) : la carte ne retient pas le clavier.
    page.keyboard.press("Tab")
    assert not page.evaluate("document.activeElement.hasAttribute('data-mes-carte')")
    expect(box).to_be_hidden()


def test_the_map_of_the_transparency_page_is_reachable_by_keyboard(
    page: Page, demo_export: tuple[Path, Path]
) -> None:
    folder, _ = demo_export
    page.goto((folder / "index.html").as_uri())
    territories = page.locator(TERRITORY)
    expect(territories.first).to_be_attached(timeout=30_000)
    assert territories.count() == 18
    assert page.locator(f"{TERRITORY}[tabindex='0']").count() == 1
    assert page.locator("figure[role='img'] path[data-mes-carte]").count() == 0
    first = _tab_until_map(page, presses=200)
    assert first is not None and LABEL.match(first)
    expect(page.locator(".mes-carte-etiquette")).to_have_text(first)
