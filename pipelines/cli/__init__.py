"""Commandes : ingest, demo, kpi, export, cosui, serve. Messages en français ; code de sortie non nul quand quelque
chose est refusé."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import duckdb

from pipelines.cli.argparse_fr import (
    add_db_argument,
    add_folder_argument,
    add_month_argument,
    add_region_argument,
)
from pipelines.cli.argparse_fr import install as install_french_argparse
from pipelines.settings import SettingsError, get_settings
from pipelines.warehouse.connection import WarehouseError, describe_failure, loaded_kinds
from pipelines.warehouse.redelivery import Incoming, repeats_last_import

if TYPE_CHECKING:
    from pipelines.publish.export import ExportResult

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_WAREHOUSE = 0, 1, 2, 3
EXIT_CODES_HELP = """codes de sortie :
  0  accepté (ou identique à un import déjà fait)
  1  fichier refusé : chaque problème est donné avec fichier, ligne, colonne, valeur et motif ; rien n'est écrit
  2  commande mal formée (option inconnue, valeur illisible)
  3  entrepôt ou environnement indisponible : disque plein, lecture seule, entrepôt corrompu, verrou tenu par
     un autre import, chemin qui est un dossier ; la cause est donnée, l'entrepôt publié est inchangé"""


def _progress_printer() -> Callable[[str], None]:
    started = time.perf_counter()

    def show(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    return show


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db).resolve() if args.db else get_settings().db_path()


def _incoming(args: argparse.Namespace) -> list[Incoming]:
    auteur = f"{getpass.getuser()} (ligne de commande)"
    digests: dict[str, str] = getattr(args, "empreintes", {})
    return [Incoming(Path(f), auteur=auteur, empreinte=digests.get(f)) for f in args.files]


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines.warehouse.ingest import ingest

    files = _incoming(args)
    results = ingest(
        files,
        kind=args.kind,
        db=_db(args),
        dry_run=args.dry_run,
        sheet=args.sheet,
        progress=_progress_printer(),
    )
    for result in results:
        if result.ok:
            print(f"{result.fichier} ({result.nature}) : {result.message}")
            for note in result.notes:
                print(f"  note : {note}")
            for change in result.changements:
                print(f"  chiffre de tête modifié : {change}")
        else:
            print(result.message)
    return EXIT_OK if all(r.ok for r in results) else EXIT_REFUSED


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.warehouse.demo import build_demo

    db = _db(args)
    results = build_demo(db, force=args.force, progress=_progress_printer())
    print(f"Entrepôt de démonstration construit : {db}")
    for result in results:
        print(f"  {result.fichier} : {result.message}")
    print(
        "Attention : les flux et les usages par région et département, les établissements, SONS vague 2 et SUN-ES sont "
        "des données de DÉMONSTRATION."
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.indicators.kpi import NoData, parse_month_option, resolve_scope
    from pipelines.publish.export import ExportRefused, export_public
    from pipelines.warehouse.connection import connect_read

    try:
        month = parse_month_option(args.mois)
        niveau, region = resolve_scope(args.region)
        with connect_read(_db(args)) as con:
            result = export_public(
                con,
                Path(args.out),
                month,
                allow_demo=args.demo,
                progress=_progress_printer(),
                region=region if niveau == "region" else None,
            )
    except (ExportRefused, NoData) as exc:
        print(f"Export refusé : {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(
        f"Paquet de transparence{' de la région ' + args.region if args.region else ''} de {result.mois:%Y-%m} écrit "
        f"dans {result.folder} ({len(result.files)} fichiers)."
    )
    if result.demo:
        print("Attention : export de DÉMONSTRATION, filigrané ; ne pas publier comme officiel.")
    return record_package(args, result)


def record_package(args: argparse.Namespace, result: ExportResult) -> int:
    """Inscrit dans l'entrepôt les chiffres de tête que le paquet publie : un import qui en changerait un serait une
    révision d'un chiffre publié (errata)."""
    from pipelines.warehouse.connection import write_session
    from pipelines.warehouse.headlines import record_diffusion

    assert result.flux is not None
    settings = get_settings()
    when = dt.datetime.combine(settings.today(), dt.datetime.now().time())
    try:
        with write_session(
            _db(args), settings.verrou_attente_s, memory_limit_mb=settings.memoire_max_mo
        ) as writer:
            count = record_diffusion(writer.con, result.flux, result.mois, result.demo, when)
            writer.changed = True
    except WarehouseError as exc:
        print(
            f"Attention : le paquet est écrit, mais ses chiffres n'ont pas pu être inscrits dans l'entrepôt ({exc}). "
            "Un import qui les changerait ne serait pas signalé comme révision d'un chiffre publié : relancez "
            "l'export quand l'entrepôt est disponible.",
            file=sys.stderr,
        )
        return EXIT_WAREHOUSE
    print(
        f"{count} chiffres de tête (France et régions) inscrits comme diffusés : un import qui les change sera une "
        "révision d'un chiffre publié."
    )
    return EXIT_OK


def cmd_cosui(args: argparse.Namespace) -> int:
    import datetime as dt

    from pipelines.intake.parsing import ParseError, parse_date_text
    from pipelines.publish.cosui import CosuiError, build_cosui
    from pipelines.warehouse.connection import connect_read

    try:
        date = parse_date_text(args.date) if args.date else get_settings().today()
    except ParseError as exc:
        print(f"Erreur : --date « {args.date} » : {exc}", file=sys.stderr)
        return EXIT_USAGE
    assert isinstance(date, dt.date)
    try:
        with connect_read(_db(args)) as con:
            out = build_cosui(con, Path(args.out), date, progress=_progress_printer())
    except CosuiError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"Dossier COSUI écrit : {out}")
    return EXIT_OK


def _add_ingest_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p_ingest = sub.add_parser(
        "ingest",
        help="importer des fichiers (CSV, XLSX, Parquet)",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_ingest.add_argument("files", nargs="+", metavar="FICHIER")
    p_ingest.add_argument(
        "--kind",
        choices=loaded_kinds(),
        metavar="NATURE",
        help=f"nature du fichier : {', '.join(loaded_kinds())} (sinon reconnue d'après les colonnes)",
    )
    add_db_argument(p_ingest)
    p_ingest.add_argument(
        "--sheet",
        metavar="FEUILLE",
        help="feuille d'un classeur Excel (obligatoire si plusieurs feuilles sont remplies)",
    )
    p_ingest.add_argument("--dry-run", action="store_true", help="valider sans rien écrire")
    p_ingest.set_defaults(handler=cmd_ingest)


def build_parser() -> argparse.ArgumentParser:
    install_french_argparse()
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Entrepôt et indicateurs du tableau de bord Ségur numérique / Mon espace santé.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="commande")

    _add_ingest_parser(sub)

    p_demo = sub.add_parser("demo", help="construire l'entrepôt par défaut (référence + démonstration)")
    add_db_argument(p_demo)
    p_demo.add_argument("--force", action="store_true", help="remplacer un entrepôt existant")
    p_demo.set_defaults(handler=cmd_demo)

    p_export = sub.add_parser(
        "export", help="paquet de transparence publique (open data, page HTML, graphiques)"
    )
    add_folder_argument(p_export)
    add_month_argument(p_export, "le dernier mois complet du périmètre")
    p_export.add_argument(
        "--demo", action="store_true", help="autoriser un export filigrané de données de démonstration"
    )
    add_region_argument(
        p_export,
        help="le paquet d'une région (code INSEE ou nom) : la région, ses départements et la France pour comparaison",
    )
    add_db_argument(p_export)
    p_export.set_defaults(handler=cmd_export)

    p_cosui = sub.add_parser("cosui", help="dossier PowerPoint du COSUI")
    p_cosui.add_argument(
        "--date", metavar="AAAA-MM-JJ", help="date du COSUI AAAA-MM-JJ (défaut : aujourd'hui)"
    )
    p_cosui.add_argument("--out", required=True, metavar="FICHIER", help="fichier .pptx à écrire")
    add_db_argument(p_cosui)
    p_cosui.set_defaults(handler=cmd_cosui)

    from pipelines.cli.kpi import add_kpi_parser

    add_kpi_parser(sub)
    from pipelines.serve import add_serve_parser

    add_serve_parser(sub)
    from pipelines.cli.ruptures import add_ruptures_parsers

    add_ruptures_parsers(sub)
    return parser


class _NotQuick(Exception):
    """La commande n'est pas une relivraison à reconnaître d'emblée : le chemin ordinaire la lit et y répond."""


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotQuick(message)


def repeated_delivery(argv: Sequence[str]) -> tuple[int | None, dict[str, str]]:
    """Un seul fichier aux octets du dernier import (`ingest FICHIER`) : la réponse « identique » est donnée
    avant d'importer polars, numpy et la validation, ce qui tient la commande sous 0,5 s (issue 19). Rend le code
    de sortie, ou None pour le chemin ordinaire, avec l'empreinte déjà calculée qu'il reprend."""
    if not argv or argv[0] != "ingest" or {"-h", "--help"} & set(argv):
        return None, {}
    get_settings()  # un réglage illisible est refusé ici comme ailleurs, même avec --db
    parser = _QuietParser(add_help=False)
    _add_ingest_parser(parser.add_subparsers(dest="command"))
    try:
        args = parser.parse_args(argv)
    except _NotQuick:
        return None, {}
    if len(args.files) != 1 or args.dry_run or args.sheet is not None:
        return None, {}
    [incoming] = _incoming(args)
    repeat, digest = repeats_last_import(Path(os.path.realpath(_db(args))), incoming, args.kind)
    if repeat is None:
        return None, {args.files[0]: digest} if digest else {}
    _progress_printer()(f"{incoming.name} : {repeat.message}")
    print(f"{incoming.name} ({repeat.nature}) : {repeat.message}")
    return EXIT_OK, {}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        quick, digests = repeated_delivery(argv)
        if quick is not None:
            return quick
        parser = build_parser()
        args = parser.parse_args(argv)
        # Empreinte lue en cherchant une relivraison : l'import la reprend au lieu de relire le fichier.
        args.empreintes = digests
        return int(args.handler(args))
    except SettingsError as exc:
        print(f"Erreur : {exc}.", file=sys.stderr)
        return EXIT_USAGE
    except WarehouseError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_WAREHOUSE
    except KeyboardInterrupt:
        print("Interrompu : rien n'a été publié.", file=sys.stderr)
        return EXIT_WAREHOUSE
    except (OSError, MemoryError, duckdb.Error) as exc:
        print(f"Erreur : entrepôt ou environnement indisponible — {describe_failure(exc)}.", file=sys.stderr)
        return EXIT_WAREHOUSE
    except Exception as exc:  # dernier recours : jamais de trace Python pour l'utilisateur
        print(
            f"Erreur inattendue ({type(exc).__name__} : {describe_failure(exc)}) ; rien n'a été publié.",
            file=sys.stderr,
        )
        return EXIT_WAREHOUSE
