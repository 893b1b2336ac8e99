"""Commande `kpi` : chiffres clés d'un mois (défaut : le dernier mois complet), en tableau français ou en JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipelines import formats
from pipelines.cli.argparse_fr import add_db_argument, add_month_argument, add_region_argument
from pipelines.indicators.kpi import NoData, key_figures, parse_month_option, resolve_scope
from pipelines.indicators.target_status import target_status
from pipelines.intake.parsing import parse_month_text
from pipelines.publish import figure_cards
from pipelines.settings import get_settings
from pipelines.warehouse.connection import connect_read
from pipelines.warehouse.reference import labels

KPI_CARDS = (
    "documents_mois",
    "flux_annualise",
    "cumul_12_mois",
    "cible_annuelle",
    "taux_atteinte_cible",
    "documents_par_habitant_an",
    "evolution_1_mois",
    "evolution_12_mois",
    "evolution_depuis_cosui",
    "multiplicateur_depuis_base",
)


def render_table(figures: dict[str, Any]) -> str:
    """Les chiffres clés en tableau texte, formats français."""
    month = parse_month_text(figures["mois"])
    status = target_status(figures)
    couloir_names = labels("couloirs.csv")
    lines: list[str | tuple[str, str]] = [
        f"Chiffres clés — {figures['perimetre']} — {formats.month(month)}"
        + ("" if figures.get("complet", True) else " (provisoire)"),
        *(
            [f"PROVISOIRE : mois incomplet — {formats.coverage(figures['couverture'])}."]
            if not figures.get("complet", True)
            else []
        ),
        *(
            ["DONNÉES DE DÉMONSTRATION : ces chiffres ne sont pas officiels."]
            if figures["donnees_demo"]
            else []
        ),
        "",
        *figure_cards.cards(figures, KPI_CARDS),
        ("Statut de la cible", f"{status.value} — {status.detail}"),
        "",
        "Parts des couloirs",
        *(
            (f"  {couloir_names.get(code, code)}", formats.percent(share))
            for code, share in figures["parts_couloir"].items()
        ),
    ]
    width = max(len(item[0]) for item in lines if isinstance(item, tuple))
    assert width > 0
    return "\n".join(f"{item[0]:<{width}}  {item[1]}" if isinstance(item, tuple) else item for item in lines)


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
    parser = sub.add_parser("kpi", help="chiffres clés d'un mois (défaut : le dernier mois complet)")
    add_month_argument(parser, "le dernier mois complet du périmètre")
    scope = parser.add_mutually_exclusive_group()
    add_region_argument(scope)
    scope.add_argument("--departement", metavar="DEPARTEMENT", help="code INSEE ou nom du département")
    parser.add_argument("--json", action="store_true", help="un objet JSON au lieu du tableau")
    add_db_argument(parser)
    parser.set_defaults(handler=cmd_kpi)
