"""Secret statistique face aux soustractions : règles sur des lignes écrites à la main, puis sur l'entrepôt de
démonstration, toutes les soustractions (et leurs enchaînements) tentées sur chaque table publiée, par le paquet de
transparence comme par les téléchargements du site public. Rien de masqué ni d'interne ne doit revenir."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.publish import diffusion
from pipelines.publish.diffusion import (
    exclude_internal,
    mask_small_counts,
    neutralise_formulas,
    published_tables,
    spreadsheet_view,
)
from pipelines.publish.public_warehouse import public_database
from tests.conftest import typed_rows

JUL = dt.date(2021, 7, 1)
Cell = tuple[str, str, str, dt.date]  # niveau, code_geo, couloir, mois


def _geography(regions: dict[str, tuple[int, dict[str, int]]], pays: int | None = None) -> pl.DataFrame:
    """Les documents du couloir PHA en juillet 2021 : la France (si `pays` est donné), puis chaque région
    {code : (total, {département : documents})} suivie de ses départements."""
    rows = [("pays", "FR", "", pays)] if pays is not None else []
    for region, (total, departements) in regions.items():
        rows += [("region", region, region, total)]
        rows += [("departement", code, region, documents) for code, documents in departements.items()]
    frame = typed_rows(rows, "niveau code_geo code_region documents", documents=pl.Int64)
    return frame.with_columns(pl.lit("PHA").alias("couloir"), pl.lit(JUL).alias("mois"))


def test_a_lonely_masked_departement_takes_the_smallest_neighbour_with_it() -> None:
    frame = _geography({"94": (410, {"2A": 10, "2B": 400}), "93": (1000, {"13": 500, "06": 300, "83": 200})})
    masked = mask_small_counts(frame).select("code_geo", "documents", "masque_secondaire")
    expected = pl.DataFrame(
        {
            "code_geo": ["94", "2A", "2B", "93", "13", "06", "83"],
            "documents": [410, None, None, 1000, 500, 300, 200],
            "masque_secondaire": [False, False, True, False, False, False, False],
        }
    )
    assert_frame_equal(masked, expected)


def test_a_group_of_one_masks_its_total_and_the_next_level_follows() -> None:
    frame = _geography(
        {"01": (8, {"971": 8}), "02": (1000, {"972": 1000}), "11": (1000, {"75": 1000})}, pays=2008
    )
    masked = mask_small_counts(frame).select("code_geo", "documents")
    # 971 (8) masqué ; sa région n'a que lui : la région l'est aussi ; parmi les régions, une autre encore.
    assert masked.filter(pl.col("documents").is_null())["code_geo"].sort().to_list() == [
        "01",
        "02",
        "971",
        "972",
    ]


def test_internal_couloirs_leave_the_published_total() -> None:
    frame = pl.DataFrame(
        {
            "mois": [JUL] * 3,
            "niveau": ["pays"] * 3,
            "code_geo": ["FR"] * 3,
            "couloir": ["TOUS", "HOP", "AUT"],
            "documents": [110, 100, 10],
        }
    )
    rules = pl.DataFrame(
        {"table": ["indicateurs_flux"], "colonne": ["couloir"], "valeur": ["AUT"], "motif": ["interne"]}
    )
    assert_frame_equal(
        exclude_internal(frame, "indicateurs_flux", rules),
        pl.DataFrame(
            {
                "mois": [JUL] * 2,
                "niveau": ["pays"] * 2,
                "code_geo": ["FR"] * 2,
                "couloir": ["TOUS", "HOP"],
                "documents": [100, 100],
            }
        ),
        check_row_order=False,
    )


# --- Toutes les soustractions --------------------------------------------------------------------------------


def _month(value: dt.date, months: int) -> dt.date:
    index = value.year * 12 + value.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def recover(flux: pl.DataFrame) -> dict[Cell, float]:
    """Toutes les cases `documents` cachées qu'une suite de soustractions et de rapports retrouve à partir d'une
    table publiée : sommes de groupe (couloirs de `TOUS`, départements d'une région, régions de la France) sur les
    documents et sur les cumuls de 12 mois, fenêtres des cumuls, comptes d'un mois antérieur repris, rythme annuel,
    parts, évolutions, multiplicateur, documents par habitant. Rend {case retrouvée : valeur}."""
    rows = flux.to_dicts()
    known: dict[tuple[str, Cell], float] = {}
    cells: set[Cell] = set()
    equations: list[tuple[tuple[str, Cell], list[tuple[str, Cell]]]] = []  # total = somme des membres
    ratios: list[tuple[tuple[str, Cell], tuple[str, Cell], float]] = []  # a = b × facteur
    for r in rows:
        cell: Cell = (r["niveau"], r["code_geo"], r["couloir"], r["mois"])
        cells.add(cell)
        for column, var in (("documents", "D"), ("cumul_12_mois", "C")):
            if r.get(column) is not None:
                known[(var, cell)] = float(r[column])
        series = cell[:3]
        if r.get("flux_annualise") is not None:
            known[("D", cell)] = r["flux_annualise"] / 12
        if r.get("documents_m1") is not None:
            known[("D", (*series, _month(cell[3], -1)))] = float(r["documents_m1"])
        if r.get("documents_m12") is not None:
            known[("D", (*series, _month(cell[3], -12)))] = float(r["documents_m12"])
        if r.get("documents_par_habitant_an") is not None and r.get("population"):
            known[("D", cell)] = r["documents_par_habitant_an"] * r["population"] / 12
        for column, months in (("evolution_1_mois", -1), ("evolution_12_mois", -12)):
            if r.get(column) is not None:
                ratios.append((("D", cell), ("D", (*series, _month(cell[3], months))), 1 + r[column]))
        if r.get("evolution_depuis_cosui") is not None and r.get("mois_reference_cosui"):
            ratios.append(
                (("D", cell), ("D", (*series, r["mois_reference_cosui"])), 1 + r["evolution_depuis_cosui"])
            )
        if r.get("multiplicateur_depuis_base") is not None and r.get("mois_base"):
            ratios.append((("D", cell), ("D", (*series, r["mois_base"])), r["multiplicateur_depuis_base"]))
        if r.get("part_couloir") is not None and r["couloir"] != "TOUS":
            ratios.append((("D", cell), ("D", (cell[0], cell[1], "TOUS", cell[3])), r["part_couloir"]))
    groups: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
    region_of = {(r["niveau"], r["code_geo"]): r.get("code_region") for r in rows}
    for cell in cells:
        niveau, code, couloir, mois = cell
        if couloir != "TOUS":
            groups[("TOUS", niveau, code, str(mois))].append(cell)
        if niveau == "departement" and region_of.get((niveau, code)):
            groups[("region", region_of[(niveau, code)] or "", couloir, str(mois))].append(cell)
        if niveau == "region":
            groups[("pays", "FR", couloir, str(mois))].append(cell)
    for key, members in groups.items():
        kind, code, _, _ = key
        for var in ("D", "C"):
            if kind == "TOUS":
                total: Cell = (members[0][0], members[0][1], "TOUS", members[0][3])
            else:
                total = (kind, code, members[0][2], members[0][3])
            if total in cells:
                equations.append(((var, total), [(var, m) for m in members]))
    for cell in cells:
        window = [(cell[0], cell[1], cell[2], _month(cell[3], -k)) for k in range(12)]
        if all(w in cells for w in window):
            equations.append((("C", cell), [("D", w) for w in window]))
    hidden = {("D", c) for c in cells} - set(known)
    recovered: dict[Cell, float] = {}
    progress = True
    while progress:
        progress = False
        for whole, parts in equations:
            unknown = [v for v in [whole, *parts] if v not in known]
            if len(unknown) != 1:
                continue
            target = unknown[0]
            rest = sum(known[part] for part in parts if part != target)
            known[target] = rest if target == whole else known[whole] - rest
            progress = True
        for a, b, factor in ratios:
            if a in known and b not in known and factor:
                known[b] = known[a] / factor
                progress = True
            elif b in known and a not in known:
                known[a] = known[b] * factor
                progress = True
    for var, cell in hidden:
        if (var, cell) in known:
            recovered[cell] = known[(var, cell)]
    return recovered


def _download_as_read_back(frame: pl.DataFrame) -> pl.DataFrame:
    """Le CSV téléchargé (même mise en forme que le paquet) relu comme le lirait un réutilisateur."""
    text = neutralise_formulas(spreadsheet_view(frame)).write_csv()
    back = pl.read_csv(io.StringIO(text), try_parse_dates=True, infer_schema_length=None)
    return back.with_columns(
        [pl.col(c).cast(pl.Float64, strict=False) for c in diffusion.COUNT_COLUMNS if c in back.columns]
    )


@pytest.fixture(scope="module")
def demo(demo_warehouse_master: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(demo_warehouse_master), read_only=True)


def test_no_subtraction_recovers_a_masked_cell_from_the_package_or_the_site(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    package = published_tables(demo)["indicateurs_flux"]
    assert package["masque_secret_statistique"].sum() >= 2  # le demo contient bien une case à protéger
    assert recover(package) == {}
    site = public_database(demo).sql("SELECT * FROM indicateurs_flux").pl()
    assert recover(_download_as_read_back(site)) == {}


def test_the_attack_finds_the_leak_without_secondary_secrecy(
    demo: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Le même essai, secret secondaire retiré : il retrouve la case de Corse-du-Sud (10 documents, juillet 2021)."""
    monkeypatch.setattr(diffusion, "secondary_secret", lambda frame, primary: primary)
    leaked = recover(published_tables(demo)["indicateurs_flux"])
    assert round(leaked[("departement", "2A", "PHA", JUL)]) == 10


def test_internal_series_are_neither_published_nor_recoverable(demo: duckdb.DuckDBPyConnection) -> None:
    package = published_tables(demo)
    assert "AUT" not in package["indicateurs_flux"]["couloir"].to_list()
    raw_aut = demo.sql(
        "SELECT count(*) FROM indicateurs_flux WHERE couloir = 'AUT' AND documents > 0"
    ).fetchall()
    assert raw_aut[0][0] > 6000
    flux = package["indicateurs_flux"]
    totals = flux.filter(pl.col("couloir") == "TOUS").select(
        "mois", "niveau", "code_geo", pl.col("documents").alias("tous")
    )
    parts = (
        flux.filter(pl.col("couloir") != "TOUS")
        .group_by("mois", "niveau", "code_geo")
        .agg(pl.col("documents").sum().alias("somme"), pl.col("documents").is_null().any().alias("masque"))
    )
    residual = totals.join(parts, on=["mois", "niveau", "code_geo"]).filter(
        ~pl.col("masque") & pl.col("tous").is_not_null()
    )
    # TOUS − Σ couloirs publiés : zéro partout, donc rien de la série interne.
    assert residual.height > 6000
    assert residual.filter(pl.col("tous") != pl.col("somme")).height == 0


def test_published_trajectories_and_projections_carry_no_internal_series(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    """Le rythme observé de la trajectoire publiée est 12 × le total publié du même mois : 12 × rythme − total ne
    redonne pas la série interne ; la projection du site ne porte ni AUT ni un total qui la contiendrait."""
    package = published_tables(demo)
    flux = package["indicateurs_flux"]
    trajectory = package["trajectoires"].filter(pl.col("couloir") == "TOUS").row(0, named=True)
    total = flux.filter(
        (pl.col("niveau") == "pays")
        & (pl.col("couloir") == "TOUS")
        & (pl.col("mois") == trajectory["mois_dernier"])
    )["documents"].item()
    assert trajectory["flux_annualise_dernier"] == 12 * total
    internal = demo.sql("SELECT flux_annualise_dernier FROM trajectoires WHERE couloir = 'TOUS'").fetchall()[
        0
    ][0]
    assert internal > trajectory["flux_annualise_dernier"]  # le total interne contient bien AUT
    site = public_database(demo)
    assert site.sql("SELECT count(*) FROM projections WHERE couloir = 'AUT'").fetchall()[0][0] == 0
    site_start = site.sql(
        "SELECT flux_annualise_projete FROM projections WHERE couloir = 'TOUS' ORDER BY mois LIMIT 1"
    ).fetchall()[0][0]
    internal_start = demo.sql(
        "SELECT flux_annualise_projete FROM projections WHERE couloir = 'TOUS' ORDER BY mois LIMIT 1"
    ).fetchall()[0][0]
    assert site_start < internal_start


def test_an_establishment_is_not_recovered_from_its_departement_total() -> None:
    flux = pl.DataFrame(
        {
            "mois": [JUL],
            "niveau": ["departement"],
            "code_geo": ["56"],
            "code_region": ["53"],
            "couloir": ["HOP"],
            "documents": [415],
        }
    )
    establishments = pl.DataFrame(
        {
            "mois": [JUL] * 2,
            "niveau": ["etablissement"] * 2,
            "code_geo": ["560000001", "560000002"],
            "code_region": ["53"] * 2,
            "code_departement": ["56"] * 2,
            "couloir": ["HOP"] * 2,
            "documents": [3, 412],
        }
    )
    published_flux, published_establishments = diffusion.masked_together(flux, establishments)
    # 415 − 412 rendrait les 3 documents : l'autre établissement est masqué aussi.
    assert published_establishments["documents"].to_list() == [None, None]
    assert published_flux["documents"].to_list() == [415]
    assert published_establishments["masque_secondaire"].to_list() == [False, True]
