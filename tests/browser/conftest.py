"""Un vrai serveur Streamlit sur 127.0.0.1 (port libre) et le Chromium de Debian, piloté par Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    full_env = {**os.environ, "MES_DB": str(db), "MES_AUJOURDHUI": TODAY.isoformat(), **env}
    log = (logs / f"streamlit-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "serve", "--address", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(
                    f"le serveur Streamlit n'a pas démarré : {(logs / f'streamlit-{port}.log').read_text()}"
                )
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def app_server(
    demo_warehouse_master: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """Le serveur de l'application sur une copie de l'entrepôt de démonstration ; arrêté en fin de session."""
    db = tmp_path_factory.mktemp("app") / "entrepot.duckdb"
    shutil.copyfile(demo_warehouse_master, db)
    with serve(db, tmp_path_factory.mktemp("logs")) as url:
        yield url, db


@pytest.fixture(scope="session")
def screenshots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
