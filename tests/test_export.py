"""Exports : chaque fichier relu et comparé à l'entrepôt ; secret statistique, séries internes, formules ; page HTML
ouverte hors réseau dans Chromium ; dossier COSUI relu avec python-pptx."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pptx import Presentation
from pypdf import PdfReader

from pipelines import formats
from pipelines.publish.diffusion import neutralise_formulas
from pipelines.publish.export import export_public
from pipelines.settings import REFERENCE_DIR, get_settings
from pipelines.warehouse.ingest import Incoming, ingest
from tests.conftest import TODAY, write_text
from tests.test_cli import cli


@pytest.fixture(scope="module")
def official_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Un entrepôt sans démonstration, avec des départements à petits comptes et un couloir interne."""
    tmp = tmp_path_factory.mktemp("officiel")
    db = tmp / "w.duckdb"
    flux = write_text(
        tmp / "flux.csv",
        "mois;couloir;departement;documents\n"
        "2025-09;BIO;35;5\n2025-09;HOP;35;1200\n2025-09;AUT;35;40\n2025-09;BIO;29;11\n2025-09;HOP;29;10\n"
        "2025-10;BIO;35;7\n2025-10;HOP;35;1300\n2025-10;AUT;35;50\n2025-10;BIO;29;12\n2025-10;HOP;29;900\n",
    )
    establishments = write_text(
        tmp / "etablissements.csv",
        "mois;couloir;departement;finess;documents\n2025-09;HOP;56;560000002;3\n2025-10;HOP;56;560000002;400\n",
    )
    settings = get_settings(db=db, aujourdhui=TODAY)
    results = ingest(
        [
            Incoming(REFERENCE_DIR / "population.csv"),
            Incoming(REFERENCE_DIR / "cibles.csv"),
            Incoming(flux),
            Incoming(establishments),
        ],
        settings=settings,
    )
    assert all(r.ok for r in results)
    folder = tmp / "paquet"
    with duckdb.connect(str(db), read_only=True) as con:
        export_public(con, folder, images=False)
    return folder, db


def test_a_regional_package_and_alert_files_cover_one_region(demo_db: Path, tmp_path: Path) -> None:
    """`export --region` : la région, ses départements, ses établissements et la France pour comparaison, chiffres
    clés de la région ; `alertes --region` : les fichiers de cette seule région."""
    folder = tmp_path / "bretagne"
    result = cli("export", "--out", str(folder), "--demo", "--region", "Bretagne", db=demo_db)
    assert result.returncode == 0, result.stderr
    assert (
        "Warning" not in result.stderr and "UserWarning" not in result.stderr
    )  # rien d'anglais pour l'utilisateur
    flux = pl.read_csv(folder / "csv" / "indicateurs_flux.csv", infer_schema=False)
    assert set(flux.select("niveau", "code_geo").unique().rows()) == {
        ("pays", "FR"),
        ("region", "53"),
        *(("departement", code) for code in ("22", "29", "35", "56")),
    }
    establishments = pl.read_csv(folder / "csv" / "indicateurs_etablissements.csv", infer_schema=False)
    assert establishments.height and set(establishments["code_region"]) == {"53"}
    october = flux.filter(
        (pl.col("mois") == "2025-10-01") & (pl.col("code_geo") == "53") & (pl.col("couloir") == "TOUS")
    )
    documents = int(october["documents"][0])
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(
        "# Alimentation de Mon espace santé — données ouvertes, Bretagne (53), octobre 2025"
    )
    assert f"en octobre 2025 : {formats.integer(documents)} ;" in readme
    assert "la cible de 250 M de documents par an est nationale" in readme
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<h1>Alimentation de Mon espace santé, Bretagne (53) — octobre 2025</h1>" in page
    assert "Part de la cible de 250 M" not in page  # pas de cible régionale
    assert (folder / "graphiques" / "carte_regions.svg").exists()

    alerts = cli("alertes", "--out", str(tmp_path / "alertes"), "--region", "53", db=demo_db)
    assert alerts.returncode == 0, alerts.stderr
    written = sorted(p.name for p in (tmp_path / "alertes").iterdir())
    assert [name for name in written if name.startswith("alertes_")] == [
        "alertes_2025-10_53_bretagne.csv",
        "alertes_2025-10_53_bretagne.html",
        "alertes_2025-10_53_bretagne.xlsx",
    ], written


def test_demo_export_is_refused_without_the_flag(demo_warehouse_master: Path, tmp_path: Path) -> None:
    result = cli("export", "--out", str(tmp_path / "x"), db=demo_warehouse_master)
    assert (
        result.returncode == 1 and "données de démonstration" in result.stderr and "--demo" in result.stderr
    )
    assert not (tmp_path / "x").exists()


def test_every_format_reads_back_equal_to_the_warehouse(demo_export: tuple[Path, Path]) -> None:
    folder, db = demo_export
    with duckdb.connect(str(db), read_only=True) as con:
        # Le total publié est celui des couloirs publiés : la série interne AUT en est retirée (diffusion.py).
        expected = con.sql(
            "SELECT t.code_geo, t.libelle_geo, t.documents - coalesce(a.documents, 0) AS documents, "
            "(t.documents - coalesce(a.documents, 0)) * 12 / t.population AS documents_par_habitant_an "
            "FROM indicateurs_flux AS t LEFT JOIN indicateurs_flux AS a ON a.mois = t.mois AND a.niveau = t.niveau "
            "AND a.code_geo = t.code_geo AND a.couloir = 'AUT' "
            "WHERE t.mois = DATE '2025-10-01' AND t.couloir = 'TOUS' AND t.niveau = 'region' ORDER BY t.code_geo"
        ).pl()

    def pick(frame: pl.DataFrame) -> pl.DataFrame:
        return (
            frame.filter(
                (pl.col("mois").cast(pl.String) == "2025-10-01")
                & (pl.col("couloir") == "TOUS")
                & (pl.col("niveau") == "region")
            )
            .select(
                "code_geo",
                "libelle_geo",
                pl.col("documents").cast(pl.Int64),
                pl.col("documents_par_habitant_an").cast(pl.Float64),
            )
            .sort("code_geo")
        )

    plain = pl.read_csv(folder / "csv" / "indicateurs_flux.csv", infer_schema=False)
    assert_equal = assert_frame_equal
    assert_equal(pick(plain), expected, check_dtypes=False)
    raw = (folder / "csv_excel" / "indicateurs_flux.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    # Les régions (couloir TOUS) du mois publié, relues comme dans un tableur.
    regions = {
        r["code_geo"]: r
        for r in rows
        if r["mois"] == "2025-10-01" and r["niveau"] == "region" and r["couloir"] == "TOUS"
    }
    bretagne = regions["53"]
    assert bretagne["libelle_geo"] == "Bretagne"
    expected_rate = expected.filter(pl.col("code_geo") == "53")["documents_par_habitant_an"][0]
    assert "," in bretagne["documents_par_habitant_an"] and float(
        bretagne["documents_par_habitant_an"].replace(",", ".")
    ) == pytest.approx(expected_rate)
    assert regions["11"]["libelle_geo"] == "Île-de-France"  # accents intacts
    assert_equal(pick(pl.read_excel(folder / "xlsx" / "indicateurs_flux.xlsx")), expected, check_dtypes=False)
    assert_equal(
        pick(pl.read_parquet(folder / "parquet" / "indicateurs_flux.parquet")), expected, check_dtypes=False
    )


def test_datapackage_and_readme_describe_the_files(demo_export: tuple[Path, Path]) -> None:
    folder, _ = demo_export
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    names = {r["name"] for r in package["resources"]}
    assert names == {
        "indicateurs_flux",
        "trajectoires",
        "indicateurs_sons",
        "indicateurs_sunes",
        "indicateurs_usage",
        "indicateurs_etablissements",  # établissements de démonstration (issue 18)
        "chiffres_publies",
    }
    flux = next(r for r in package["resources"] if r["name"] == "indicateurs_flux")
    fields = {f["name"]: f for f in flux["schema"]["fields"]}
    assert fields["flux_annualise"]["description"].startswith("Rythme annuel")
    assert fields["mois"]["type"] == "date" and fields["population"]["type"] == "integer"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for needle in (
        "Sources",
        "Définitions",
        "Révisions",
        "Licence Ouverte",
        "secret statistique",
        "DÉMONSTRATION".lower(),
    ):
        assert needle.lower() in readme.lower()
    # La révision est signalée sans ses sommes de documents (elles rendraient la série interne : voir diffusion).
    assert "décembre 2023 : " in readme and "valeur(s) révisée(s)" in readme
    assert "19\u202f250\u202f000" not in readme and "18\u202f800\u202f000" not in readme


def test_small_counts_are_masked_in_every_public_file(official_export: tuple[Path, Path]) -> None:
    folder, _ = official_export
    text = pl.read_csv(folder / "csv" / "indicateurs_flux.csv", infer_schema=False)
    small = text.filter((pl.col("code_geo") == "35") & (pl.col("couloir") == "BIO"))
    assert small["documents"].to_list() == ["< 11", "< 11"]
    assert small["flux_annualise"].to_list() == [None, None] and small["part_couloir"].to_list() == [
        None,
        None,
    ]
    exact_ten = text.filter(
        (pl.col("code_geo") == "29") & (pl.col("couloir") == "HOP") & (pl.col("mois") == "2025-09-01")
    )
    assert exact_ten["documents"].to_list() == ["< 11"]
    # 11 n'est pas un petit compte, mais c'est le plus petit autre couloir du Finistère en septembre : sans lui,
    # TOUS − BIO rendrait le 10 de HOP (secret secondaire).
    eleven = text.filter(
        (pl.col("code_geo") == "29") & (pl.col("couloir") == "BIO") & (pl.col("mois") == "2025-09-01")
    )
    assert eleven["documents"].to_list() == ["secret"] and eleven["masque_secondaire"].to_list() == ["true"]
    national = text.filter(
        (pl.col("niveau") == "pays") & (pl.col("couloir") == "BIO") & (pl.col("mois") == "2025-09-01")
    )
    assert national["documents"].to_list() == ["16"]  # le secret ne s'applique pas aux niveaux agrégés
    parquet = pl.read_parquet(folder / "parquet" / "indicateurs_flux.parquet").filter(
        (pl.col("code_geo") == "35") & (pl.col("couloir") == "BIO")
    )
    assert parquet["documents"].to_list() == [None, None] and parquet["masque_secret_statistique"].all()
    excel = pl.read_excel(folder / "xlsx" / "indicateurs_flux.xlsx").filter(
        (pl.col("code_geo") == "35") & (pl.col("couloir") == "BIO")
    )
    assert excel["documents"].cast(pl.String).to_list() == ["< 11", "< 11"]
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert ">5<" not in html and ">7<" not in html


def test_a_masked_month_is_not_revealed_by_the_next_one(official_export: tuple[Path, Path]) -> None:
    """HOP 29 : 10 documents en septembre (masqué), 900 en octobre ; l'octobre ne doit pas redonner le 10."""
    folder, _ = official_export
    text = pl.read_csv(folder / "csv" / "indicateurs_flux.csv", infer_schema=False)
    october = text.filter(
        (pl.col("code_geo") == "29") & (pl.col("couloir") == "HOP") & (pl.col("mois") == "2025-10-01")
    )
    # Octobre est lui-même masqué par le secret secondaire (le 7 de BIO en Ille-et-Vilaine se propage dans la
    # région) ; ses colonnes qui reprennent septembre restent vides dans tous les cas.
    assert october["documents"].to_list() == ["secret"]
    assert october["documents_m1"].to_list() == [None] and october["evolution_1_mois"].to_list() == [None]
    etab = pl.read_csv(folder / "csv" / "indicateurs_etablissements.csv", infer_schema=False).filter(
        pl.col("couloir") == "HOP"
    )
    # Le département 56 d'octobre est masqué (secret secondaire) et n'a qu'un établissement : masqué avec lui.
    assert etab.sort("mois")["documents"].to_list() == ["< 11", "secret"]
    assert etab["documents_m1"].to_list() == [None, None] and etab["evolution_1_mois"].to_list() == [
        None,
        None,
    ]
    assert (folder / "xlsx" / "indicateurs_etablissements.xlsx").exists()


def test_internal_series_never_leave(official_export: tuple[Path, Path]) -> None:
    folder, _ = official_export
    for path in [folder / "csv" / "indicateurs_flux.csv", folder / "csv_excel" / "indicateurs_flux.csv"]:
        assert ",AUT," not in path.read_text(encoding="utf-8-sig") and ";AUT;" not in path.read_text(
            encoding="utf-8-sig"
        )
    assert "AUT" not in pl.read_parquet(folder / "parquet" / "indicateurs_flux.parquet")["couloir"].to_list()
    assert "AUT" not in pl.read_excel(folder / "xlsx" / "indicateurs_flux.xlsx")["couloir"].to_list()


def test_no_exported_text_cell_can_start_a_formula(official_export: tuple[Path, Path]) -> None:
    frame = pl.DataFrame(
        {"texte": ["=SOMME(A1)", "+33 1", "-x", "@cmd", "\tx", "normal"], "n": [-1, 2, 3, 4, 5, 6]}
    )
    assert neutralise_formulas(frame).to_dict(as_series=False) == {
        "texte": ["'=SOMME(A1)", "'+33 1", "'-x", "'@cmd", "'\tx", "normal"],
        "n": [-1, 2, 3, 4, 5, 6],
    }
    folder, _ = official_export
    for path in (folder / "csv").glob("*.csv"):
        frame = pl.read_csv(path, infer_schema_length=10000)
        for column, dtype in frame.schema.items():
            if dtype == pl.String:
                assert not frame[column].drop_nulls().str.contains(r"^[=+@\t]").any(), (path.name, column)


def test_charts_exist_as_png_and_svg(demo_export: tuple[Path, Path]) -> None:
    folder, _ = demo_export
    for name in ("rythme_annuel", "couloirs_cibles", "couloirs_mensuels", "carte_regions"):
        assert (folder / "graphiques" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert "<svg" in (folder / "graphiques" / f"{name}.svg").read_text(encoding="utf-8")[:500]


def test_cosui_pack_opens_and_carries_the_figures(demo_export: tuple[Path, Path], tmp_path: Path) -> None:
    _, db = demo_export
    out = tmp_path / "cosui.pptx"
    result = cli("cosui", "--date", "2026-01-20", "--out", str(out), db=db)
    assert result.returncode == 0, result.stderr
    deck = Presentation(str(out))
    texts = [
        "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
        for slide in deck.slides
    ]
    tables = [
        [[cell.text for cell in row.cells] for row in shape.table.rows]
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
    ]
    assert len(deck.slides) == 8
    assert "COSUI du 20 janvier 2026" in texts[0]
    assert "42\u202f800\u202f000" in texts[1] and "513,6 M" in texts[1]  # octobre 2025 : dernier mois complet
    assert any("DÉMONSTRATION" in t for t in texts)
    assert any(p.shape_type == 13 for p in deck.slides[2].shapes)  # image de la trajectoire
    evolution = tables[0]
    # Base : le dernier COSUI tenu avant octobre 2025, celui du 2 avril 2025 (data/reference/jalons.csv).
    assert evolution[0] == ["Couloir", "Documents d'avril 2025", "Documents d'octobre 2025", "Évolution"]
    assert "Chiffres d'octobre 2025" in texts[0] and "Chiffres au" not in texts[0]
    assert "Évolution depuis le COSUI d'avril 2025" in texts[1]
    assert "depuis février 2024" in texts[2] and "2024-02" not in texts[2]  # mois écrit en français
    sizes = [
        p.font.size.pt
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame
        for p in shape.text_frame.paragraphs
        if p.text and p.font.size
    ]
    assert len(sizes) > 20 and min(sizes) >= 16  # lisible au projecteur
    # Le même dossier en PDF, à côté : une page par diapositive, au format 16:9.
    pdf = PdfReader(out.with_suffix(".pdf"))
    assert len(pdf.pages) == len(deck.slides)
    box = pdf.pages[0].mediabox
    assert round(float(box.width) / float(box.height), 2) == round(16 / 9, 2)
    errata = texts[-1]
    assert "231 M affichés, 226 M corrigés" in errata or "Révision de décembre 2023" in errata
