"""Le site public (MES_MODE=public) dans un vrai navigateur : chaque page parcourue, rien d'interne, et le fichier
téléchargé passe l'essai de toutes les soustractions (tests/test_secrecy.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from app_pages.registry import pages_for
from pipelines.access import PUBLIC
from tests.browser.conftest import serve
from tests.test_secrecy import recover

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


@pytest.fixture(scope="session")
def public_server(demo_warehouse_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("public")
    db = folder / "entrepot.duckdb"
    shutil.copyfile(demo_warehouse_master, db)
    with serve(db, folder, MES_MODE="public") as url:
        yield url


def test_every_public_page_shows_nothing_internal(page: Page, public_server: str, screenshots: Path) -> None:
    for spec in pages_for("public", PUBLIC):
        page.goto(f"{public_server}/{spec.url_path or ''}")
        expect(page.locator("h1").first).to_contain_text(spec.title, timeout=TIMEOUT)
        expect(page.get_by_text("Données de démonstration", exact=False).first).to_be_visible()
        page.wait_for_timeout(2500)
        body = (
            page.locator('[data-testid="stMain"]').inner_text()
            + page.locator('[data-testid="stSidebar"]').inner_text()
        )
        for forbidden in (
            "Autres émetteurs",
            "Registre des imports",
            "mode local",
            "ENTREPOT.md",
            "Importer un fichier",
        ):
            assert forbidden not in body, (spec.path, forbidden)
        expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
        page.screenshot(
            path=str(screenshots / f"public-{spec.url_path or 'vue-ensemble'}.png"), full_page=True
        )


def test_internal_pages_answer_like_unknown_pages(page: Page, public_server: str) -> None:
    def answer(path: str) -> tuple[str, str]:
        page.goto(f"{public_server}/{path}")
        expect(page.locator("h1").first).to_be_visible(timeout=TIMEOUT)
        page.wait_for_timeout(2000)
        dialog = page.locator('[role="dialog"]')
        # Le message « Page inconnue » cite l'adresse demandée : elle est retirée pour comparer les réponses.
        text = dialog.inner_text().replace(f"« /{path} »", "« … »") if dialog.count() else ""
        return page.locator("h1").first.inner_text(), text

    unknown = answer("page-qui-n-existe-pas")
    for path in ("donnees", "exports"):
        assert answer(path) == unknown
    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)


def test_the_public_download_passes_the_subtraction_test(
    page: Page, public_server: str, tmp_path: Path
) -> None:
    page.goto(f"{public_server}/donnees-ouvertes")
    button = page.get_by_role("button", name="Télécharger « Indicateurs de flux", exact=False)
    expect(button).to_be_visible(timeout=TIMEOUT)
    with page.expect_download(timeout=TIMEOUT) as download:
        button.click()
    path = tmp_path / "indicateurs_flux.csv"
    download.value.save_as(path)
    frame = pl.read_csv(path, try_parse_dates=True, infer_schema_length=None)
    assert "AUT" not in frame["couloir"].to_list()
    assert set(frame.filter(pl.col("masque_secret_statistique"))["documents"].to_list()) == {"< 11", "secret"}
    numeric = frame.with_columns(
        [
            pl.col(c).cast(pl.Float64, strict=False)
            for c in ("documents", "flux_annualise", "cumul_12_mois", "documents_m1", "documents_m12")
        ]
    )
    assert recover(numeric) == {}
