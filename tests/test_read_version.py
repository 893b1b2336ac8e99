"""L'application lit une version de l'entrepôt et range ses caches sous l'identifiant de cette même version : une
page ne peut pas garder une version ancienne sous la clé d'une nouvelle, même quand le processus garde d'autres
connexions ouvertes sur l'ancienne (course reproduite ici)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from app_pages import common
from pipelines.settings import Settings
from pipelines.warehouse import queries
from pipelines.warehouse.connection import connect_snapshot, publication_id
from pipelines.warehouse.ingest import Incoming, ingest


def deliver(settings: Settings, folder: Path, month: str) -> None:
    path = folder / f"flux_{month}.csv"
    path.write_text(f"mois;couloir;departement;documents\n{month};BIO;75;10\n", encoding="utf-8")
    [result] = ingest([Incoming(path)], settings=settings)
    assert result.ok, result.message


def test_cache_key_and_data_come_from_the_same_open_version(settings: Settings, tmp_path: Path) -> None:
    deliver(settings, tmp_path, "2024-01")
    db = settings.db_path()
    common._snapshot.clear()
    common._cached_read.clear()
    first = common.read(queries.months, "pays", "FR")
    old_stamp = common.warehouse_version()
    # Une autre session du même processus garde l'ancienne version ouverte pendant la publication.
    held = duckdb.connect(str(db), read_only=True)
    try:
        deliver(settings, tmp_path, "2024-02")
        with duckdb.connect(str(db), read_only=True) as plain:
            # La course : une connexion ordinaire rend encore l'ancienne version (instance partagée par chemin).
            assert len(queries.months(plain, "pays", "FR")) == len(first)
        with connect_snapshot(db) as fresh:
            new_stamp = publication_id(fresh)
        assert new_stamp != old_stamp
        con, stamp = common._opened()
        with con:
            assert stamp == new_stamp
            assert len(queries.months(con, "pays", "FR")) == len(first) + 1
        after = common.read(queries.months, "pays", "FR")
        assert len(after) == len(first) + 1, "la page sert la nouvelle version sous la nouvelle clé"
        assert common.warehouse_version() == new_stamp
    finally:
        held.close()
