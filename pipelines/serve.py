"""Lancer l'application dans son mode : vérifier d'abord qu'elle peut l'être (adresse, connexion, rôles), puis
passer la main à Streamlit avec les réglages du produit (taille maximale d'un dépôt, fichier de secrets). Pour les
tests du navigateur et le banc de charge : le même lanceur sur 127.0.0.1, attendu jusqu'à ce qu'il réponde."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

from pipelines.access import startup_problems
from pipelines.settings import REPO_ROOT, Settings, get_settings

EXIT_REFUSED = 2


def streamlit_command(settings: Settings, address: str, port: int) -> list[str]:
    """La commande Streamlit : adresse explicite (Streamlit écoute partout sinon), `server.maxUploadSize` =
    `MES_UPLOAD_MAX_MO` pour que le navigateur refuse un fichier trop gros avant de l'envoyer, sans surveillance des
    fichiers sources : chaque nouvelle session en posait une sur tout le dépôt (0,3 à 0,45 s avant son premier passage,
    docs/PERFORMANCE.md) pour un rechargement à chaud qui ne sert qu'à qui modifie le code."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO_ROOT / "app.py"),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.maxUploadSize",
        str(settings.upload_max_mo),
        "--server.fileWatcherType",
        "none",
    ]
    if settings.secrets_path().exists():
        command += ["--secrets.files", str(settings.secrets_path())]
    return command


def cmd_serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    problems = startup_problems(settings.mode, args.address, settings.secrets_path(), settings.roles_path())
    if problems:
        for problem in problems:
            print(f"Démarrage refusé : {problem}.", file=sys.stderr)
        return EXIT_REFUSED
    command = streamlit_command(settings, args.address, args.port)
    print(f"Mode {settings.mode} : http://{args.address}:{args.port}", file=sys.stderr, flush=True)
    os.chdir(REPO_ROOT)
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv ne rend pas la main


def free_port() -> int:
    """Un port libre sur 127.0.0.1 (le système le choisit), pour un serveur de test ou du banc."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server(
    env: Mapping[str, str], log: Path | None = None, port: int | None = None, wait_s: float = 60
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m pipelines serve` sur 127.0.0.1 (port libre sinon), `env` ajouté à l'environnement : rend le
    processus et son adresse une fois que Streamlit se dit prêt (`/_stcore/health`), l'arrête en sortie. Les tests du
    navigateur et le banc de charge démarrent ainsi le même serveur que `make run`."""
    port = port or free_port()
    output = log.open("wb") if log else None
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "serve", "--address", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=output or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_s
        while not _healthy(url):
            if time.monotonic() > deadline or process.poll() is not None:
                journal = f" : {log.read_text(errors='replace')}" if log else ""
                raise RuntimeError(f"le serveur Streamlit n'a pas démarré en {wait_s:.0f} s{journal}")
            time.sleep(0.3)
        yield process, url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if output:
            output.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.read() == b"ok")
    except OSError:
        return False


def add_serve_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="servir l'application (mode MES_MODE : local, public ou interne)")
    parser.add_argument(
        "--address", default="127.0.0.1", metavar="ADRESSE", help="adresse d'écoute (défaut : 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8501, help="port (défaut : 8501)")
    parser.set_defaults(handler=cmd_serve)
