"""La page HTML du paquet de transparence, ouverte dans Chromium avec le réseau coupé."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import cut_network

pytestmark = pytest.mark.browser


def test_html_page_works_with_the_network_cut(
    demo_export: tuple[Path, Path], browser_type_launch_args: dict, playwright: object
) -> None:
    folder, _ = demo_export
    browser = playwright.chromium.launch(**browser_type_launch_args)  # type: ignore[attr-defined]
    try:
        page = browser.new_page()
        outside = cut_network(page)
        page.goto((folder / "index.html").as_uri())
        page.wait_for_selector(".main-svg", timeout=30_000)
        text = page.inner_text("body")
        assert outside == []
        assert "42\u202f372\u202f000" in text and "508,5 M" in text and "203,4\u202f%" in text
        assert "DÉMONSTRATION" in text.upper()
        assert "décembre 2023" in text  # la révision de décembre 2023 est signalée
        assert page.locator("figure[aria-label]").count() == 4
        # La carte garde ses territoires atteignables au clavier : elle seule n'a pas le rôle « img ».
        assert page.locator("figure[role=img][aria-label]").count() == 3
        assert page.locator("figure:not([role]) path[data-mes-carte]").count() == 18
        assert page.locator("details table").count() == 4
    finally:
        browser.close()
