"""Montages communs : entrepôts DuckDB réels dans des dossiers temporaires, fichiers écrits comme les équipes les
envoient (CSV Windows-1252 à `;`, classeurs Excel, Parquet)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl
import pytest

from pipelines.settings import Settings, get_settings

TODAY = dt.date(2026, 11, 21)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Aucun processus enfant ne survit à la suite : un enfant non arrêté (test en échec) ferait attendre la sortie de
    Python sans fin."""
    for child in multiprocessing.active_children():
        child.kill()
        child.join(timeout=5)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Réglages d'un entrepôt neuf dans un dossier temporaire, date du jour figée."""
    db = tmp_path / "entrepot.duckdb"
    monkeypatch.setenv("MES_DB", str(db))
    monkeypatch.setenv("MES_AUJOURDHUI", TODAY.isoformat())
    monkeypatch.setenv("MES_VERROU_ATTENTE_S", "2")
    return get_settings()


@pytest.fixture(scope="session")
def demo_warehouse_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """L'entrepôt de démonstration, construit une fois pour la session (ne pas le modifier : voir `demo_db`)."""
    from pipelines.warehouse.demo import build_demo

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(db, settings=get_settings(db=db, aujourdhui=TODAY))
    return db


@pytest.fixture
def demo_db(demo_warehouse_master: Path, settings: Settings) -> Iterator[Path]:
    """Une copie modifiable de l'entrepôt de démonstration, désignée par `MES_DB`."""
    db = settings.db_path()
    shutil.copyfile(demo_warehouse_master, db)
    yield db


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def typed_rows(
    rows: Sequence[Sequence[object]], columns: str | Sequence[str], **types: pl.DataType | type[pl.DataType]
) -> pl.DataFrame:
    """Une table littérale ligne à ligne : `columns` dans l'ordre (séparées par des espaces, ou une liste), texte
    sauf les colonnes dont `types` donne le type ; les tests écrivent ainsi leurs lignes sans répéter tout le schéma.
    """
    names = columns.split() if isinstance(columns, str) else list(columns)
    unknown = set(types) - set(names)
    assert not unknown, f"types donnés pour des colonnes absentes : {sorted(unknown)}"
    return pl.DataFrame(rows, schema={name: types.get(name, pl.String) for name in names}, orient="row")


@pytest.fixture(scope="session")
def demo_export(demo_warehouse_master: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("export") / "paquet"
    db = tmp_path_factory.mktemp("export-db") / "w.duckdb"
    shutil.copyfile(demo_warehouse_master, db)
    from tests.test_cli import cli

    # Le paquet complet (graphiques, 120 fichiers JSON, 120 cartes et leurs PNG) : quelques minutes sur une machine
    # chargée.
    result = cli("export", "--out", str(folder), "--demo", db=db, timeout=900)
    assert result.returncode == 0, result.stderr
    return folder, db
