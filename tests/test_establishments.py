"""Indicateurs des établissements : clés entières et jointures triées (pipelines/indicators/establishments.py), puis
le chemin complet dans un vrai entrepôt, comparé aux définitions de pipelines/indicators/flux.py sur les mêmes lignes.

Définitions : documents_m1 / documents_m12 = documents du même établissement et couloir 1 (12) mois calendaires plus
tôt, null si ce mois n'a pas été livré ; cumul_12_mois = somme des 12 derniers mois, null s'il en manque un.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.indicators import establishments as E
from pipelines.indicators import flux as F
from pipelines.ingest import Incoming, ingest
from pipelines.settings import Settings
from pipelines.warehouse import apply_schema, connect_read
from tests.conftest import write_text


def keyed(rows: list[tuple[int, int]]) -> pl.LazyFrame:
    """(cle, documents) : la clé d'une série est son préfixe (ici 1000, 2000…), le mois ses derniers chiffres."""
    return pl.LazyFrame(
        {"cle": [r[0] for r in rows], "documents": [r[1] for r in rows], "donnees_demo": False},
        schema={"cle": pl.Int64, "documents": pl.Int64, "donnees_demo": pl.Boolean},
    )


def test_value_months_ago_finds_the_calendar_month_not_the_previous_row() -> None:
    # Série 1000 : mois 1, 2, puis 4 (le mois 3 manque) ; série 2000 commence : elle ne voit pas la série 1000.
    out = E.value_months_ago(
        keyed([(1001, 10), (1002, 20), (1004, 40), (2001, 7)]), 1, "documents_m1"
    ).collect()
    assert_frame_equal(
        out.select("cle", "documents_m1"),
        pl.DataFrame({"cle": [1001, 1002, 1004, 2001], "documents_m1": [None, 10, None, None]}),
    )


def test_rolling_12_month_sum_needs_the_twelve_months() -> None:
    complete = [(1000 + m, m) for m in range(1, 14)]  # mois 1 à 13
    holed = [(2000 + m, 1) for m in range(1, 18) if m != 5]  # mois 5 manquant
    out = E.rolling_12_month_sum(keyed(complete + holed)).collect()
    sums = dict(zip(out["cle"], out["cumul_12_mois"], strict=True))
    assert sums[1011] is None  # 11 mois seulement
    assert sums[1012] == sum(range(1, 13))
    assert sums[1013] == sum(range(2, 14))
    assert sums[2012] is None and sums[2013] is None  # le mois 5 est dans la fenêtre
    assert sums[2016] is None and sums[2017] == 12  # fenêtre 6 → 17 : complète


def test_decode_keys_reads_establishment_couloir_and_month_back() -> None:
    # cle = (établissement × 64 + couloir) × 4096 + rang du mois depuis janvier 1900 (janvier 2024 : 124 × 12).
    january_2024, december_2025 = 124 * 12, 125 * 12 + 11
    cles = [(7 * 64 + 3) * 4096 + january_2024, (7 * 64 + 0) * 4096 + december_2025, 1 * 4096 + 0]
    series = pl.LazyFrame(
        {"cle": cles, "documents": [5, 6, 7], "documents_m1": [None, 5, None], "documents_m12": None,
         "cumul_12_mois": None, "donnees_demo": [False, True, False]},
        schema_overrides={"documents_m12": pl.Int64, "cumul_12_mois": pl.Int64},
    )  # fmt: skip
    assert_frame_equal(
        E.decode_keys(series).collect(),
        pl.DataFrame(
            {
                "etablissement_id": [7, 7, 0],
                "couloir_id": [3, 0, 1],
                "mois": [dt.date(2024, 1, 1), dt.date(2025, 12, 1), dt.date(1900, 1, 1)],
                "documents": [5, 6, 7],
                "documents_m1": [None, 5, None],
                "documents_m12": None,
                "cumul_12_mois": None,
                "donnees_demo": [False, True, False],
            },
            schema_overrides={"documents_m12": pl.Int64, "cumul_12_mois": pl.Int64},
        ),
    )


FEED = """mois;couloir;departement;finess;type_document;documents
2023-01;HOP;35;350000001;LDL;5
2023-01;HOP;35;350000001;CRO;3
2023-02;HOP;35;350000001;LDL;6
2023-04;HOP;35;350000001;LDL;9
2023-01;BIO;35;350000001;;4
2023-02;BIO;35;350000001;CR-BIO;100
2023-02;BIO;35;350000001;;11
2024-01;HOP;35;350000001;LDL;16
2024-02;HOP;35;350000001;LDL;12
2023-01;HOP;29;290000002;;1
2023-02;HOP;29;290000002;;0
2023-03;HOP;29;290000002;;2
"""
COMPARED = [
    "mois", "code_geo", "couloir", "documents", "flux_annualise", "cumul_12_mois", "documents_m1",
    "evolution_1_mois", "documents_m12", "evolution_12_mois",
]  # fmt: skip


@pytest.fixture
def establishment_db(tmp_path: Path, settings: Settings) -> Path:
    feed = write_text(tmp_path / "etablissements.csv", FEED)
    (result,) = ingest([Incoming(feed)], settings=settings)
    assert result.ok, result.message
    return settings.db_path()


def test_warehouse_establishments_match_the_polars_definitions(establishment_db: Path) -> None:
    with connect_read(establishment_db) as con:
        stored = con.sql(f"SELECT {', '.join(COMPARED)} FROM indicateurs_etablissements").pl()
        current = con.sql(
            "SELECT mois, couloir, niveau, code_geo, code_region, code_departement, type_document, documents, "
            "donnees_demo FROM stg_flux"
        ).pl()
    empty_population = pl.LazyFrame(
        schema={"annee": pl.Int32, "niveau": pl.String, "code_geo": pl.String, "population": pl.Int64}
    )
    no_targets = pl.LazyFrame(
        schema={"indicateur": pl.String, "perimetre": pl.String, "echeance": pl.Date, "valeur": pl.Float64}
    )
    reference = (
        F.flux_indicators(
            current.lazy(), empty_population, no_targets, pl.LazyFrame(schema={"date": pl.Date})
        )
        .filter(pl.col("niveau") == "etablissement")
        .select(COMPARED)
        .collect()
    )
    order = ["code_geo", "couloir", "mois"]
    assert_frame_equal(stored.sort(order), reference.sort(order), check_dtypes=False)
    # Le total livré (BIO, février) l'emporte sur le détail par type ; HOP de janvier = LDL + CRO.
    assert (
        stored.filter((pl.col("couloir") == "BIO") & (pl.col("mois") == dt.date(2023, 2, 1)))["documents"][0]
        == 11
    )
    hop = stored.filter((pl.col("code_geo") == "350000001") & (pl.col("couloir") == "HOP")).sort("mois")
    assert hop["documents"].to_list() == [8, 6, 9, 16, 12]
    assert hop["evolution_12_mois"].to_list()[3] == pytest.approx(16 / 8 - 1)


def test_establishments_feed_the_departement_once(establishment_db: Path) -> None:
    with connect_read(establishment_db) as con:
        rows = con.sql(
            "SELECT code_geo, mois, documents FROM indicateurs_flux WHERE niveau = 'departement' "
            "AND couloir = 'TOUS' ORDER BY code_geo, mois"
        ).fetchall()
        etab_tous = con.sql(
            "SELECT count(*) FROM indicateurs_etablissements WHERE couloir = 'TOUS'"
        ).fetchall()
    assert rows[:3] == [
        ("29", dt.date(2023, 1, 1), 1),
        ("29", dt.date(2023, 2, 1), 0),
        ("29", dt.date(2023, 3, 1), 2),
    ]
    assert ("35", dt.date(2023, 1, 1), 12) in rows  # HOP 8 + BIO 4
    assert etab_tous == [(8,)]


def test_older_warehouse_gets_its_replacements_from_raw_history(demo_db: Path) -> None:
    """Un entrepôt d'avant `flux_remplacees` / `revisions_flux` : elles se déduisent de `raw_flux` à la première
    écriture, à l'identique de ce que l'import entretient (la démonstration rejoue l'erratum de décembre 2023)."""
    with duckdb.connect(str(demo_db)) as con:
        replaced = con.sql("SELECT * FROM flux_remplacees ORDER BY ALL").fetchall()
        revisions = con.sql("SELECT * FROM revisions_flux ORDER BY ALL").fetchall()
        current = con.sql("SELECT sum(documents), count(*) FROM stg_flux").fetchall()
        assert len(revisions) == 707 and len(replaced) >= 707
        con.execute(
            "DROP VIEW flux_mensuel; DROP VIEW stg_flux; DROP TABLE flux_remplacees; DROP TABLE revisions_flux"
        )
        apply_schema(con)
        assert con.sql("SELECT * FROM flux_remplacees ORDER BY ALL").fetchall() == replaced
        assert con.sql("SELECT * FROM revisions_flux ORDER BY ALL").fetchall() == revisions
        assert con.sql("SELECT sum(documents), count(*) FROM stg_flux").fetchall() == current


def test_warehouse_with_text_codes_is_numbered_and_reads_the_same(demo_db: Path) -> None:
    """Un entrepôt d'avant la version 0.3, dont `raw_flux` porte ses codes en texte (et, plus ancien encore, sans
    `flux_remplacees`) : ses codes sont numérotés à la première écriture ; les vues rendent les mêmes lignes."""
    current = "SELECT * FROM flux_mensuel ORDER BY ALL"
    history = "SELECT * FROM flux_historique ORDER BY ALL"
    with duckdb.connect(str(demo_db)) as con:
        before = con.sql(current).fetchall(), con.sql(history).fetchall()
        replaced = con.sql("SELECT * FROM flux_remplacees ORDER BY ALL").fetchall()
        revisions = con.sql("SELECT * FROM revisions_flux ORDER BY ALL").fetchall()
        con.execute(
            "CREATE TABLE raw_textes AS SELECT import_id, ligne, mois, couloir, niveau, code_geo, code_region, "
            "code_departement, type_document, documents FROM flux_livres; "
            "DROP TABLE raw_flux; ALTER TABLE raw_textes RENAME TO raw_flux; "
            "DROP TABLE codes_couloirs; DROP TABLE codes_niveaux; DROP TABLE codes_geo; DROP TABLE codes_types; "
            "DROP TABLE flux_remplacees; DROP TABLE revisions_flux"
        )
        apply_schema(con)
        columns = [row[0] for row in con.sql("DESCRIBE raw_flux").fetchall()]
        assert "couloir_num" in columns and "couloir" not in columns
        assert con.sql("SELECT valeur FROM codes_niveaux").fetchall() == [("departement",)]
        assert (con.sql(current).fetchall(), con.sql(history).fetchall()) == before
        assert con.sql("SELECT * FROM flux_remplacees ORDER BY ALL").fetchall() == replaced
        assert con.sql("SELECT * FROM revisions_flux ORDER BY ALL").fetchall() == revisions
        assert con.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'raw_flux_textes'"
        ).fetchall() == [(0,)]


def test_slice_bounds_cover_every_establishment_once_in_few_blocks() -> None:
    """Blocs d'établissements [premier, suivant[ sur des numéros croissants non contigus (ceux des FINESS dans
    `codes_geo`) : assez de valeurs par bloc, jamais plus de MAX_SLICES blocs, chaque numéro dans un seul bloc."""
    ids = [3, 4, 8, 15, 16, 23, 42]
    assert E.slice_bounds([], 0) == []
    assert E.slice_bounds(ids, 100) == [(3, 43)]  # 100 valeurs : un seul bloc
    many = E.slice_bounds(
        ids, E.SLICE_ROWS * 50
    )  # beaucoup de valeurs : petits blocs, mais au plus MAX_SLICES
    assert len(many) <= E.MAX_SLICES and many[0][0] == 3 and many[-1][1] == 43
    assert all(sum(first <= i < following for first, following in many) == 1 for i in ids)
