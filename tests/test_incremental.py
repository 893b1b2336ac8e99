"""Après une suite de livraisons (mois nouveau, révision d'un mois ancien, relivraison identique, département en
retard, établissement), chaque table d'indicateurs de l'entrepôt est celle qu'un recalcul complet depuis les valeurs
courantes donne. Le garde-fou de tout recalcul partiel : aujourd'hui chaque import recalcule tout ; un import qui ne
recalculerait que ce que le fichier change devra donner exactement ces tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from pipelines.indicators.refresh import refresh_indicators
from pipelines.intake.validation import finess_with_key
from pipelines.settings import Settings
from pipelines.warehouse.ingest import Incoming, ingest
from tests.conftest import write_text

INDICATOR_TABLES = [
    "indicateurs_flux",
    "completude",
    "rapprochement",
    "trajectoires",
    "projections",
    "indicateurs_sons",
    "echeances_sons",
    "indicateurs_sunes",
    "indicateurs_usage",
    "dim_etablissements",
    "dim_couloirs_etablissements",
    "series_etablissements",
]


def snapshot(db: Path) -> dict[str, pl.DataFrame]:
    """Chaque table d'indicateurs, triée sur toutes ses colonnes (l'ordre des lignes n'est pas une donnée)."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {name: con.sql(f'SELECT * FROM "{name}"').pl() for name in INDICATOR_TABLES}
    return {name: frame.sort(frame.columns, nulls_last=True) for name, frame in tables.items()}


def test_indicators_after_deliveries_equal_a_full_recomputation(
    demo_db: Path, settings: Settings, tmp_path: Path
) -> None:
    revision = "mois;couloir;departement;documents\n2024-03;HOP;35;123456\n"
    finess = finess_with_key("35000000")
    deliveries = [
        (
            "nouveau_mois.csv",
            "mois;couloir;departement;documents\n2025-11;BIO;35;250000\n2025-11;HOP;35;90000\n",
        ),
        ("revision_2024-03.csv", revision),
        ("relivraison_identique.csv", revision),
        ("departement_en_retard.csv", "mois;couloir;departement;documents\n2025-11;BIO;29;180000\n"),
        ("etablissement.csv", f"mois;couloir;departement;finess;documents\n2025-11;HOP;35;{finess};500\n"),
    ]
    statuses = []
    for name, text in deliveries:
        [result] = ingest([Incoming(write_text(tmp_path / name, text))], settings=settings)
        assert result.ok, result.message
        statuses.append(result.statut)
    assert statuses[2] == "identique" and statuses[1] == "revision"

    delivered = snapshot(demo_db)
    rebuilt_db = tmp_path / "recalcul.duckdb"
    shutil.copyfile(demo_db, rebuilt_db)
    with duckdb.connect(str(rebuilt_db)) as con:
        refresh_indicators(con)
    rebuilt = snapshot(rebuilt_db)
    assert delivered["indicateurs_flux"].height > 0 and delivered["series_etablissements"].height > 0
    for name in INDICATOR_TABLES:
        # Comptes et codes à l'identique ; les réels (pentes, taux) au milliardième près : l'ordre d'addition des
        # calculs parallèles varie d'un passage à l'autre, au dernier chiffre.
        assert_frame_equal(delivered[name], rebuilt[name], check_exact=False, rel_tol=1e-9, abs_tol=1e-9)
