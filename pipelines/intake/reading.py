"""Lecture des fichiers reçus (CSV, XLSX, Parquet) en une table de textes numérotée comme le tableur de l'émetteur.

Toutes les colonnes sont lues comme du texte : c'est la validation qui décide de ce qu'est un nombre ou un mois, et
qui peut ainsi dire quelle cellule pose problème.
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from pipelines.intake.problems import Problem, RefusedFile

CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
ACCEPTED_EXTENSIONS = CSV_EXTENSIONS | EXCEL_EXTENSIONS | PARQUET_EXTENSIONS
ROW_COLUMN = "_ligne"
_CHUNK = 1 << 22


@dataclass
class RawTable:
    """Un fichier lu : colonnes texte sous leurs en-têtes d'origine, plus `_ligne` (numéro de ligne du tableur)."""

    name: str
    frame: pl.DataFrame
    headers: list[str]
    notes: list[str] = field(default_factory=list)


def _refuse(
    name: str, reason: str, row: int | None = None, column: str | None = None, value: str | None = None
) -> RefusedFile:
    return RefusedFile(name, [Problem(name, row, column, value, reason)])


def read_table(path: Path, display_name: str | None = None, sheet: str | None = None) -> RawTable:
    """Lit `path` selon son extension ; `display_name` est le nom montré dans les messages (dépôt web)."""
    name = display_name or path.name
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if suffix not in ACCEPTED_EXTENSIONS:
        accepted = ", ".join(sorted(ACCEPTED_EXTENSIONS))
        raise _refuse(
            name, f"extension « {suffix or '(aucune)'} » non prise en charge (acceptées : {accepted})"
        )
    if not path.exists():
        raise _refuse(name, "fichier introuvable")
    if path.stat().st_size == 0:
        raise _refuse(name, "fichier vide")
    if suffix in EXCEL_EXTENSIONS:
        table = _read_excel(path, name, sheet)
    elif suffix in PARQUET_EXTENSIONS:
        table = _read_parquet(path, name)
    else:
        table = _read_csv(path, name)
    return _finish(table)


def _finish(table: RawTable, allow_empty: bool = False) -> RawTable:
    headers = [h.replace("\ufeff", "").strip() for h in table.headers]
    frame = table.frame.rename(dict(zip(table.frame.columns[:-1], headers, strict=True)))
    data_columns = [c for c in frame.columns if c != ROW_COLUMN]
    if not data_columns:
        raise _refuse(table.name, "aucune colonne : le fichier n'est pas un tableau", 1)
    frame = _drop_blank_rows(frame, data_columns)
    if frame.height == 0 and not allow_empty:
        raise _refuse(table.name, "aucune ligne de données sous l'en-tête", 2)
    return RawTable(table.name, frame, headers, table.notes)


# --- Gros fichiers : lecture par tranches ---------------------------------------------------------------------


def read_batches(
    path: Path,
    display_name: str | None = None,
    batch_rows: int = 1_000_000,
    categorical: Callable[[str], bool] | None = None,
    assume_utf8: bool = False,
) -> Iterator[RawTable]:
    """Lit un CSV ou un Parquet par tranches de `batch_rows` lignes, numérotées comme le fichier entier : la mémoire
    tient à la taille d'une tranche, pas du fichier. Mêmes refus que `read_table` ; un classeur Excel n'est pas
    découpé (il tient dans la limite d'Excel).

    Les colonnes d'un CSV dont l'en-tête satisfait `categorical` (des codes, répétés de ligne en ligne) sont lues
    directement en catégories, propres à chaque colonne et communes à toutes ses tranches : le texte exact de chaque
    cellule est gardé, et la validation travaille sur les codes entiers sans reconvertir chaque ligne.

    `assume_utf8` : l'encodage d'un CSV est jugé sur son début ; si de l'UTF-8 invalide apparaît plus loin, `NotUtf8`
    est levée et l'appelant relit le fichier sans cette hypothèse (il sera transcodé)."""
    name = display_name or path.name
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if suffix not in CSV_EXTENSIONS | PARQUET_EXTENSIONS:
        yield read_table(path, display_name)
        return
    if not path.exists():
        raise _refuse(name, "fichier introuvable")
    if path.stat().st_size == 0:
        raise _refuse(name, "fichier vide")
    headers: list[str] | None = None
    notes: list[str] = []
    cleanup: Path | None = None
    if suffix in PARQUET_EXTENSIONS:
        batches = _scan_parquet(path, name)
    else:
        batches, headers, notes, cleanup = _scan_csv(path, name, categorical, assume_utf8)
    rows = 0
    try:
        for batch in _collect(batches, name, batch_rows, utf8_assumed=assume_utf8 and headers is not None):
            table = (
                _parquet_strings(batch, name)
                if headers is None
                else _csv_strings(batch, name, headers, notes)
            )
            table = _finish(table, allow_empty=True)
            rows += table.frame.height
            yield table
    finally:
        if cleanup is not None:
            cleanup.unlink(missing_ok=True)
    if rows == 0:
        raise _refuse(name, "aucune ligne de données sous l'en-tête", 2)


def _collect(
    frame: pl.LazyFrame, name: str, batch_rows: int, utf8_assumed: bool = False
) -> Iterator[pl.DataFrame]:
    try:
        yield from frame.collect_batches(chunk_size=batch_rows)
    except pl.exceptions.PolarsError as exc:
        if utf8_assumed and "invalid utf-8" in str(exc).lower():
            raise NotUtf8(name) from None
        raise _refuse(name, f"fichier mal formé : {_first_line_of(exc)}") from None


def _scan_csv(
    path: Path, name: str, categorical: Callable[[str], bool] | None = None, assume_utf8: bool = False
) -> tuple[pl.LazyFrame, list[str], list[str], Path | None]:
    source, separator, first_line, notes = _csv_preamble(path, name, whole_file=not assume_utf8)
    headers = next(csv.reader([first_line.lstrip("\ufeff")], delimiter=separator))

    def scan(overrides: dict[str, pl.DataType] | None = None) -> pl.LazyFrame:
        return pl.scan_csv(
            source, separator=separator, infer_schema=False, has_header=False, skip_rows=1, quote_char='"',
            raise_if_empty=False, schema_overrides=overrides,
        )  # fmt: skip

    columns = scan().collect_schema().names()
    width = len(columns)
    if width != len(headers):
        _cleanup(source, path)
        raise _refuse(
            name,
            f"le fichier ne ressemble pas à un tableau : {width} colonne(s) de données pour {len(headers)} en-tête(s)",
            2,
        )
    overrides: dict[str, pl.DataType] = {
        column: pl.Categorical(pl.Categories.random())
        for column, header in zip(columns, headers, strict=True)
        if categorical is not None and categorical(header)
    }
    batches = scan(overrides or None).with_row_index(ROW_COLUMN, offset=2)
    return batches, headers, notes, (source if source != path else None)


def _csv_strings(batch: pl.DataFrame, name: str, headers: list[str], notes: list[str]) -> RawTable:
    data = batch.drop(ROW_COLUMN)
    data.columns = [f"c{i}" for i in range(data.width)]
    frame = data.with_columns(batch.get_column(ROW_COLUMN).cast(pl.Int64).alias(ROW_COLUMN))
    return RawTable(name, frame, list(headers), list(notes))


def _scan_parquet(path: Path, name: str) -> pl.LazyFrame:
    try:
        return pl.scan_parquet(path).with_row_index(ROW_COLUMN, offset=2)
    except Exception as exc:  # fichier corrompu : erreurs de types variés
        raise _refuse(name, f"fichier Parquet illisible : {_first_line_of(exc)}") from None


def _parquet_strings(batch: pl.DataFrame, name: str) -> RawTable:
    rows = batch.get_column(ROW_COLUMN).cast(pl.Int64)
    table = _parquet_as_text(batch.drop(ROW_COLUMN), name, rows)
    return RawTable(name, table.frame.with_columns(rows.alias(ROW_COLUMN)), table.headers, [])


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).cast(pl.String).str.strip_chars() == "")


def _drop_blank_rows(frame: pl.DataFrame, data_columns: list[str]) -> pl.DataFrame:
    """Retire les lignes entièrement vides. Seules les lignes dont la première cellule est vide sont examinées en
    entier : sur un gros fichier sans ligne vide, une seule colonne est lue (et, en catégories, une fois par valeur
    distincte)."""
    first = data_columns[0]
    if isinstance(frame.schema[first], pl.Categorical):
        distinct = frame.select(pl.col(first).unique())
        blanks = distinct.filter(_blank(first)).get_column(first)
        candidates = frame.filter(
            pl.col(first).is_null() | pl.col(first).is_in(blanks.drop_nulls().implode())
        )
    else:
        candidates = frame.filter(_blank(first))
    if candidates.height == 0:
        return frame
    blank_rows = candidates.filter(pl.all_horizontal([_blank(c) for c in data_columns[1:]])).get_column(
        ROW_COLUMN
    )
    return frame.filter(~pl.col(ROW_COLUMN).is_in(blank_rows.implode())) if blank_rows.len() else frame


# --- CSV ------------------------------------------------------------------------------------------------------


class NotUtf8(Exception):
    """Un CSV supposé UTF-8 sur la foi de son début ne l'est pas plus loin : il faut le relire transcodé."""


def _detect_encoding(path: Path, whole_file: bool = True) -> str:
    """UTF-8 (avec ou sans BOM) si tout le fichier est de l'UTF-8 valide, sinon Windows-1252.

    `whole_file=False` : le début seulement (lecture par tranches, où Polars refuse de lui-même l'UTF-8 invalide plus
    loin, voir `NotUtf8`) ; un gros fichier n'est pas lu une fois de plus avant d'être lu."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        head = handle.read(8192)
        if b"\x00" in head:
            raise ValueError("binaire")
        handle.seek(0)
        try:
            while chunk := handle.read(_CHUNK if whole_file else len(head)):
                decoder.decode(chunk)
                if not whole_file:
                    break
            decoder.decode(b"", final=whole_file)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"


def _detect_separator(first_line: str) -> str | None:
    counts = {}
    for sep in (";", ",", "\t", "|"):
        row = next(csv.reader([first_line], delimiter=sep))
        counts[sep] = len(row) - 1
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else None


def _csv_preamble(path: Path, name: str, whole_file: bool = True) -> tuple[Path, str, str, list[str]]:
    """Encodage (transcodé en UTF-8 dans un temporaire si besoin), séparateur et ligne d'en-tête d'un CSV."""
    try:
        encoding = _detect_encoding(path, whole_file)
    except ValueError:
        raise _refuse(
            name, "fichier binaire : ce n'est pas un CSV (un classeur Excel doit garder l'extension .xlsx)"
        ) from None
    notes = []
    source: Path = path
    if encoding == "cp1252":
        # Polars ne lit que l'UTF-8 : on transcode une fois, en flux, dans un fichier temporaire.
        notes.append("encodage Windows-1252 détecté et converti")
        tmp = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)  # noqa: SIM115 - fermé plus bas
        with (
            path.open("r", encoding="cp1252", newline="") as src,
            open(tmp.name, "w", encoding="utf-8", newline="") as dst,
        ):
            while chunk := src.read(_CHUNK):
                dst.write(chunk)
        source = Path(tmp.name)
    with open(source, encoding="utf-8-sig", newline="") as handle:
        first_line = handle.readline().rstrip("\r\n")
    separator = _detect_separator(first_line)
    if separator is None:
        _cleanup(source, path)
        raise _refuse(
            name,
            "une seule colonne trouvée : séparateur non reconnu (attendus : « ; », « , » ou tabulation)",
            1,
        )
    return source, separator, first_line, notes


def _read_csv(path: Path, name: str) -> RawTable:
    source, separator, first_line, notes = _csv_preamble(path, name)
    try:
        frame = pl.read_csv(
            source,
            separator=separator,
            infer_schema=False,
            has_header=False,
            skip_rows=1,
            quote_char='"',
            raise_if_empty=False,
        )
    except pl.exceptions.ComputeError as exc:
        raise _refuse(name, f"CSV mal formé : {_first_line_of(exc)}") from None
    finally:
        _cleanup(source, path)
    headers = next(csv.reader([first_line.lstrip("\ufeff")], delimiter=separator))
    if frame.width != len(headers):
        if frame.height == 0:
            frame = pl.DataFrame({h: pl.Series([], dtype=pl.String) for h in headers})
        else:
            raise _refuse(
                name,
                f"le fichier ne ressemble pas à un tableau : {frame.width} colonne(s) de données pour {len(headers)} en-tête(s)",
                2,
            )
    frame.columns = [f"c{i}" for i in range(frame.width)]
    frame = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(ROW_COLUMN))
    return RawTable(name, frame, headers, notes)


def _cleanup(source: Path, original: Path) -> None:
    if source != original:
        source.unlink(missing_ok=True)


def _first_line_of(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


# --- Excel ----------------------------------------------------------------------------------------------------


def _read_excel(path: Path, name: str, sheet: str | None) -> RawTable:
    try:
        workbook = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel lève des erreurs de types variés selon la corruption
        raise _refuse(name, f"classeur Excel illisible : {_first_line_of(exc)}") from None
    sheets = workbook.sheet_names
    if sheet is not None and sheet not in sheets:
        raise _refuse(name, f"feuille « {sheet} » absente (feuilles : {', '.join(sheets)})")
    chosen = sheet if sheet is not None else sheets[0]
    frame = workbook.load_sheet(chosen, header_row=None, dtypes="string").to_polars()
    frame = frame.select(pl.all().cast(pl.String))
    frame.columns = [f"c{i}" for i in range(frame.width)]
    frame = frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW_COLUMN))
    # L'en-tête est la première ligne non vide (des lignes de titre vides au-dessus sont tolérées).
    non_empty = frame.filter(
        pl.any_horizontal(
            [pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in frame.columns[:-1]]
        )
    )
    if non_empty.height == 0:
        raise _refuse(name, f"feuille « {chosen} » vide")
    header_row = non_empty.row(0, named=True)
    keep = [c for c in frame.columns[:-1] if header_row[c] not in (None, "")]
    headers = [str(header_row[c]) for c in keep]
    frame = frame.filter(pl.col(ROW_COLUMN) > header_row[ROW_COLUMN]).select([*keep, ROW_COLUMN])
    notes = [f"feuille « {chosen} »"]
    return RawTable(name, frame, headers, notes)


# --- Parquet --------------------------------------------------------------------------------------------------


def _read_parquet(path: Path, name: str) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # pyarrow/polars : erreurs de types variés pour un fichier corrompu
        raise _refuse(name, f"fichier Parquet illisible : {_first_line_of(exc)}") from None
    table = _parquet_as_text(frame, name)
    frame = table.frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(ROW_COLUMN))
    return RawTable(name, frame, table.headers, [])


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parquet_as_text(frame: pl.DataFrame, name: str, rows: pl.Series | None = None) -> RawTable:
    """Colonnes typées d'un Parquet → textes (les dates au format ISO), comme une cellule de CSV. Une colonne binaire
    qui n'est pas du texte UTF-8 est refusée à sa première cellule illisible (`rows` : numéros de ligne du fichier)."""
    headers = list(frame.columns)
    for header in headers:
        if frame.schema[header] == pl.Binary:
            raw = frame.get_column(header)
            bad = [v for v in raw.unique().drop_nulls().to_list() if not _is_utf8(v)]  # une fois par valeur
            if bad:
                index = int(raw.is_in(pl.Series(bad, dtype=pl.Binary).implode()).arg_true()[0])
                row = int(rows[index]) if rows is not None else index + 2
                raise _refuse(
                    name,
                    "texte illisible : ce n'est pas de l'UTF-8 (réenregistrez le fichier en UTF-8)",
                    row,
                    header,
                    repr(raw[index])[2:-1],
                )
    text = frame.select(
        [
            (pl.col(c).dt.strftime("%Y-%m-%d") if frame.schema[c] in (pl.Date, pl.Datetime) else pl.col(c))
            .cast(pl.String)
            .alias(f"c{i}")
            for i, c in enumerate(headers)
        ]
    )
    return RawTable(name, text, headers, [])
