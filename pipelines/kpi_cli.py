"""Commande `kpi` : chiffres clés d'un mois (défaut : le dernier), en tableau français ou en JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipelines.argparse_fr import add_db_argument, add_month_argument
from pipelines.indicators.kpi import NoData, key_figures, parse_month_option, render_table, resolve_scope
from pipelines.settings import get_settings
from pipelines.warehouse.connection import connect_read


def cmd_kpi(args: argparse.Namespace) -> int:
    db = Path(args.db).resolve() if args.db else get_settings().db_path()
    try:
        niveau, code = resolve_scope(args.region, args.departement)
        month = parse_month_option(args.mois)
        with connect_read(db) as con:
            figures = key_figures(con, month, niveau, code)
    except NoData as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
    else:
        print(render_table(figures))
    return 0


def add_kpi_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("kpi", help="chiffres clés d'un mois (défaut : le dernier mois avec données)")
    add_month_argument(parser, "le dernier disponible")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--region", metavar="REGION", help="code INSEE ou nom de la région")
    scope.add_argument("--departement", metavar="DEPARTEMENT", help="code INSEE ou nom du département")
    parser.add_argument("--json", action="store_true", help="un objet JSON au lieu du tableau")
    add_db_argument(parser)
    parser.set_defaults(handler=cmd_kpi)
