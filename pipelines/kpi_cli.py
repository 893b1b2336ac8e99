"""Commande `kpi` (indicateurs clés d'un mois) : ajoutée avec la couche d'indicateurs."""

from __future__ import annotations

import argparse


def add_kpi_parser(sub: argparse._SubParsersAction) -> None:
    return None
