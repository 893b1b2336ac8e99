"""Indicateurs des établissements : cube dense établissement × couloir × mois (pipelines/indicators/establishments.py),
puis le chemin complet dans un vrai entrepôt, comparé aux définitions de pipelines/indicators/flux.py sur les mêmes
lignes.

Définitions : documents_m1 / documents_m12 = documents du même établissement et couloir 1 (12) mois calendaires plus
tôt, null si ce mois n'a pas été livré ; cumul_12_mois = somme des 12 derniers mois, null s'il en manque un.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.indicators import establishments as E
from pipelines.indicators import flux as F
from pipelines.indicators.refresh import refresh_indicators
from pipelines.intake.validation import finess_with_key
from pipelines.settings import Settings
from pipelines.warehouse.connection import apply_schema, connect_read
from pipelines.warehouse.ingest import Incoming, IngestResult, ingest
from tests.conftest import write_text


def cube_of(
    rows: list[tuple[int, int, int, int]], establishments: int = 2, couloirs: int = 2, months: int = 18
):
    """(établissement, couloir, mois, documents), positions comptées depuis 0 (couloir 0 : le premier livré) : les
    cases du cube, comme `refresh_establishments` les forme (TOUS en case 0, donc couloir + 1)."""
    cube = E.Cube(establishments=establishments, couloirs=couloirs + 1, months=months, first_month=124 * 12)
    cells = np.array([((e * cube.couloirs) + c + 1) * cube.months + m for e, c, m, _ in rows], dtype=np.int64)
    documents = np.array([r[3] for r in rows], dtype=np.int64)
    return cube, cells, documents


def series_of(rows: list[tuple[int, int, int, int]], **shape: int) -> pl.DataFrame:
    cube, cells, documents = cube_of(rows, **shape)
    values, delivered, demo = E.cell_values(cells, documents, np.zeros(cells.size, dtype=bool), cube)
    ids = np.arange(cube.establishments) + 100  # numéros des FINESS : 100, 101…
    couloir_ids = np.arange(cube.couloirs)  # TOUS = 0, puis 1, 2…
    return E.series_rows(values, delivered, demo, cube, ids, couloir_ids)


@pytest.mark.parametrize(
    ("numbers", "distinct"),
    [
        ([7, 5, 6, 5, 7], [5, 6, 7]),
        ([9, 2, 4, 2, 9], [2, 4, 9]),
    ],  # sans trou (soustraction), puis avec des trous
)
def test_dense_positions_number_the_distinct_values_in_order(numbers: list[int], distinct: list[int]) -> None:
    values, positions = E.dense_positions(np.array(numbers, dtype=np.int32))
    assert values.tolist() == distinct
    assert positions.dtype == np.int32 and positions.tolist() == [distinct.index(n) for n in numbers]


def test_value_months_ago_finds_the_calendar_month_not_the_previous_row() -> None:
    # Établissement 100, couloir 1 : janvier, février, puis avril 2024 (mars manque) ; l'établissement 101 commence
    # en janvier : il ne voit pas la série du 100, et le mois d'avant le premier du cube n'existe pas.
    out = series_of([(0, 0, 0, 10), (0, 0, 1, 20), (0, 0, 3, 40), (1, 0, 0, 7)])
    assert_frame_equal(
        out.filter(pl.col("couloir_id") == 1).select("etablissement_id", "mois", "documents", "documents_m1"),
        pl.DataFrame(
            {
                "etablissement_id": [100, 101, 100, 100],
                "mois": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 4, 1)],
                "documents": [10, 7, 20, 40],
                "documents_m1": [None, None, 10, None],
            },
            # Numéros de codes, en 32 bits comme dans raw_flux.
            schema_overrides={"etablissement_id": pl.Int32},
        ),
    )


def test_series_rows_come_month_by_month_and_keep_only_the_rewritten_months() -> None:
    # Rangées par mois (un groupe de lignes de DuckDB ne couvre que quelques mois) ; `kept_from` : les mois d'avant
    # ne servent qu'aux fenêtres (m − 1 du premier mois gardé).
    rows = [(e, c, m, 10 * e + c + m) for e in range(2) for c in range(2) for m in range(4)]
    cube, cells, documents = cube_of(rows, months=4)
    values, delivered, demo = E.cell_values(cells, documents, np.zeros(cells.size, dtype=bool), cube)
    ids, couloir_ids = np.array([100, 101]), np.arange(cube.couloirs)
    whole = E.series_rows(values, delivered, demo, cube, ids, couloir_ids)
    assert whole["mois"].is_sorted() and whole.height == 2 * 3 * 4  # TOUS compris
    january = whole.filter(pl.col("mois") == dt.date(2024, 1, 1))
    assert january.select("etablissement_id", "couloir_id").rows() == [
        (e, c) for e in (100, 101) for c in range(3)
    ]
    kept = E.series_rows(values, delivered, demo, cube, ids, couloir_ids, kept_from=2)
    assert_frame_equal(kept, whole.filter(pl.col("mois") >= dt.date(2024, 3, 1)))
    march = kept.filter(pl.col("mois") == dt.date(2024, 3, 1))
    assert march["documents_m1"].to_list() == [3, 1, 2, 23, 11, 12]  # février : TOUS, puis chaque couloir


def test_series_without_empty_lead_months_when_twelve_months_are_reread() -> None:
    # Recalcul incrémental : les 12 mois relus avant les mois récrits tiennent lieu de mois vides de tête.
    rows = [
        (e, c, m, 3 * e + c + m) for e in range(2) for c in range(2) for m in range(18) if (e + c + m) % 5
    ]
    cube, cells, documents = cube_of(rows)
    ids, couloir_ids, demo = np.array([100, 101]), np.arange(cube.couloirs), np.zeros(cells.size, dtype=bool)
    padded = E.series_rows(*E.cell_values(cells, documents, demo, cube), cube, ids, couloir_ids, kept_from=12)
    bare = replace(cube, lead=0)
    unpadded = E.series_rows(
        *E.cell_values(cells, documents, demo, bare), bare, ids, couloir_ids, kept_from=12
    )
    assert padded.height > 20 and padded["cumul_12_mois"].null_count() < padded.height
    assert_frame_equal(unpadded, padded)


def test_cells_with_one_row_each_are_assigned_and_shared_cells_summed() -> None:
    # Deux types de documents dans la case (0, 0, 0), en tête (`shared_rows` = 2) ; les cases suivantes ont chacune
    # une ligne (les mois relus, ou un fichier sans types) : même résultat que tout additionner.
    rows = [(0, 0, 0, 4), (0, 0, 0, 6), (0, 0, 1, 5), (1, 1, 0, 7), (0, 1, 2, 9)]
    cube, cells, documents = cube_of(rows, months=3)
    demo = np.zeros(cells.size, dtype=bool)
    summed = E.cell_values(cells, documents, demo, cube)
    assigned = E.cell_values(cells, documents, demo, cube, shared_rows=2)
    for expected, got in zip(summed, assigned, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert summed[0][cube.lead, 1] == 10  # mois 0, établissement 0, premier couloir : 4 + 6


def test_rolling_12_month_sum_needs_the_twelve_months() -> None:
    complete = [(0, 0, m, m + 1) for m in range(13)]  # 13 mois livrés : 1, 2, … 13 documents
    holed = [(1, 1, m, 1) for m in range(17) if m != 4]  # le 5e mois manque
    out = series_of(complete + holed).filter(pl.col("couloir_id") > 0)
    sums = {
        (e, c, m.month + 12 * (m.year - 2024) - 1): v
        for e, c, m, v in out.select("etablissement_id", "couloir_id", "mois", "cumul_12_mois").iter_rows()
    }
    assert sums[(100, 1, 10)] is None  # 11 mois seulement
    assert sums[(100, 1, 11)] == sum(range(1, 13))
    assert sums[(100, 1, 12)] == sum(range(2, 14))
    assert sums[(101, 2, 11)] is None and sums[(101, 2, 15)] is None  # le 5e mois est dans la fenêtre
    assert sums[(101, 2, 16)] == 12  # fenêtre du 6e au 17e mois : complète
    m12 = dict(zip(out["mois"], out["documents_m12"], strict=False))
    assert m12[dt.date(2025, 1, 1)] == 1  # janvier 2025 ← janvier 2024 (établissement 100)


def test_all_couloirs_sum_the_couloirs_of_the_month() -> None:
    out = series_of([(0, 0, 0, 5), (0, 1, 0, 3), (0, 1, 1, 4)])
    assert_frame_equal(
        out.filter(pl.col("couloir_id") == 0).select("mois", "documents", "documents_m1"),
        pl.DataFrame(
            {
                "mois": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
                "documents": [8, 4],
                "documents_m1": [None, 8],
            }
        ),
    )


def test_all_types_total_wins_over_the_types_of_its_cell() -> None:
    # Case 7 : deux types et le total livré (le total compte seul) ; case 9 : deux types, sans total (ils comptent).
    cells = np.array([7, 7, 7, 9, 9])
    all_types = np.array([False, False, True, False, False])
    rows = E.contributing_rows(cells, all_types, 10)
    assert rows is not None and rows.tolist() == [False, False, True, True, True]
    assert E.contributing_rows(cells, np.zeros(5, dtype=bool), 10) is None


def test_attachment_sums_add_the_rows_of_each_departement() -> None:
    # Deux mois sans livraison entre les deux derniers : ils n'apparaissent pas dans les sommes.
    rows = E.CurrentRows(
        establishment=np.array([1, 2, 3, 1]),
        couloir=np.array([4, 4, 4, 5]),
        month=np.array([1500, 1500, 1500, 1503]),
        all_types=np.zeros(4, dtype=bool),
        documents=np.array([10, 20, 5, 1]),
        demo=np.array([False, True, False, False]),
        region=np.array([60, 60, 61, 60]),
        departement=np.array([70, 70, 71, 70]),
    )
    assert_frame_equal(
        E.attachment_sums(rows, None).sort("rang_mois", "couloir_num", "departement_num"),
        pl.DataFrame(
            {
                "rang_mois": [1500, 1500, 1503],
                "couloir_num": [4, 4, 5],
                "region_num": [60, 61, 60],
                "departement_num": [70, 71, 70],
                "documents": [30, 5, 1],
                "donnees_demo": [True, False, False],
            },
        ),
        check_dtypes=False,
    )


FEED = """mois;couloir;departement;finess;type_document;documents
2023-01;HOP;35;350000006;LDL;5
2023-01;HOP;35;350000006;CRO;3
2023-02;HOP;35;350000006;LDL;6
2023-04;HOP;35;350000006;LDL;9
2023-01;BIO;35;350000006;;4
2023-02;BIO;35;350000006;CR-BIO;100
2023-02;BIO;35;350000006;;11
2024-01;HOP;35;350000006;LDL;16
2024-02;HOP;35;350000006;LDL;12
2023-01;HOP;29;290000009;;1
2023-02;HOP;29;290000009;;0
2023-03;HOP;29;290000009;;2
"""
# Les mêmes valeurs en totaux seuls, sans colonne de type (une ligne par case : les cases prennent leur valeur
# par affectation, sans addition).
FEED_TOTALS = """mois;couloir;departement;finess;documents
2023-01;HOP;35;350000006;8
2023-02;HOP;35;350000006;6
2023-04;HOP;35;350000006;9
2023-01;BIO;35;350000006;4
2023-02;BIO;35;350000006;11
2024-01;HOP;35;350000006;16
2024-02;HOP;35;350000006;12
2023-01;HOP;29;290000009;1
2023-02;HOP;29;290000009;0
2023-03;HOP;29;290000009;2
"""
COMPARED = [
    "mois",
    "code_geo",
    "couloir",
    "documents",
    "flux_annualise",
    "cumul_12_mois",
    "documents_m1",
    "evolution_1_mois",
    "documents_m12",
    "evolution_12_mois",
]


@pytest.fixture(params=[FEED, FEED_TOTALS], ids=["types", "totaux"])
def establishment_db(request: pytest.FixtureRequest, tmp_path: Path, settings: Settings) -> Path:
    feed = write_text(tmp_path / "etablissements.csv", request.param)
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
    hop = stored.filter((pl.col("code_geo") == "350000006") & (pl.col("couloir") == "HOP")).sort("mois")
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
            "DROP VIEW flux_mensuel; DROP VIEW stg_flux; DROP TABLE flux_remplacees; DROP TABLE revisions_flux; "
            "DROP TABLE empreintes_installees"
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
            "DROP TABLE flux_remplacees; DROP TABLE revisions_flux; DROP TABLE empreintes_installees"
        )
        apply_schema(con)
        columns = [row[0] for row in con.sql("DESCRIBE raw_flux").fetchall()]
        assert "couloir_num" in columns and "couloir" not in columns
        # Départements et établissements de démonstration (issue 18).
        assert con.sql("SELECT valeur FROM codes_niveaux ORDER BY valeur").fetchall() == [
            ("departement",),
            ("etablissement",),
        ]
        assert (con.sql(current).fetchall(), con.sql(history).fetchall()) == before
        assert con.sql("SELECT * FROM flux_remplacees ORDER BY ALL").fetchall() == replaced
        assert con.sql("SELECT * FROM revisions_flux ORDER BY ALL").fetchall() == revisions
        assert con.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'raw_flux_textes'"
        ).fetchall() == [(0,)]


def test_blocks_cover_every_establishment_once(
    establishment_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Par blocs d'un établissement (cube minuscule), les séries et les sommes par département sont les mêmes que
    d'un bloc ; chaque établissement est dans un seul bloc."""
    assert E.blocks(0, 300) == []
    assert E.blocks(7, E.CELLS_PER_BLOCK // 3) == [(0, 3), (3, 6), (6, 7)]
    series = "SELECT * FROM series_etablissements ORDER BY ALL"
    departements = "SELECT * FROM indicateurs_flux WHERE niveau = 'departement' ORDER BY ALL"
    with duckdb.connect(str(establishment_db)) as con:
        before = con.sql(series).fetchall(), con.sql(departements).fetchall()
        monkeypatch.setattr(E, "CELLS_PER_BLOCK", 1)
        refresh_indicators(con)
        assert (con.sql(series).fetchall(), con.sql(departements).fetchall()) == before


def _ingest_hospital_rows(
    tmp_path: Path, settings: Settings, body: str, rows: list[tuple[str, str, str, int]]
) -> IngestResult:
    """Importe des lignes HOP (mois, département, type de document, documents) d'un établissement au FINESS `body`
    suivi de sa clé."""
    finess = finess_with_key(body)
    lines = "".join(f"{mois};HOP;{dep};{finess};{kind};{n}\n" for mois, dep, kind, n in rows)
    feed = write_text(
        tmp_path / "rattachements.csv", "mois;couloir;departement;finess;type_document;documents\n" + lines
    )
    (result,) = ingest([Incoming(feed)], settings=settings)
    return result


def test_types_of_one_month_with_different_departements_make_one_value(
    tmp_path: Path, settings: Settings
) -> None:
    """Deux types du même mois livrés sous deux départements d'outre-mer (le FINESS « 97… » n'en fixe pas un seul) :
    une seule valeur pour l'établissement (leur somme, et le mois suivant la voit comme m − 1) ; chaque département
    reçoit la ligne livrée sous son code. (Avant 0.4, la série portait deux valeurs pour ce mois, et m − 1 n'en voyait
    qu'une.)"""
    result = _ingest_hospital_rows(
        tmp_path,
        settings,
        "97100000",
        [("2024-01", "971", "LDL", 5), ("2024-01", "972", "CRO", 3), ("2024-02", "971", "LDL", 6)],
    )
    assert result.ok, result.message
    with connect_read(settings.db_path()) as con:
        hop = con.sql(
            "SELECT mois, documents, documents_m1 FROM indicateurs_etablissements WHERE couloir = 'HOP' ORDER BY mois"
        ).fetchall()
        departements = con.sql(
            "SELECT code_geo, documents FROM indicateurs_flux WHERE niveau = 'departement' AND couloir = 'HOP' "
            "AND mois = DATE '2024-01-01' ORDER BY code_geo"
        ).fetchall()
    assert hop == [(dt.date(2024, 1, 1), 8, None), (dt.date(2024, 2, 1), 6, 8)]
    assert departements == [("971", 5), ("972", 3)]


def test_a_metropolitan_finess_under_another_departement_is_refused(
    tmp_path: Path, settings: Settings
) -> None:
    """En métropole, le FINESS commence par son département : livré sous un autre, la ligne est refusée (issue 15)."""
    result = _ingest_hospital_rows(
        tmp_path, settings, "35000000", [("2024-01", "35", "LDL", 5), ("2024-01", "29", "CRO", 3)]
    )
    assert result.statut == "refuse" and not settings.db_path().exists()
    (problem,) = result.problems
    assert (problem.ligne, problem.colonne, problem.valeur) == (3, "finess", finess_with_key("35000000"))
    assert "commence par le code d'un autre département" in problem.motif
