"""Le dépôt de la page Données (AppTest) : le fichier reçu est écrit une seule fois par passage sous un nom
temporaire, la liste des feuilles et la vérification lisent la même copie, et rien ne reste dans le dossier
temporaire."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
import streamlit as st
import xlsxwriter
from streamlit.proto.Common_pb2 import FileURLs
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec
from streamlit.testing.v1 import AppTest

from pipelines.intake.reading import UPLOAD_PREFIX

APP = str(Path(__file__).resolve().parent.parent / "app.py")
GOOD_CSV = "Mois;Couloir;Nombre de documents\nnov. 2025;Biologie;44 000 000\n".encode("cp1252")


class Deposit:
    """Ce que `st.file_uploader` rend après un dépôt, et chaque écriture du fichier reçu dans le dossier temporaire."""

    def __init__(self, name: str, data: bytes, folder: Path) -> None:
        self.upload = UploadedFile(
            UploadedFileRec("depot-1", name, "application/octet-stream", data), FileURLs()
        )
        self.folder = folder
        self.writes: list[Path] = []

    def leftovers(self) -> list[Path]:
        return sorted(self.folder.glob(f"{UPLOAD_PREFIX}*"))


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "temporaire"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def deposit(monkeypatch: pytest.MonkeyPatch, folder: Path, name: str, data: bytes) -> Deposit:
    """Le dépôt de `name` : `st.file_uploader` le rend à chaque passage ; chaque écriture d'une copie est notée."""
    made = Deposit(name, data, folder)
    monkeypatch.setattr(st, "file_uploader", lambda *args, **kwargs: made.upload)
    write_bytes = Path.write_bytes

    def noted(path: Path, content: bytes) -> int:
        if path.is_relative_to(folder):
            made.writes.append(path)
        return write_bytes(path, content)

    monkeypatch.setattr(Path, "write_bytes", noted)
    return made


def open_donnees() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/donnees.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def workbook(*sheets: tuple[str, list[list[str]]]) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as book:
        for name, rows in sheets:
            sheet = book.add_worksheet(name)
            for number, row in enumerate(rows):
                sheet.write_row(number, 0, row)
    return buffer.getvalue()


FLUX = ("Flux", [["mois", "couloir", "documents"], ["2025-11", "RAD", "4 000 000"]])
NOTES = ("Notes", [["Livraison de l'ARS"], ["Chiffres provisoires"]])


def test_a_csv_is_written_once_and_nothing_is_left(
    demo_db: Path, temporary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = deposit(monkeypatch, temporary, "novembre 2025.csv", GOOD_CSV)
    at = open_donnees()
    assert any("rien n'a encore été écrit" in s.value for s in at.success)
    assert len(made.writes) == 1  # la vérification seule : pas de copie pour chercher des feuilles
    assert made.leftovers() == []
    at.run()  # un nouveau passage sur le même dépôt reprend la vérification gardée, sans réécrire
    assert not at.exception
    assert len(made.writes) == 1
    assert made.leftovers() == []


def test_a_single_sheet_workbook_is_listed_and_checked_on_one_copy(
    demo_db: Path, temporary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = deposit(monkeypatch, temporary, "livraison.xlsx", workbook(FLUX))
    at = open_donnees()
    assert any("rien n'a encore été écrit" in s.value for s in at.success)
    assert len(made.writes) == 1
    assert made.leftovers() == []


def test_a_workbook_with_two_sheets_writes_once_per_pass(
    demo_db: Path, temporary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = deposit(monkeypatch, temporary, "livraison.xlsx", workbook(NOTES, FLUX))
    at = open_donnees()
    question = at.selectbox(key="feuille_depot-1")
    assert question.label == "Ce classeur a 2 feuilles remplies : laquelle importer ?"
    assert question.options == ["Notes", "Flux"]
    assert not at.success  # rien n'est vérifié avant le choix
    assert len(made.writes) == 1  # la liste des feuilles ; la vérification attend le choix
    assert made.leftovers() == []
    question.set_value("Flux").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("rien n'a encore été écrit" in s.value for s in at.success)
    assert "Note : feuille « Flux »" in [c.value for c in at.caption]
    assert len(made.writes) == 2  # la vérification de la feuille choisie ; les feuilles ne sont pas relistées
    assert made.leftovers() == []
