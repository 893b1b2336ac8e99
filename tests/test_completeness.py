"""Complétude des mois : règles sur lignes littérales, puis sur de vrais entrepôts DuckDB comme un utilisateur les lit
(`kpi`, mois par défaut, trajectoire), et une propriété : un mois incomplet n'est jamais le mois par défaut."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pipelines.indicators import completeness as completeness_module
from pipelines.indicators.completeness import (
    absent_contributions,
    completeness,
    establishment_family_counts,
    family_counts,
    latest_complete_month,
    month_status,
)
from pipelines.publish.public_warehouse import public_database
from pipelines.settings import Settings
from pipelines.warehouse.ingest import Incoming
from pipelines.warehouse.ingest import ingest as ingest_files
from tests.conftest import TODAY, typed_rows, write_text
from tests.test_cli import cli

D = dt.date


def _deliveries(rows: list[tuple[str, str, str, dt.date]]) -> pl.LazyFrame:
    frame = typed_rows(rows, "code_geo unite couloir mois", mois=pl.Date).lazy()
    return frame.with_columns(pl.lit("pays").alias("niveau"))


def test_a_contribution_is_expected_for_three_months_after_its_last_delivery() -> None:
    delivered = _deliveries(
        [
            ("FR", "11", "BIO", D(2025, 1, 1)),
            ("FR", "11", "BIO", D(2025, 2, 1)),
            ("FR", "11", "BIO", D(2025, 4, 1)),  # mars manque
            ("FR", "24", "BIO", D(2025, 1, 1)),  # cesse d'envoyer après janvier
        ]
    )
    absent = absent_contributions(delivered, last_month=D(2025, 8, 1)).collect().sort("unite", "mois")
    expected = pl.DataFrame(
        {
            "niveau": ["pays"] * 7,
            "code_geo": ["FR"] * 7,
            "unite": ["11", "11", "11", "11", "24", "24", "24"],
            "couloir": ["BIO"] * 7,
            # 11 : mars (trou), puis mai à juillet après avril ; 24 : février à avril, plus attendue ensuite.
            "mois": [
                D(2025, 3, 1),
                D(2025, 5, 1),
                D(2025, 6, 1),
                D(2025, 7, 1),
                D(2025, 2, 1),
                D(2025, 3, 1),
                D(2025, 4, 1),
            ],
        }
    )
    assert_frame_equal(absent, expected)


def test_the_last_month_of_the_feed_bounds_what_is_expected() -> None:
    delivered = _deliveries([("FR", "11", "BIO", D(2025, 1, 1)), ("FR", "24", "BIO", D(2025, 2, 1))])
    absent = absent_contributions(delivered, last_month=D(2025, 2, 1)).collect()
    assert absent.select("unite", "mois").rows() == [("11", D(2025, 2, 1))]


def _consolidated(rows: list[tuple[str, str, str, str, str, dt.date]]) -> pl.LazyFrame:
    """(niveau, code_geo, code_region, couloir, origine, mois)."""
    return typed_rows(rows, "niveau code_geo code_region couloir origine mois", mois=pl.Date).lazy()


_NO_ESTABLISHMENTS = pl.LazyFrame(
    schema={"unite": pl.Int32, "parent": pl.Int32, "couloir": pl.Int32, "mois": pl.Date}
)
_NO_PARENTS = pl.LazyFrame(schema={"parent": pl.Int32, "niveau": pl.String, "code_geo": pl.String})
_NO_COULOIRS = pl.LazyFrame(schema={"couloir_id": pl.Int32, "couloir": pl.String})


def _completeness(
    rows: list[tuple[str, str, str, str, str, dt.date]], today: dt.date = TODAY
) -> pl.DataFrame:
    return completeness(_consolidated(rows), _NO_ESTABLISHMENTS, _NO_PARENTS, _NO_COULOIRS, today).collect()


def _region_month(
    code_region: str, couloir: str, mois: dt.date
) -> list[tuple[str, str, str, str, str, dt.date]]:
    """Une région livrée par ses départements (un département fictif par région) : la consolidation la somme."""
    return [
        ("departement", f"d{code_region}", code_region, couloir, "declare", mois),
        ("region", code_region, code_region, couloir, "somme", mois),
    ]


def test_a_month_with_one_region_out_of_two_is_provisional_with_its_coverage() -> None:
    october, november = D(2025, 10, 1), D(2025, 11, 1)
    rows = [
        *_region_month("11", "BIO", october),
        *_region_month("11", "HOP", october),
        *_region_month("24", "BIO", october),
        *_region_month("24", "HOP", october),
        ("pays", "FR", "", "BIO", "somme", october),
        ("pays", "FR", "", "HOP", "somme", october),
        *_region_month("11", "BIO", november),
        ("pays", "FR", "", "BIO", "somme", november),
    ]
    table = _completeness(rows)
    france = table.filter((pl.col("niveau") == "pays") & (pl.col("couloir") == "TOUS")).sort("mois")
    assert france.select("mois", "complet", "attendues", "livrees").rows() == [
        (october, True, 4, 4),
        (november, False, 4, 1),
    ]
    nov = france.row(1, named=True)
    assert (
        nov["enfants_livres"],
        nov["enfants_attendus"],
        nov["couloirs_livres"],
        nov["couloirs_attendus"],
    ) == (
        1,
        2,
        1,
        2,
    )
    # La région livrée est complète pour son couloir ; l'autre, attendue, ne l'est pas.
    regions = table.filter(
        (pl.col("niveau") == "region") & (pl.col("mois") == november) & (pl.col("couloir") == "TOUS")
    )
    assert dict(zip(regions["code_geo"], regions["complet"], strict=True)) == {"11": False, "24": False}
    bio = table.filter(
        (pl.col("niveau") == "region") & (pl.col("mois") == november) & (pl.col("couloir") == "BIO")
    )
    assert dict(zip(bio["code_geo"], bio["complet"], strict=True)) == {"11": True, "24": False}


def test_a_delivered_national_total_is_complete_by_itself() -> None:
    october, november = D(2025, 10, 1), D(2025, 11, 1)
    rows = [
        *_region_month("11", "BIO", october),
        *_region_month("24", "BIO", october),
        ("pays", "FR", "", "BIO", "somme", october),
        ("pays", "FR", "", "BIO", "declare", november),  # la France livrée, sans ses régions
    ]
    table = _completeness(rows)
    france = table.filter(
        (pl.col("niveau") == "pays") & (pl.col("couloir") == "TOUS") & (pl.col("mois") == november)
    )
    assert france["complet"].to_list() == [True]


def test_a_perimeter_that_stops_delivering_its_own_total_is_provisional() -> None:
    october, november = D(2025, 10, 1), D(2025, 11, 1)
    rows = [
        ("pays", "FR", "", "BIO", "declare", october),
        *_region_month("11", "BIO", november),
        (
            "pays",
            "FR",
            "",
            "BIO",
            "somme",
            november,
        ),  # une seule région, là où la France entière était livrée
    ]
    table = _completeness(rows)
    france = table.filter((pl.col("niveau") == "pays") & (pl.col("couloir") == "TOUS")).sort("mois")
    assert france.select("mois", "complet").rows() == [(october, True), (november, False)]


def test_the_current_calendar_month_is_never_complete() -> None:
    rows = [
        ("pays", "FR", "", "BIO", "declare", D(2026, 10, 1)),
        ("pays", "FR", "", "BIO", "declare", D(2026, 11, 1)),
    ]
    table = _completeness(rows, today=D(2026, 11, 21))
    france = table.filter(pl.col("couloir") == "TOUS").sort("mois")
    assert france.select("mois", "complet", "en_cours").rows() == [
        (D(2026, 10, 1), True, False),
        (D(2026, 11, 1), False, True),
    ]


# --- Sur l'entrepôt de démonstration, comme le constate un utilisateur ------------------------------------------------


def _one_region_november(tmp_path: Path) -> Path:
    return write_text(
        tmp_path / "idf_novembre.csv",
        "mois;couloir;region;documents\n2025-11;HOP;11;1200000\n2025-11;BIO;11;2700000\n2025-11;MDV;11;2500000\n"
        "2025-11;RAD;11;1050900\n",
    )


def test_a_one_region_file_leaves_the_default_on_the_last_complete_month(
    demo_db: Path, tmp_path: Path
) -> None:
    ingest = cli("ingest", str(_one_region_november(tmp_path)), db=demo_db)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    default = json.loads(cli("kpi", "--json", db=demo_db).stdout)
    assert default["mois"] == "2025-10" and default["complet"] is True
    assert default["documents_mois"] == 42_800_000
    november = json.loads(cli("kpi", "--json", "--mois", "2025-11", db=demo_db).stdout)
    assert november["complet"] is False
    assert november["documents_mois"] == 7_450_900
    coverage = november["couverture"]
    assert (coverage["enfants_livres"], coverage["enfants_attendus"]) == (1, 18)
    assert (coverage["couloirs_livres"], coverage["couloirs_attendus"]) == (4, 7)
    assert (coverage["livrees"], coverage["attendues"]) == (4, 126)
    assert november["projection_atteinte_cible"] is None and november["statut_cible"] is None
    text = cli("kpi", "--mois", "2025-11", db=demo_db).stdout
    assert "novembre 2025 (provisoire)" in text
    assert "1 région sur 18, 4 couloirs sur 7" in text
    with duckdb.connect(str(demo_db), read_only=True) as con:
        assert latest_complete_month(con, "pays", "FR") == D(2025, 10, 1)
        # L'Île-de-France a livré son total pour 4 couloirs sur 7 : ces couloirs-là sont complets, pas le mois.
        assert latest_complete_month(con, "region", "11") == D(2025, 10, 1)
        idf = con.execute(
            "SELECT couloir, complet FROM completude WHERE niveau = 'region' AND code_geo = '11' AND mois = ?",
            [D(2025, 11, 1)],
        ).fetchall()
        assert dict(idf) == {
            "HOP": True,
            "BIO": True,
            "MDV": True,
            "RAD": True,
            "PHA": False,
            "MS": False,
            "AUT": False,
            "TOUS": False,
        }
        assert latest_complete_month(con, "region", "53") == D(2025, 10, 1)
        # La trajectoire part du dernier mois complet, pas du mois partiel.
        assert {r[0] for r in con.execute("SELECT DISTINCT mois_dernier FROM trajectoires").fetchall()} == {
            D(2025, 10, 1)
        }
        first_projected = con.execute("SELECT min(mois) FROM projections").fetchall()[0][0]
        assert first_projected == D(2025, 11, 1)


def test_the_current_month_is_accepted_and_provisional(demo_db: Path, tmp_path: Path) -> None:
    current = f"{TODAY:%Y-%m}"
    rows = "".join(f"{current};{c};1000\n" for c in ("HOP", "BIO", "MDV", "RAD", "PHA", "MS", "AUT"))
    path = write_text(tmp_path / "en_cours.csv", "mois;couloir;documents\n" + rows)
    ingest = cli("ingest", str(path), db=demo_db)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert "provisoire" in ingest.stdout
    figures = json.loads(cli("kpi", "--json", "--mois", current, db=demo_db).stdout)
    assert figures["complet"] is False and figures["couverture"]["mois_en_cours"] is True
    assert json.loads(cli("kpi", "--json", db=demo_db).stdout)["mois"] != current


# --- Propriété : un mois incomplet n'est jamais le mois par défaut ----------------------------------------------

_MONTHS = [D(2025, m, 1) for m in range(1, 9)]


@settings(max_examples=40, deadline=None)
@given(
    st.sets(
        st.tuples(
            st.sampled_from(["11", "24", "53"]), st.sampled_from(["BIO", "HOP"]), st.sampled_from(_MONTHS)
        ),
        min_size=1,
    )
)
def test_an_incomplete_month_is_never_the_default(deliveries: set[tuple[str, str, dt.date]]) -> None:
    rows = []
    for region, couloir, month in deliveries:
        rows += _region_month(region, couloir, month)
    for couloir, month in {(c, m) for _, c, m in deliveries}:
        rows.append(("pays", "FR", "", couloir, "somme", month))
    table = _completeness(rows)
    complete = table.filter((pl.col("niveau") == "pays") & (pl.col("couloir") == "TOUS") & pl.col("complet"))
    if complete.height == 0:
        return
    default = complete["mois"].max()
    assert isinstance(default, dt.date)
    # Au mois par défaut, chaque région × couloir livrée dans l'un des trois mois précédents l'est encore.
    recent = {
        (r, c) for r, c, m in deliveries if 0 < (default.year - m.year) * 12 + default.month - m.month <= 3
    }
    delivered_then = {(r, c) for r, c, m in deliveries if m == default}
    assert recent <= delivered_then


def test_a_declared_contribution_replaces_the_rule_drawn_from_history() -> None:
    rows = [
        *_region_month("11", "BIO", D(2025, 9, 1)),
        *_region_month("24", "BIO", D(2025, 9, 1)),
        ("pays", "FR", "", "BIO", "somme", D(2025, 9, 1)),
        *_region_month("11", "BIO", D(2025, 10, 1)),
        ("pays", "FR", "", "BIO", "somme", D(2025, 10, 1)),
    ]
    # Sans déclaration, la région 24 reste attendue en octobre ; déclarée close en septembre, elle ne l'est plus, et
    # la région 53, déclarée à partir d'octobre sans rien avoir livré, l'est.
    declarations = pl.LazyFrame(
        {
            "niveau": ["pays", "pays"],
            "code_geo": ["FR", "FR"],
            "unite": ["24", "53"],
            "couloir": ["BIO", "BIO"],
            "debut": [D(2021, 1, 1), D(2025, 10, 1)],
            "fin": [D(2025, 9, 1), None],
        }
    )

    def october(table: pl.DataFrame) -> tuple[object, ...]:
        row = table.filter(
            (pl.col("niveau") == "pays") & (pl.col("couloir") == "TOUS") & (pl.col("mois") == D(2025, 10, 1))
        )
        return row.select("complet", "livrees", "attendues").row(0)

    assert october(_completeness(rows)) == (False, 1, 2)
    declared = completeness(
        _consolidated(rows), _NO_ESTABLISHMENTS, _NO_PARENTS, _NO_COULOIRS, TODAY, declarations=declarations
    ).collect()
    assert october(declared) == (False, 1, 2)  # 24 n'est plus attendue, 53 l'est
    only_closed = completeness(
        _consolidated(rows),
        _NO_ESTABLISHMENTS,
        _NO_PARENTS,
        _NO_COULOIRS,
        TODAY,
        declarations=declarations.head(1),
    ).collect()
    assert october(only_closed) == (True, 1, 1)


def test_the_public_completeness_leaves_the_internal_couloir_out_entirely(
    settings: Settings, tmp_path: Path
) -> None:
    """Octobre : la Bretagne n'a livré que la série interne AUT. En interne, elle compte parmi les régions livrées ;
    la complétude publique est recalculée sans AUT : une région sur deux, un couloir sur un, mois incomplet — rien ne
    trahit la livraison interne."""
    path = write_text(
        tmp_path / "flux.csv",
        "mois;couloir;region;documents\n"
        "2025-08;BIO;53;100\n2025-08;BIO;11;100\n2025-09;BIO;53;100\n2025-09;BIO;11;100\n"
        "2025-10;BIO;11;100\n2025-10;AUT;53;5\n",
    )
    [result] = ingest_files([Incoming(path)], settings=settings)
    assert result.ok, result.message
    october = dt.date(2025, 10, 1)
    with duckdb.connect(str(settings.db_path()), read_only=True) as con:
        internal = month_status(con, "pays", "FR", october)
        public = month_status(public_database(con, october), "pays", "FR", october)
    assert (internal["enfants_livres"], internal["couloirs_attendus"]) == (2, 2)
    assert (public["enfants_livres"], public["enfants_attendus"]) == (1, 2)
    assert (public["couloirs_attendus"], public["couloirs_livres"], public["complet"]) == (1, 1, False)


@pytest.mark.parametrize("last_month", [D(2024, 5, 1), D(2024, 12, 1), D(2025, 3, 1)])
@pytest.mark.parametrize(
    ("cells_per_block", "window", "presence_cells"),
    [(8_000_000, 3, 128_000_000), (300, 3, 1_000), (80, 1, 1), (1, 0, 128_000_000), (500, 5, 2_000)],
)
def test_establishment_counts_by_cube_equal_the_counts_by_sorted_keys(
    last_month: dt.date,
    cells_per_block: int,
    window: int,
    presence_cells: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Le cube numpy des établissements et la règle écrite en Polars pour les autres familles (`family_counts`) :
    # mêmes comptes, sur des livraisons tirées au hasard et mélangées (trous de un à plusieurs mois, arrêts,
    # reprises, plusieurs couloirs par établissement, établissements d'un même parent dans plusieurs blocs quand
    # les blocs sont petits). Le flux ne livre rien après son dernier mois. Petites tranches de présence : les
    # livraisons se rangent d'abord par tranche, comme pour un fichier aux mois très dispersés.
    monkeypatch.setattr(completeness_module, "_CELLS_PER_BLOCK", cells_per_block)
    monkeypatch.setattr(completeness_module, "_PRESENCE_CELLS", presence_cells)
    generator = np.random.default_rng(19)
    units = generator.integers(1, 400, size=6_000)
    parent_of = generator.integers(1, 9, size=400)
    rows = pl.DataFrame(
        {
            "unite": units.astype(np.int32),
            "parent": parent_of[units].astype(np.int32),
            "couloir": generator.choice(np.array([1, 2, 5], dtype=np.int32), size=units.size),
            "mois": pl.Series(generator.integers(2023 * 12, 2025 * 12 + 2, size=units.size)),
        }
    ).with_columns(pl.date(pl.col("mois") // 12, pl.col("mois") % 12 + 1, 1).alias("mois"))
    deliveries = (
        rows.unique(["unite", "couloir", "mois"])
        .filter(pl.col("mois") <= last_month)
        .sample(fraction=1.0, shuffle=True, seed=19)
    )
    keys = ["parent", "couloir", "mois"]
    expected_counts, expected_kids = family_counts(
        deliveries.lazy().with_columns(pl.lit(True).alias("complet")), last_month, window, ["parent"]
    )
    counts, kids = establishment_family_counts(deliveries, last_month, window)
    assert counts.height > 100 and kids.height > 50
    assert window == 0 or (counts["attendues"] > counts["livrees"]).any()
    assert_frame_equal(counts.sort(keys), expected_counts.collect().sort(keys).select(counts.columns))
    assert_frame_equal(kids.sort(["parent", "mois"]), expected_kids.collect().sort(["parent", "mois"]))


def test_establishment_counts_of_no_delivery_are_empty() -> None:
    empty = pl.DataFrame(schema={"unite": pl.Int32, "parent": pl.Int32, "couloir": pl.Int32, "mois": pl.Date})
    counts, kids = establishment_family_counts(empty, D(2025, 1, 1))
    expected_counts, expected_kids = family_counts(
        empty.lazy().with_columns(pl.lit(True).alias("complet")), D(2025, 1, 1), parent=["parent"]
    )
    assert counts.height == 0 and kids.height == 0
    assert counts.schema == expected_counts.collect().select(counts.columns).schema
    assert kids.schema == expected_kids.collect().schema
