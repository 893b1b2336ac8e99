"""Fichiers malformés générés (hypothesis) : octets, encodages, formes, en-têtes, tailles. Quel que soit le fichier,
la réponse est « accepté » ou « refusé » avec un motif en français (ou « entrepôt indisponible »), jamais une
exception imprévue ; un fichier refusé laisse l'entrepôt octet pour octet ; la ligne de commande sort en 0, 1 ou 3
sans trace Python."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.intake.problems import RefusedFile
from pipelines.settings import Settings, get_settings
from pipelines.warehouse.connection import WarehouseError
from pipelines.warehouse.ingest import Incoming, ingest, validate_file
from tests.conftest import TODAY
from tests.test_cli import cli

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    derandomize=os.environ.get("FUZZ_EXAMPLES") is None,
)
HEADERS = [
    ["mois", "couloir", "departement", "documents"],
    ["Mois", "Couloir", "Région", "Nombre de documents"],
    ["mois", "couloir", "documents", "documents"],
    ["mois", "couloir", "documents", "Nombre de documents"],
    ["", "", "", ""],
    ["mois", "couloir", "2024-01", "2024-02"],
    ["date_situation", "vague", "dispositif", "bons_de_commande"],
]
cells = st.one_of(
    st.sampled_from(
        ["2024-01", "déc. 2023", "BIO", "HOP", "75", "2A", "1 234", "12", "-3", "", " ", "1e9", "N/A"]
    ),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "cp850", "mac_roman", "utf-16", "latin-1"])


def _settings() -> Settings:
    return get_settings(aujourdhui=TODAY, colonnes_max=200, champ_max_car=64, xlsx_cellules_max=50_000)


def _answer(path: Path) -> str:
    """« accepte » ou « refuse » ; toute autre issue fait échouer le test."""
    try:
        validate_file(Incoming(path), None, _settings())
    except RefusedFile as refused:
        assert refused.problems and all(p.motif for p in refused.problems)
        return "refuse"
    return "accepte"


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    separator = draw(st.sampled_from([";", ",", "\t", "|", " "]))
    header = draw(st.sampled_from(HEADERS))
    width = draw(st.integers(1, 6))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=8))
    titles = draw(st.lists(st.sampled_from(["Titre du tableau", ";;;", "", "Source : ARS"]), max_size=3))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [*titles, separator.join(header), *(separator.join(r) for r in rows)]
    encoding = draw(encodings)
    data = newline.join(lines).encode(encoding, errors="replace")
    if draw(st.booleans()):  # octets quelconques insérés
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.binary(max_size=16)) + data[position:]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def xlsx_bytes(draw: st.DrawFn) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"created": dt.datetime(2026, 1, 1)})  # octets reproductibles d'un tirage à l'autre
    for index in range(draw(st.integers(1, 3))):
        sheet = book.add_worksheet(f"F{index}")
        start = draw(st.integers(0, 4))
        if draw(st.booleans()):
            sheet.write(0, 0, "Titre")
        sheet.write_row(start, 0, draw(st.sampled_from(HEADERS)))
        for row, values in enumerate(draw(st.lists(st.lists(cells, max_size=5), max_size=6))):
            for column, value in enumerate(values):
                sheet.write_string(start + 1 + row, column, value)
        if draw(st.booleans()):
            sheet.merge_range(start + 1, 0, start + 2, 0, "2024-01")
    book.close()
    data = buffer.getvalue()
    mutation = draw(st.sampled_from(["aucune", "tronque", "octets"]))
    if mutation == "tronque":
        data = data[: draw(st.integers(0, len(data)))]
    elif mutation == "octets":
        position = draw(st.integers(0, len(data) - 1))
        data = data[:position] + draw(st.binary(min_size=1, max_size=8)) + data[position + 1 :]
    return data


@st.composite
def parquet_bytes(draw: st.DrawFn) -> bytes:
    height = draw(st.integers(0, 5))
    columns: dict[str, pl.Series] = {}
    for name in draw(
        st.lists(st.sampled_from(["mois", "couloir", "documents", "departement", "autre"]), max_size=5)
    ):
        kind = draw(
            st.sampled_from(["texte", "entier", "decimal", "date", "liste", "structure", "binaire", "nul"])
        )
        values = {
            "texte": pl.Series(
                name, draw(st.lists(cells, min_size=height, max_size=height)), dtype=pl.String
            ),
            "entier": pl.Series(
                name, draw(st.lists(st.integers(-(2**40), 2**40), min_size=height, max_size=height))
            ),
            "decimal": pl.Series(
                name, draw(st.lists(st.floats(), min_size=height, max_size=height)), dtype=pl.Float64
            ),
            "date": pl.Series(name, [dt.date(2024, 1, 1)] * height, dtype=pl.Date),
            "liste": pl.Series(name, [[1, 2]] * height, dtype=pl.List(pl.Int64)),
            "structure": pl.Series(name, [{"a": 1}] * height, dtype=pl.Struct({"a": pl.Int64})),
            "binaire": pl.Series(
                name, draw(st.lists(st.binary(max_size=6), min_size=height, max_size=height))
            ),
            "nul": pl.Series(name, [None] * height, dtype=pl.Null),
        }[kind]
        columns.setdefault(name, values)
    buffer = io.BytesIO()
    pl.DataFrame(list(columns.values())).write_parquet(buffer)
    data = buffer.getvalue()
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@pytest.mark.parametrize(
    ("name", "files"),
    [("fichier.csv", csv_bytes()), ("classeur.xlsx", xlsx_bytes()), ("table.parquet", parquet_bytes())],
    ids=["csv", "xlsx", "parquet"],
)
@FUZZ
@given(data=st.data())
def test_fuzzed_file_gets_an_answer(name: str, files: st.SearchStrategy[bytes], data: st.DataObject) -> None:
    """Chaque format a ses propres exemples (FUZZ), tirés de son générateur."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data.draw(files))
        assert _answer(path) in ("accepte", "refuse")


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    source = folder / "janvier.csv"
    source.write_text("mois;couloir;departement;documents\n2024-01;BIO;75;10\n", encoding="utf-8")
    db = folder / "w.duckdb"
    [result] = ingest([Incoming(source)], db=db, settings=get_settings(db=db, aujourdhui=TODAY))
    assert result.ok
    return db


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(
    data=st.one_of(csv_bytes(), xlsx_bytes(), parquet_bytes()),
    suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]),
)
def test_fuzzed_import_leaves_the_warehouse_unchanged_when_refused(
    small_warehouse: Path, tmp_path: Path, data: bytes, suffix: str
) -> None:
    db = tmp_path / f"w{hashlib.sha256(data).hexdigest()[:8]}.duckdb"
    shutil.copyfile(small_warehouse, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    path = tmp_path / f"envoi{suffix}"
    path.write_bytes(data)
    try:
        [result] = ingest([Incoming(path)], db=db, settings=_settings())
    except WarehouseError:
        ok = False
    else:
        ok = result.ok
    if not ok or result.import_id is None:
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_cli_exit_codes_on_malformed_files(small_warehouse: Path, tmp_path: Path) -> None:
    """Des fichiers malformés de chaque format, par la vraie ligne de commande : code 0, 1 ou 3, jamais de trace."""
    buffer = io.BytesIO()
    pl.DataFrame({"mois": ["2024-01"], "documents": [[1]]}).write_parquet(buffer)
    book = io.BytesIO()
    workbook = xlsxwriter.Workbook(book, {"in_memory": True})
    workbook.add_worksheet("F").write_row(0, 0, ["mois", "couloir", "documents"])
    workbook.close()
    payloads = {
        "octets.csv": bytes(range(256)) * 4,
        "cp850.csv": "mois;couloir;documents\n2024-01;É;1\n".encode("cp850"),
        "utf16.csv": "mois;couloir;documents\n2024-01;BIO;1\n".encode("utf-16"),
        "guillemet.csv": b'mois;couloir;documents\n"2024-01;BIO;1\n',
        "tronque.xlsx": book.getvalue()[:300],
        "vide.xlsx": book.getvalue(),
        "liste.parquet": buffer.getvalue(),
        "tronque.parquet": buffer.getvalue()[:40],
    }
    files = []
    for name, payload in payloads.items():
        (tmp_path / name).write_bytes(payload)
        files.append(str(tmp_path / name))
    db = tmp_path / "w.duckdb"
    shutil.copyfile(small_warehouse, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = cli("ingest", *files, db=db)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("Fichier refusé") == len(payloads)
    assert "Traceback" not in result.stdout + result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
