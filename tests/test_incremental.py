"""Après une suite de livraisons (mois nouveau, révision d'un mois ancien, relivraison identique, département en
retard, établissement), chaque table d'indicateurs de l'entrepôt est celle qu'un recalcul complet depuis les valeurs
courantes donne. Le garde-fou du recalcul incrémental : un import ne récrit que les mois qu'il livre et ceux qui en
dépendent (pipelines/indicators/refresh.py), et doit donner exactement ces tables."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.indicators import establishments, refresh
from pipelines.indicators.establishments import MonthSpan, month_rank
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


ETAB = "mois;couloir;departement;finess;type_document;documents\n"


def deliver(settings: Settings, tmp_path: Path, name: str, text: str) -> str:
    [result] = ingest([Incoming(write_text(tmp_path / name, text))], settings=settings)
    assert result.ok, result.message
    return result.statut


def assert_equal_to_full_recomputation(db: Path, tmp_path: Path) -> None:
    """Chaque table d'indicateurs de `db` est celle qu'un recalcul complet d'une copie donne."""
    delivered = snapshot(db)
    rebuilt_db = tmp_path / "recalcul.duckdb"
    shutil.copyfile(db, rebuilt_db)
    with duckdb.connect(str(rebuilt_db)) as con:
        refresh_indicators(con)
    rebuilt = snapshot(rebuilt_db)
    assert delivered["indicateurs_flux"].height > 0 and delivered["series_etablissements"].height > 0
    for name in INDICATOR_TABLES:
        # Comptes et codes à l'identique ; les réels (pentes, taux) au milliardième près : l'ordre d'addition des
        # calculs parallèles varie d'un passage à l'autre, au dernier chiffre.
        assert_frame_equal(delivered[name], rebuilt[name], check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_indicators_after_deliveries_equal_a_full_recomputation(
    demo_db: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    revision = "mois;couloir;departement;documents\n2024-03;HOP;35;123456\n"
    finess = finess_with_key("35000000")
    late = finess_with_key("29000000")
    deliveries = [
        (
            "nouveau_mois.csv",
            "mois;couloir;departement;documents\n2025-11;BIO;35;250000\n2025-11;HOP;35;90000\n",
        ),
        ("revision_2024-03.csv", revision),
        ("relivraison_identique.csv", revision),
        ("departement_en_retard.csv", "mois;couloir;departement;documents\n2025-11;BIO;29;180000\n"),
        ("etablissement.csv", f"mois;couloir;departement;finess;documents\n2025-11;HOP;35;{finess};500\n"),
        # Un établissement connu livre le total d'un mois ancien (il en avait le détail par type) : sa valeur change, et
        # ses m − 1, m − 12 et cumuls des mois suivants avec elle.
        ("revision_etablissement.csv", f"{ETAB}2025-03;HOP;01;010000057;;777\n"),
        # Puis la révise : aucune clé nouvelle, les comptes de complétude ne sont pas recomptés.
        ("revision_valeur_etablissement.csv", f"{ETAB}2025-03;HOP;01;010000057;;778\n"),
        # Le détail par type d'un mois déjà livré en total : le total livré reste la valeur du mois.
        ("types_etablissement.csv", f"{ETAB}2025-04;BIO;01;010000065;CRH;5\n2025-04;BIO;01;010000065;LL;6\n"),
        # Un établissement qui arrive en retard, deux mois éloignés dans le même fichier.
        ("retard_etablissement.csv", f"{ETAB}2025-02;RAD;29;{late};;40\n2025-09;RAD;29;{late};;41\n"),
        # Un couloir qu'aucun établissement ne livrait (AUT) : il rejoint ceux des établissements.
        ("nouveau_couloir_etablissement.csv", f"{ETAB}2025-06;AUT;29;{late};;7\n"),
    ]
    rewritten: list[MonthSpan | None] = []
    full = refresh.refresh_establishments

    def recording(con: duckdb.DuckDBPyConnection, delivered: MonthSpan | None = None) -> bool:
        rewritten.append(delivered)
        return full(con, delivered)

    monkeypatch.setattr(refresh, "refresh_establishments", recording)
    # Les lignes courantes relues : celles des mois livrés seulement (les fenêtres prennent les autres mois dans les
    # séries déjà calculées).
    read_spans: list[MonthSpan] = []
    read_current = establishments._read_current

    def reading(
        con: duckdb.DuckDBPyConnection,
        steps: dict[str, str],
        etablissement: int,
        all_types: int,
        span: MonthSpan,
    ) -> establishments.CurrentRows:
        read_spans.append(span)
        return read_current(con, steps, etablissement, all_types, span)

    monkeypatch.setattr(establishments, "_read_current", reading)
    statuses = [deliver(settings, tmp_path, name, text) for name, text in deliveries]
    # Les imports d'établissements n'ont récrit que leurs mois : mars 2025 seul, puis de février à septembre.
    assert MonthSpan(month_rank(dt.date(2025, 3, 1)), month_rank(dt.date(2025, 3, 1))) in rewritten
    assert MonthSpan(month_rank(dt.date(2025, 2, 1)), month_rank(dt.date(2025, 9, 1))) in rewritten
    assert read_spans == [establishments.ALL_MONTHS if span is None else span for span in rewritten]
    assert statuses[2] == "identique" and statuses[1] == "revision" and statuses[6] == "revision"
    assert "identique" not in statuses[3:]
    assert_equal_to_full_recomputation(demo_db, tmp_path)


def test_an_establishment_that_changes_attachment_recounts_its_history(
    demo_db: Path, settings: Settings, tmp_path: Path
) -> None:
    # Un FINESS d'outre-mer (« 97… ») peut être livré sous 971 puis 972 : son rattachement (celui de son dernier mois)
    # change, et ses livraisons passées comptent désormais pour 972.
    overseas = finess_with_key("97100000")
    deliver(
        settings,
        tmp_path,
        "guadeloupe.csv",
        f"{ETAB}2025-08;BIO;971;{overseas};;10\n2025-09;BIO;971;{overseas};;11\n",
    )
    deliver(settings, tmp_path, "martinique.csv", f"{ETAB}2025-10;BIO;972;{overseas};;12\n")
    with duckdb.connect(str(demo_db), read_only=True) as con:
        [(departement,)] = con.execute(
            "SELECT code_departement FROM dim_etablissements WHERE code_geo = ?", [overseas]
        ).fetchall()
    assert departement == "972"
    assert_equal_to_full_recomputation(demo_db, tmp_path)


def test_a_full_recomputation_is_kept_behind_a_setting(
    demo_db: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MES_RECALCUL_INCREMENTAL", "false")
    finess = finess_with_key("35000000")
    deliver(settings, tmp_path, "etablissement.csv", f"{ETAB}2025-11;HOP;35;{finess};;500\n")
    assert_equal_to_full_recomputation(demo_db, tmp_path)


def test_a_warehouse_from_before_the_incremental_tables_is_recomputed_in_full(
    demo_db: Path, settings: Settings, tmp_path: Path
) -> None:
    # Un entrepôt d'avant ces tables les reçoit vides (schéma `IF NOT EXISTS`) : le premier import recalcule tout et
    # les remplit, au lieu de reprendre des sommes et des comptes absents.
    with duckdb.connect(str(demo_db)) as con:
        con.execute(
            "DROP TABLE sommes_etablissements; DROP TABLE comptes_etablissements; DROP TABLE enfants_etablissements; "
            "DROP TABLE empreintes_installees"
        )
    finess = finess_with_key("35000000")
    deliver(settings, tmp_path, "etablissement.csv", f"{ETAB}2025-11;HOP;35;{finess};;500\n")
    with duckdb.connect(str(demo_db), read_only=True) as con:
        [(sums,)] = con.execute("SELECT count(*) FROM sommes_etablissements").fetchall()
    assert sums > 0
    assert_equal_to_full_recomputation(demo_db, tmp_path)
