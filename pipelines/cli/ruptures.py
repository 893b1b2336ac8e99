"""Commandes `ruptures` (la liste des alertes d'un mois, en tableau français ou en JSON) et `alertes` (les fichiers que
chaque équipe régionale envoie à ses établissements)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import polars as pl

from pipelines import formats
from pipelines.cli.argparse_fr import (
    add_db_argument,
    add_folder_argument,
    add_month_argument,
    add_region_argument,
)
from pipelines.indicators.kpi import NoData, parse_month_option, resolve_scope
from pipelines.indicators.ruptures import TYPES
from pipelines.settings import get_settings
from pipelines.warehouse.connection import connect_read
from pipelines.warehouse.ruptures import Scope, latest_month, records, ruptures


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db).resolve() if args.db else get_settings().db_path()


def chosen_month(con: object, text: str | None) -> dt.date:
    """Le mois demandé, ou le dernier mois des séries d'établissements ; `NoData` sans établissement."""
    latest = latest_month(con)  # type: ignore[arg-type]
    if latest is None:
        raise NoData("aucun flux par établissement dans l'entrepôt (importez un fichier de flux avec FINESS)")
    month = parse_month_option(text) or latest
    if month > latest:
        raise NoData(
            f"aucun flux par établissement en {formats.month(month)} (dernier mois livré : {formats.month(latest)})"
        )
    return month


def render_table(frame: pl.DataFrame, month: dt.date, perimetre: str) -> str:
    """La liste en texte français : une ligne par établissement × couloir, les documents perdus d'abord."""
    # Importé ici : le thème charge plotly, dont les autres commandes (un import mensuel) n'ont pas l'usage.
    from pipelines.publish.theme import RUPTURE_LABELS, couloir_label

    if frame.height == 0:
        return f"Aucune rupture de flux en {formats.month(month)} ({perimetre})."
    lines = [
        f"Ruptures de flux — {formats.month(month)} — {perimetre} : {frame.height} établissement(s) × couloir",
        "",
    ]
    for row in frame.iter_rows(named=True):
        new = " — nouvelle" if row["nouvelle"] else ""
        lines.append(
            f"{row['finess']}  {row['raison_sociale'] or '(absent du répertoire)'} ({row['departement']}) — "
            f"{couloir_label(row['couloir'])} — {RUPTURE_LABELS[row['type']]}{new}"
        )
        lines.append(
            f"    documents du mois {formats.integer(row['documents_mois'])} ; référence "
            f"{formats.decimal(row['reference'], 1)} ({row['base_reference']}) ; "
            f"documents perdus {formats.integer(row['documents_perdus'])}"
        )
    if frame["donnees_demo"].any():
        lines += ["", "Attention : ces établissements sont des données de DÉMONSTRATION."]
    return "\n".join(lines)


def cmd_ruptures(args: argparse.Namespace) -> int:
    try:
        niveau, code = resolve_scope(args.region, args.departement)
        with connect_read(_db(args)) as con:
            month = chosen_month(con, args.mois)
            frame = ruptures(con, month, Scope.of(niveau, code), args.type)
    except NoData as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(records(frame), ensure_ascii=False, indent=2))
    else:
        perimetre = (
            "France" if niveau == "pays" else f"{'région' if niveau == 'region' else 'département'} {code}"
        )
        print(render_table(frame, month, perimetre))
    return 0


def cmd_alertes(args: argparse.Namespace) -> int:
    from pipelines.publish.alerts import write_alert_files

    try:
        niveau, region = resolve_scope(args.region)
        with connect_read(_db(args)) as con:
            month = chosen_month(con, args.mois)
            written = write_alert_files(con, Path(args.out), month, region if niveau == "region" else None)
    except NoData as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    print(f"Alertes {formats.of_month(month)} écrites dans {written.folder} : {written.summary}")
    return 0


def add_ruptures_parsers(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "ruptures", help="ruptures de flux par établissement (arrêt, baisse, équipé sans flux)"
    )
    add_month_argument(parser, "le dernier mois des établissements")
    scope = parser.add_mutually_exclusive_group()
    add_region_argument(scope)
    scope.add_argument("--departement", metavar="DEPARTEMENT", help="code INSEE ou nom du département")
    parser.add_argument(
        "--type", choices=TYPES, help="une seule règle (sinon la première satisfaite par série)"
    )
    parser.add_argument("--json", action="store_true", help="un objet JSON par établissement × couloir")
    add_db_argument(parser)
    parser.set_defaults(handler=cmd_ruptures)

    alerts = sub.add_parser("alertes", help="fichiers d'alertes par région (XLSX, CSV Excel, HTML) et index")
    add_folder_argument(alerts)
    add_month_argument(alerts, "le dernier mois des établissements")
    add_region_argument(alerts, help="une seule région : code INSEE ou nom (défaut : toutes les régions)")
    add_db_argument(alerts)
    alerts.set_defaults(handler=cmd_alertes)
