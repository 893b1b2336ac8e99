"""Un fichier plus gros que MES_UPLOAD_MAX_MO est refusé par le navigateur avant tout envoi, en français, et
l'entrepôt ne change pas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import serve_demo

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def small_limit_server(
    demo_warehouse_master: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    with serve_demo(
        demo_warehouse_master, tmp_path_factory.mktemp("limite"), MES_UPLOAD_MAX_MO="1"
    ) as served:
        yield served


def test_an_oversized_file_is_refused_before_sending_in_french(
    page: Page, small_limit_server: tuple[str, Path], tmp_path: Path
) -> None:
    url, db = small_limit_server
    before = db.stat().st_mtime_ns
    page.goto(f"{url}/donnees")
    expect(page.get_by_text("Taille maximale : 1 Mo")).to_be_visible(timeout=TIMEOUT)
    big = tmp_path / "gros.csv"
    big.write_text(
        "annee;niveau;code;population\n" + "2024;departement;2A;160000\n" * 60_000, encoding="utf-8"
    )
    assert big.stat().st_size > 1.4 * 2**20
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "upload_file" in r.url else None)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(big))
    expect(page.get_by_text("Fichier trop volumineux : 1 Mo au plus. Rien n'a été envoyé.")).to_be_visible(
        timeout=TIMEOUT
    )
    expect(page.get_by_text("or smaller")).to_have_count(0)
    assert requests == []  # rien n'est parti vers le serveur
    expect(page.get_by_role("button", name="Importer dans l'entrepôt")).to_have_count(0)
    assert db.stat().st_mtime_ns == before
