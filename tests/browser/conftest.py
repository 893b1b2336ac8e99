"""Un vrai serveur Streamlit sur 127.0.0.1 (port libre) et le Chromium de Debian, piloté par Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

from pipelines.serve import free_port, local_server
from tests.conftest import TODAY

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium de Debian absent (make test l'installe quand on est root)")
    home = tmp_path_factory.mktemp("chromium-home")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "locale": "fr-FR"}


@contextlib.contextmanager
def serve(db: Path, logs: Path, port: int | None = None, **env: str) -> Iterator[str]:
    """`python -m pipelines serve` (le lanceur de `make run`) sur 127.0.0.1, réglages `MES_*` en plus ; arrêté en
    sortie."""
    port = port or free_port()
    variables = {"MES_DB": str(db), "MES_AUJOURDHUI": TODAY.isoformat(), **env}
    with local_server(variables, logs / f"streamlit-{port}.log", port) as (_, url):
        yield url


@contextlib.contextmanager
def serve_demo(master: Path, folder: Path, port: int | None = None, **env: str) -> Iterator[tuple[str, Path]]:
    """`serve` sur une copie de l'entrepôt de démonstration dans `folder` (journal du serveur à côté) : le test peut
    écrire dans l'entrepôt sans toucher à celui de la session. Rend l'adresse et l'entrepôt."""
    db = folder / "entrepot.duckdb"
    shutil.copyfile(master, db)
    with serve(db, folder, port, **env) as url:
        yield url, db


def cut_network(page: Page) -> list[str]:
    """Coupe le réseau de `page` : seuls les fichiers locaux (file://) se chargent, comme une page ouverte hors ligne
    ou dans le cadre d'un site qui n'autorise rien d'autre. Rend la liste, remplie au fil de la page, des adresses
    refusées."""
    outside: list[str] = []

    def block(route: Route) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", block)
    return outside


@pytest.fixture(scope="session")
def app_server(
    demo_warehouse_master: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """Le serveur de l'application sur une copie de l'entrepôt de démonstration ; arrêté en fin de session."""
    with serve_demo(demo_warehouse_master, tmp_path_factory.mktemp("app")) as served:
        yield served


@pytest.fixture(scope="session")
def screenshots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
