"""La carte de la Seine-Saint-Denis (paquet de transparence), ouverte dans Chromium avec le réseau coupé, comme un
site de mairie l'intégrerait dans un cadre."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import formats
from tests.browser.conftest import cut_network

pytestmark = pytest.mark.browser


def test_seine_saint_denis_card_opens_offline_and_shows_its_figures(
    demo_export: tuple[Path, Path], browser_type_launch_args: dict, playwright: object, screenshots: Path
) -> None:
    folder, _ = demo_export
    document = json.loads((folder / "api" / "v1" / "departements" / "93.json").read_text(encoding="utf-8"))
    browser = playwright.chromium.launch(**browser_type_launch_args)  # type: ignore[attr-defined]
    try:
        page = browser.new_page(viewport={"width": 480, "height": 520})
        outside = cut_network(page)
        page.goto((folder / "cartes" / "departement" / "93.html").as_uri())
        text = page.inner_text("body")
        assert outside == []
        assert "Seine-Saint-Denis" in text
        assert formats.integer(document["chiffres_cles"]["documents"]) in text
        assert formats.decimal(document["chiffres_cles"]["documents_par_habitant_an"], 1) in text
        assert "Données arrêtées au 31 octobre 2025" in text and "démonstration" in text.lower()
        assert page.locator("svg[role=img][aria-label]").count() == 1
        page.screenshot(path=str(screenshots / "carte-93.png"), full_page=True)
    finally:
        browser.close()
