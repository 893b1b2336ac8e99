"""Matérialisation des indicateurs dans l'entrepôt après chaque import (même transaction)."""

from __future__ import annotations

import duckdb


def refresh_indicators(con: duckdb.DuckDBPyConnection) -> None:
    """Recalcule les tables `indicateurs_*` à partir des vues courantes."""
    return None
