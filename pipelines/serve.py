"""Lancer l'application dans son mode : vérifier d'abord qu'elle peut l'être (adresse, connexion, rôles), puis
passer la main à Streamlit avec les réglages du produit (taille maximale d'un dépôt, fichier de secrets)."""

from __future__ import annotations

import argparse
import os
import sys

from pipelines.access import startup_problems
from pipelines.settings import REPO_ROOT, Settings, get_settings

EXIT_REFUSED = 2


def streamlit_command(settings: Settings, address: str, port: int) -> list[str]:
    """La commande Streamlit : adresse explicite (Streamlit écoute partout sinon), `server.maxUploadSize` =
    `MES_UPLOAD_MAX_MO` pour que le navigateur refuse un fichier trop gros avant de l'envoyer."""
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


def add_serve_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="servir l'application (mode MES_MODE : local, public ou interne)")
    parser.add_argument(
        "--address", default="127.0.0.1", metavar="ADRESSE", help="adresse d'écoute (défaut : 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8501, help="port (défaut : 8501)")
    parser.set_defaults(handler=cmd_serve)
