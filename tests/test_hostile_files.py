"""Fichiers hostiles ou inhabituels : chacun reçoit une réponse en français (accepté, ou refusé avec fichier, ligne,
colonne, valeur et motif), jamais une trace Python, et l'entrepôt reste tel qu'il était."""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines.settings import Settings, get_settings
from pipelines.warehouse.ingest import Incoming, IngestResult, ingest
from tests.test_cli import cli

HEADER = "mois;couloir;departement;documents\n"


def one(settings: Settings, path: Path, **kwargs: object) -> IngestResult:
    [result] = ingest([Incoming(path)], settings=settings, **kwargs)  # type: ignore[arg-type]
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def transcode_leftovers() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob("mes-transcodage-*"))


@pytest.fixture
def base(settings: Settings, tmp_path: Path) -> Path:
    """Un entrepôt qui tient déjà un import, pour vérifier qu'un refus le laisse octet pour octet."""
    path = tmp_path / "base.csv"
    path.write_text(HEADER + "2024-01;BIO;75;10\n", encoding="utf-8")
    assert one(settings, path).ok
    return settings.db_path()


# --- Encodages et caractères -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "text", "byte", "position", "line"),
    [("cp850", "É", "0x90", "79", 4), ("mac_roman", "ù", "0x9D", "79", 4)],
)
def test_encoding_neither_utf8_nor_windows_1252_is_refused_with_the_byte_position(
    settings: Settings, base: Path, tmp_path: Path, codec: str, text: str, byte: str, position: str, line: int
) -> None:
    before = digest(base)
    leftovers = set(transcode_leftovers())
    path = tmp_path / "ancien_poste.csv"
    path.write_bytes(
        (HEADER + "2024-01;BIO;75;10\n2024-01;HOP;75;12\n").encode() + f"2024-02;{text};75;3\n".encode(codec)
    )
    result = one(settings, path)
    assert not result.ok
    [problem] = result.problems
    assert "encodage non reconnu" in problem.motif and byte in problem.motif
    assert f"position {position}" in problem.motif and problem.ligne == line
    assert digest(base) == before
    assert set(transcode_leftovers()) == leftovers, "aucun temporaire de transcodage ne reste"


def test_nul_and_control_characters_in_a_value_are_refused_at_their_cell(
    settings: Settings, base: Path, tmp_path: Path
) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes((HEADER + "2024-01;CR\x00bio;75;10\n2024-01;HOP;7\x075;10\n").encode())
    result = one(settings, path)
    assert not result.ok
    cells = {(p.ligne, p.colonne, p.valeur) for p in result.problems}
    assert cells == {(2, "couloir", "CR\\x00bio"), (3, "departement", "7\\x075")}
    assert all("caractère de contrôle" in p.motif for p in result.problems)


def test_nul_in_a_parquet_text_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "nul.parquet"
    pl.DataFrame({"mois": ["2024-01"], "couloir": ["BI\x00O"], "documents": [3]}).write_parquet(path)
    result = one(settings, path)
    assert not result.ok and result.problems[0].colonne == "couloir"


# --- En-têtes ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("mois;couloir;documents;documents", "les colonnes 3 « documents » et 4 « documents »"),
        ("mois;couloir;documents;Nombre de documents", "« documents » et 4 « Nombre de documents »"),
    ],
)
def test_duplicate_or_conflicting_headers_are_refused_naming_both(
    settings: Settings, tmp_path: Path, header: str, reason: str
) -> None:
    path = tmp_path / "double.csv"
    path.write_text(f"{header}\n2024-01;BIO;1;2\n", encoding="utf-8")
    result = one(settings, path)
    assert not result.ok and reason in result.message, result.message
    assert not settings.db_path().exists()


def test_french_excel_csv_with_title_lines_and_filler_rows(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "export_excel.csv"
    text = (
        "Envois de documents au DMP;;;\r\nExtraction du 03/11/2025;;;\r\n;;;\r\n"
        "Mois;Couloir;Département;Nombre de documents\r\n2024-01;Biologie médicale;75;1 234\r\n;;;\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    result = one(settings, path)
    assert result.ok, result.message
    assert any("en-tête lu à la ligne 4" in note for note in result.notes)
    bad = tmp_path / "export_faux.csv"
    bad.write_bytes(text.replace("1 234", "beaucoup").encode("cp1252"))
    refused = one(settings, bad)
    assert [(p.ligne, p.colonne) for p in refused.problems] == [(5, "Nombre de documents")]


def test_header_of_twenty_thousand_columns_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    path.write_text(";".join(f"c{i}" for i in range(20_000)) + "\n" + ";".join("1" * 20_000) + "\n")
    result = one(settings, path)
    assert not result.ok and "20\u202f000 colonnes : au plus 1\u202f000" in result.message
    assert len(result.message) < 1000, "le message ne recopie pas les 20 000 en-têtes"


def test_header_of_a_million_columns_or_without_end_of_line_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "million.csv"
    path.write_text("a;" * 1_000_000 + "\n1\n")
    result = one(settings, path)
    assert not result.ok and "ligne démesurée" in result.message and result.problems[0].ligne == 1


# --- Bornes ----------------------------------------------------------------------------------------------------


def test_giant_single_field_is_refused_naming_its_row_and_column(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "champ.csv"
    path.write_text("mois;couloir;documents\n2024-01;BIO;1\n2024-02;BIO;" + "9" * (3 << 20) + "\n")
    result = one(settings, path)
    assert not result.ok
    [problem] = result.problems
    assert (problem.ligne, problem.colonne) == (3, "documents") and "MES_CHAMP_MAX_CAR" in problem.motif


def test_long_cell_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("mois;couloir;documents\n2024-01;" + "B" * 300 + ";1\n")
    result = one(settings, path)
    assert not result.ok and "cellule trop longue" in result.message
    assert (result.problems[0].ligne, result.problems[0].colonne) == (2, "couloir")


def test_file_size_bound(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MES_FICHIER_MAX_MO", "0.0001")
    path = tmp_path / "gros.csv"
    path.write_text(HEADER + "2024-01;BIO;75;10\n" * 20)
    result = one(get_settings(), path)
    assert not result.ok and "MES_FICHIER_MAX_MO" in result.message


def _bomb(path: Path, rows: int) -> Path:
    """Un classeur minimal dont la feuille se décompresse en `rows` lignes identiques (quelques Ko compressés)."""
    row = "".join(f'<c r="{c}1" t="inlineStr"><is><t>x</t></is></c>' for c in "ABCDEFGHIJ")
    sheet = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData>" + f"<row>{row}</row>" * rows + "</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Bombe" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("MES_XLSX_DECOMPRESSE_MAX_MO", "5", "MES_XLSX_DECOMPRESSE_MAX_MO"),
        ("MES_XLSX_CELLULES_MAX", "100000", "MES_XLSX_CELLULES_MAX"),
    ],
)
def test_xlsx_bomb_is_refused_before_it_is_parsed(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    reason: str,
) -> None:
    monkeypatch.setenv(variable, value)
    path = _bomb(tmp_path / "bombe.xlsx", 40_000)  # 400 000 cellules, 19 Mo décompressés, 70 Ko sur disque
    assert path.stat().st_size < 200_000
    result = one(get_settings(), path)
    assert not result.ok and reason in result.message, result.message


# --- Classeurs ---------------------------------------------------------------------------------------------------


def test_xlsx_title_cell_blank_row_and_merged_cells(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "titre.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Feuil1")
    sheet.merge_range(0, 1, 0, 4, "Documents envoyés au DMP par département")
    sheet.write_row(2, 1, ["Mois", "Département", "Couloir", "Nombre de documents"])
    sheet.merge_range(3, 1, 4, 1, "2024-01")  # un mois fusionné sur deux lignes vaut pour les deux
    sheet.write_row(3, 2, ["75", "BIO", 10])
    sheet.write_row(4, 2, ["75", "HOP", 20])
    book.close()
    result = one(settings, path)
    assert result.ok, result.message
    assert result.nouvelles == 2
    assert any("en-tête lu à la ligne 3" in note for note in result.notes)
    assert any("fusionnées" in note for note in result.notes)


def test_workbook_with_several_filled_sheets_needs_sheet(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "mois.xlsx"
    book = xlsxwriter.Workbook(path)
    for name, month in (("Janvier", "2024-01"), ("Février", "2024-02")):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, ["mois", "couloir", "documents"])
        sheet.write_row(1, 0, [month, "BIO", 5])
    book.add_worksheet("Vide")
    book.close()
    refused = one(settings, path)
    assert not refused.ok and "« Janvier », « Février »" in refused.message and "--sheet" in refused.message
    assert "Vide" not in refused.message
    chosen = one(settings, path, sheet="Février")
    assert chosen.ok and chosen.nouvelles == 1


def test_parquet_list_column_is_refused_cleanly(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "liste.parquet"
    pl.DataFrame({"mois": ["2024-01"], "couloir": ["BIO"], "documents": [[1, 2]]}).write_parquet(path)
    result = one(settings, path)
    assert not result.ok and result.problems[0].colonne == "documents" and "liste" in result.message


# --- Ligne de commande : trois réponses, codes 0, 1, 3 -----------------------------------------------------------


def test_cli_answers_hostile_files_without_traceback(tmp_path: Path) -> None:
    db = tmp_path / "entrepot.duckdb"
    files = []
    for name, payload in (
        ("cp850.csv", HEADER.encode() + "2024-02;É;75;3\n".encode("cp850")),
        ("double.csv", b"mois;couloir;documents;documents\n2024-01;BIO;1;2\n"),
        ("binaire.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00"),
    ):
        (tmp_path / name).write_bytes(payload)
        files.append(str(tmp_path / name))
    result = cli("ingest", *files, db=db)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.count("Fichier refusé") == 3
    assert not db.exists()


def test_help_documents_the_exit_codes(tmp_path: Path) -> None:
    result = cli("ingest", "--help", db=tmp_path / "w.duckdb")
    assert result.returncode == 0
    assert "codes de sortie" in result.stdout and "3  entrepôt ou environnement indisponible" in result.stdout


def test_two_distant_cells_are_refused_before_the_sheet_is_unfolded(
    settings: Settings, tmp_path: Path
) -> None:
    """5 Ko sur disque, deux cellules (A1 et ZZ200000) : la lecture en tableau réserverait 140 millions de cases."""
    path = tmp_path / "eparse.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("S")
    sheet.write_row(0, 0, ["mois", "documents"])
    sheet.write(199_999, 701, 1)
    book.close()
    result = one(settings, path)
    assert not result.ok and "140\u202f400\u202f000 cases" in result.message, result.message


def test_parquet_value_of_200_mb_in_8_kb_is_refused_before_it_is_read(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "valeur.parquet"
    frame = pl.DataFrame({"mois": ["2024-01"], "couloir": ["B" * (20 << 20)], "documents": ["1"]})
    frame.write_parquet(path, compression="zstd")
    assert path.stat().st_size < 100_000
    result = one(settings, path)
    assert not result.ok and "valeur démesurée" in result.message and "MES_CHAMP_MAX_CAR" in result.message


def test_utf16_csv_from_excel_unicode_export_is_refused_by_name(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "unicode.csv"
    path.write_bytes((HEADER + "2024-01;BIO;75;10\n").encode("utf-16"))
    result = one(settings, path)
    assert not result.ok and "encodage non reconnu (UTF-16" in result.message
