"""Lecture des fichiers reçus (CSV, XLSX, Parquet) en une table de textes numérotée comme le tableur de l'émetteur.

Toutes les colonnes sont lues comme du texte : c'est la validation qui décide de ce qu'est un nombre ou un mois, et
qui peut ainsi dire quelle cellule pose problème.
"""

from __future__ import annotations

import codecs
import csv
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastexcel
import polars as pl

from pipelines.intake.extensions import (
    ACCEPTED_EXTENSIONS,
    CSV_EXTENSIONS,
    EXCEL_EXTENSIONS,
    PARQUET_EXTENSIONS,
)
from pipelines.intake.limits import (
    Limits,
    check_cells,
    check_line_lengths,
    check_parquet_sizes,
    check_size,
    check_width,
    integer_fr,
    line_of,
)
from pipelines.intake.parsing import normalise_label
from pipelines.intake.problems import Problem, RefusedFile
from pipelines.intake.workbook import SheetInfo, inspect_xlsx
from pipelines.warehouse.connection import process_alive

ROW_COLUMN = "_ligne"
_CHUNK = 1 << 22
# L'en-tête est cherché dans les premières lignes : titres, lignes vides et lignes `;;;` d'un export de tableur.
HEADER_SEARCH_ROWS = 30
# Préfixes des temporaires (transcodage, dépôt par l'application), suivis du numéro du processus : ceux d'un
# processus disparu sont effacés à la lecture suivante.
TRANSCODE_PREFIX = "mes-transcodage-"
UPLOAD_PREFIX = "mes-depot-"
# Vrai si une ligne de cellules est l'en-tête d'une source connue (fourni par l'import, qui connaît les sources).
HeaderTest = Callable[[list[str]], bool]


@dataclass
class RawTable:
    """Un fichier lu : colonnes texte sous leurs en-têtes d'origine, plus `_ligne` (numéro de ligne du tableur)."""

    name: str
    frame: pl.DataFrame
    headers: list[str]
    notes: list[str] = field(default_factory=list)
    header_row: int = 1  # numéro de la ligne d'en-tête dans le tableur


def _refuse(
    name: str, reason: str, row: int | None = None, column: str | None = None, value: str | None = None
) -> RefusedFile:
    return RefusedFile(name, [Problem(name, row, column, value, reason)])


def read_table(
    path: Path,
    display_name: str | None = None,
    sheet: str | None = None,
    limits: Limits | None = None,
    is_header: HeaderTest | None = None,
    textual: Callable[[str], bool] | None = None,
) -> RawTable:
    """Lit `path` selon son extension ; `display_name` est le nom montré dans les messages (dépôt web).

    `is_header` reconnaît la ligne d'en-tête parmi les premières (sinon : la première ligne d'au moins deux
    cellules) ; `limits` borne le fichier (taille, colonnes, longueur des cellules, classeur décompressé)."""
    limits = limits or Limits()
    name = display_name or path.name
    suffix = _check_file(path, name, limits, ACCEPTED_EXTENSIONS)
    if suffix in EXCEL_EXTENSIONS:
        table = _read_excel(path, name, sheet, limits, is_header)
    elif suffix in PARQUET_EXTENSIONS:
        table = _read_parquet(path, name, limits)
    else:
        table = _read_csv(path, name, limits, is_header)
    return _finish(table, limits, header_row=table.header_row, textual=textual)


def _check_file(path: Path, name: str, limits: Limits, accepted: frozenset[str]) -> str:
    """Extension admise, fichier présent, ni vide ni trop gros ; rend l'extension."""
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if suffix not in accepted:
        listed = ", ".join(sorted(ACCEPTED_EXTENSIONS))
        raise _refuse(
            name, f"extension « {suffix or '(aucune)'} » non prise en charge (acceptées : {listed})"
        )
    if path.is_dir():
        raise _refuse(name, "c'est un dossier, pas un fichier")
    if not path.exists():
        raise _refuse(name, "fichier introuvable")
    if path.stat().st_size == 0:
        raise _refuse(name, "fichier vide")
    check_size(path, name, limits)
    return suffix


def _finish(
    table: RawTable,
    limits: Limits,
    allow_empty: bool = False,
    header_row: int = 1,
    textual: Callable[[str], bool] | None = None,
) -> RawTable:
    headers = [h.replace("\ufeff", "").strip() for h in table.headers]
    frame = table.frame
    # Colonnes sans en-tête : vides (séparateurs en fin de ligne d'un export de tableur), elles sont retirées ;
    # remplies, elles sont signalées comme colonnes ignorées, sous un nom qui dit leur place.
    keep: list[int] = []
    for index, header in enumerate(headers):
        column = frame.columns[index]
        if header or not _column_is_blank(frame, column):
            keep.append(index)
    if len(keep) < len(headers):
        frame = frame.select([*(frame.columns[i] for i in keep), ROW_COLUMN])
        headers = [headers[i] for i in keep]
    headers = [h or f"(colonne {keep[i] + 1} sans en-tête)" for i, h in enumerate(headers)]
    _refuse_duplicate_headers(table.name, headers, header_row)
    check_cells(table.name, frame, headers, limits, textual)
    frame = frame.rename(dict(zip(frame.columns[:-1], headers, strict=True)))
    data_columns = [c for c in frame.columns if c != ROW_COLUMN]
    if not data_columns:
        raise _refuse(table.name, "aucune colonne : le fichier n'est pas un tableau", header_row)
    frame = _drop_blank_rows(frame, data_columns)
    if frame.height == 0 and not allow_empty:
        raise _refuse(table.name, "aucune ligne de données sous l'en-tête", header_row + 1)
    return RawTable(table.name, frame, headers, table.notes, header_row)


def _column_is_blank(frame: pl.DataFrame, column: str) -> bool:
    return bool(frame.select(_blank(column).all()).item())


def _refuse_duplicate_headers(name: str, headers: list[str], header_row: int) -> None:
    """Deux colonnes du même nom (à la casse et aux accents près) : laquelle croire ? Le fichier est refusé."""
    seen: dict[str, int] = {}
    problems = []
    for index, header in enumerate(headers):
        key = normalise_label(header)
        if key in seen:
            first = seen[key]
            problems.append(
                Problem(
                    name,
                    header_row,
                    header,
                    None,
                    f"en-tête en double : les colonnes {first + 1} « {headers[first]} » et {index + 1} « {header} » "
                    "portent le même nom ; gardez-en une",
                )
            )
        else:
            seen[key] = index
    if problems:
        raise RefusedFile(name, problems)


# --- Gros fichiers : lecture par tranches ---------------------------------------------------------------------


def read_batches(
    path: Path,
    display_name: str | None = None,
    batch_rows: int = 1_000_000,
    categorical: Callable[[str], bool] | None = None,
    assume_utf8: bool = False,
    limits: Limits | None = None,
    is_header: HeaderTest | None = None,
    textual: Callable[[str], bool] | None = None,
) -> Iterator[RawTable]:
    """Lit un CSV ou un Parquet par tranches de `batch_rows` lignes, numérotées comme le fichier entier : la mémoire
    tient à la taille d'une tranche, pas du fichier. Mêmes refus que `read_table` ; un classeur Excel n'est pas
    découpé (il tient dans la limite d'Excel).

    Les colonnes d'un CSV dont l'en-tête satisfait `categorical` (des codes, répétés de ligne en ligne) sont lues
    directement en catégories, propres à chaque colonne et communes à toutes ses tranches : le texte exact de chaque
    cellule est gardé, et la validation travaille sur les codes entiers sans reconvertir chaque ligne.

    `assume_utf8` : l'encodage d'un CSV est jugé sur son début ; si de l'UTF-8 invalide apparaît plus loin, `NotUtf8`
    est levée et l'appelant relit le fichier sans cette hypothèse (il sera transcodé)."""
    limits = limits or Limits()
    name = display_name or path.name
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if suffix not in CSV_EXTENSIONS | PARQUET_EXTENSIONS:
        yield read_table(path, display_name, limits=limits, is_header=is_header, textual=textual)
        return
    _check_file(path, name, limits, CSV_EXTENSIONS | PARQUET_EXTENSIONS)
    headers: list[str] | None = None
    notes: list[str] = []
    cleanup: Path | None = None
    header_row = 1
    if suffix in PARQUET_EXTENSIONS:
        batches = _scan_parquet(path, name, limits)
    else:
        batches, headers, notes, cleanup, header_row = _scan_csv(
            path, name, categorical, assume_utf8, limits, is_header
        )
    rows = 0
    try:
        for batch in _collect(batches, name, batch_rows, utf8_assumed=assume_utf8 and headers is not None):
            table = (
                _parquet_strings(batch, name)
                if headers is None
                else _csv_strings(batch, name, headers, notes)
            )
            table = _finish(table, limits, allow_empty=True, header_row=header_row, textual=textual)
            rows += table.frame.height
            yield table
    finally:
        if cleanup is not None:
            cleanup.unlink(missing_ok=True)
    if rows == 0:
        raise _refuse(name, "aucune ligne de données sous l'en-tête", header_row + 1)


def _collect(
    frame: pl.LazyFrame, name: str, batch_rows: int, utf8_assumed: bool = False
) -> Iterator[pl.DataFrame]:
    try:
        yield from frame.collect_batches(chunk_size=batch_rows)
    except pl.exceptions.PolarsError as exc:
        if utf8_assumed and "invalid utf-8" in str(exc).lower():
            raise NotUtf8(name) from None
        raise _refuse(name, f"fichier mal formé : {_first_line_of(exc)}") from None


def _csv_options(separator: str, header_row: int) -> dict[str, Any]:
    """Les options de lecture d'un CSV, les mêmes en entier et par tranches : un fichier se lit pareil quelle que
    soit sa taille. Tout en texte (les valeurs se lisent ensuite à la française), l'en-tête déjà lu."""
    return {
        "separator": separator,
        "infer_schema": False,
        "has_header": False,
        "skip_lines": header_row,
        "quote_char": '"',
        "raise_if_empty": False,
    }


def _scan_csv(
    path: Path,
    name: str,
    categorical: Callable[[str], bool] | None = None,
    assume_utf8: bool = False,
    limits: Limits | None = None,
    is_header: HeaderTest | None = None,
) -> tuple[pl.LazyFrame, list[str], list[str], Path | None, int]:
    limits = limits or Limits()
    source, separator, headers, header_row, notes = _csv_preamble(
        path, name, limits, is_header, whole_file=not assume_utf8
    )

    def scan(overrides: dict[str, pl.DataType] | None = None) -> pl.LazyFrame:
        return pl.scan_csv(source, **_csv_options(separator, header_row), schema_overrides=overrides)

    try:
        columns = scan().collect_schema().names()
    except pl.exceptions.PolarsError as exc:
        _cleanup(source, path)
        raise _refuse(name, f"CSV mal formé : {_first_line_of(exc)}") from None
    width = len(columns)
    if width != len(headers):
        _cleanup(source, path)
        raise _refuse(
            name,
            f"le fichier ne ressemble pas à un tableau : {width} colonne(s) de données pour {len(headers)} en-tête(s)",
            header_row + 1,
        )
    overrides: dict[str, pl.DataType] = {
        column: pl.Categorical(pl.Categories.random())
        for column, header in zip(columns, headers, strict=True)
        if categorical is not None and categorical(header)
    }
    batches = scan(overrides or None).with_row_index(ROW_COLUMN, offset=header_row + 1)
    return batches, headers, notes, (source if source != path else None), header_row


def _csv_strings(batch: pl.DataFrame, name: str, headers: list[str], notes: list[str]) -> RawTable:
    data = batch.drop(ROW_COLUMN)
    data.columns = [f"c{i}" for i in range(data.width)]
    frame = data.with_columns(batch.get_column(ROW_COLUMN).cast(pl.Int64).alias(ROW_COLUMN))
    return RawTable(name, frame, list(headers), list(notes))


def _scan_parquet(path: Path, name: str, limits: Limits) -> pl.LazyFrame:
    try:
        frame = pl.scan_parquet(path)
        schema = frame.collect_schema()
    except Exception as exc:  # fichier corrompu : erreurs de types variés
        raise _refuse(name, f"fichier Parquet illisible : {_first_line_of(exc)}") from None
    _check_parquet(path, name, schema, limits)
    return frame.with_row_index(ROW_COLUMN, offset=2)


def _check_parquet(path: Path, name: str, schema: pl.Schema, limits: Limits) -> None:
    """Une cellule porte une seule valeur : une colonne de listes ou de structures est refusée, en la nommant ; la
    taille décompressée est bornée avant la lecture."""
    check_width(name, len(schema), limits)
    for column, dtype in schema.items():
        if dtype.is_nested() or dtype == pl.Object:
            raise _refuse(
                name,
                f"colonne de type « {dtype} » : une cellule doit porter une seule valeur (nombre, texte ou date), "
                "pas une liste ni une structure",
                1,
                column,
            )
    try:
        check_parquet_sizes(path, name, limits)
    except RefusedFile:
        raise
    except Exception as exc:  # métadonnées illisibles : fichier abîmé
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
    """UTF-8 (avec ou sans BOM) si tout le fichier est de l'UTF-8 valide, sinon Windows-1252 (vérifié au
    transcodage, qui refuse un octet qu'il ne connaît pas).

    `whole_file=False` : le début seulement (lecture par tranches, où Polars refuse de lui-même l'UTF-8 invalide plus
    loin, voir `NotUtf8`) ; un gros fichier n'est pas lu une fois de plus avant d'être lu."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        head = handle.read(8192)
        # Un vrai fichier binaire (classeur renommé, image) est truffé d'octets nuls ; un NUL isolé dans un texte est
        # une cellule abîmée, signalée à sa ligne et sa colonne par le contrôle des cellules.
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ValueError("utf-16")
        if (nuls := head.count(b"\x00")) >= 2 and nuls * 100 >= len(head):
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


def _transcode(path: Path, name: str) -> Path:
    """Windows-1252 → UTF-8, en flux, dans un temporaire (Polars ne lit que l'UTF-8). Un octet que Windows-1252 ne
    définit pas (0x81, 0x8D, 0x8F, 0x90, 0x9D : CP850, MacRoman…) refuse le fichier, sans laisser de temporaire."""
    sweep_transcodes()
    decoder = codecs.getincrementaldecoder("cp1252")()
    handle, target = tempfile.mkstemp(prefix=f"{TRANSCODE_PREFIX}{os.getpid()}-", suffix=".csv")
    offset = 0
    try:
        with path.open("rb") as src, os.fdopen(handle, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(_CHUNK):
                try:
                    dst.write(decoder.decode(chunk))
                except UnicodeDecodeError as exc:
                    position = offset + exc.start
                    byte = chunk[exc.start]
                    raise _refuse(
                        name,
                        f"encodage non reconnu (ni UTF-8 ni Windows-1252) : octet 0x{byte:02X} à la position "
                        f"{integer_fr(position)} ; réenregistrez le fichier en UTF-8",
                        line_of(path, position),
                    ) from None
                offset += len(chunk)
    except BaseException:
        Path(target).unlink(missing_ok=True)
        raise
    return Path(target)


def sweep_transcodes() -> None:
    """Efface les temporaires (transcodages, dépôts) laissés par un processus disparu (tué pendant une lecture)."""
    for prefix in (TRANSCODE_PREFIX, UPLOAD_PREFIX):
        for orphan in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
            pid = orphan.name.removeprefix(prefix).split("-", 1)[0]
            if pid.isdigit() and not process_alive(int(pid)):
                if orphan.is_dir():
                    shutil.rmtree(orphan, ignore_errors=True)
                else:
                    orphan.unlink(missing_ok=True)


def _detect_separator(first_line: str) -> str | None:
    counts = {}
    for sep in (";", ",", "\t", "|"):
        row = next(csv.reader([first_line], delimiter=sep))
        counts[sep] = len(row) - 1
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else None


def _cells(line: str, separator: str) -> list[str]:
    return next(csv.reader([line], delimiter=separator), [])


def _find_header(lines: list[str], is_header: HeaderTest | None) -> tuple[int, str, list[str]] | None:
    """(indice de la ligne d'en-tête, séparateur, cellules) parmi les premières lignes : la première que reconnaît
    `is_header`, sinon la première d'au moins deux cellules remplies (un titre n'en a qu'une, `;;;` aucune), sinon la
    première qui a un séparateur."""
    filled, separated = [], []
    for index, line in enumerate(lines):
        separator = _detect_separator(line)
        if separator is None:
            continue
        cells = [c.strip() for c in _cells(line, separator)]
        if is_header is not None and is_header(cells):
            return index, separator, cells
        separated.append((index, separator, cells))
        if sum(1 for c in cells if c) >= 2:
            filled.append((index, separator, cells))
    chosen = filled or separated
    return chosen[0] if chosen else None


def _first_lines(source: Path, limits: Limits) -> tuple[list[str], int | None]:
    """Les premières lignes, chacune bornée, et le numéro de la première ligne démesurée s'il y en a une (la lecture
    s'y arrête) : un en-tête démesuré (des millions de colonnes, un Go sans fin de ligne) n'est jamais lu en entier."""
    lines: list[str] = []
    with open(source, encoding="utf-8-sig", newline="") as handle:
        for number in range(1, HEADER_SEARCH_ROWS + 1):
            line = handle.readline(limits.line_max_bytes + 1)
            if not line:
                break
            if len(line) > limits.line_max_bytes and not line.endswith("\n"):
                return lines, number
            lines.append(line.rstrip("\r\n"))
    return lines, None


def _csv_preamble(
    path: Path, name: str, limits: Limits, is_header: HeaderTest | None, whole_file: bool = True
) -> tuple[Path, str, list[str], int, list[str]]:
    """Encodage (transcodé en UTF-8 dans un temporaire si besoin), séparateur, en-têtes et numéro de la ligne
    d'en-tête (à partir de 1) d'un CSV. Le temporaire est effacé si le fichier est refusé ici."""
    try:
        encoding = _detect_encoding(path, whole_file)
    except ValueError as exc:
        if str(exc) == "utf-16":
            raise _refuse(
                name,
                "encodage non reconnu (UTF-16, « Unicode » d'Excel) : réenregistrez le fichier en CSV UTF-8",
                1,
            ) from None
        raise _refuse(
            name, "fichier binaire : ce n'est pas un CSV (un classeur Excel doit garder l'extension .xlsx)"
        ) from None
    notes = []
    source: Path = path
    if encoding == "cp1252":
        notes.append("encodage Windows-1252 détecté et converti")
        source = _transcode(path, name)
    try:
        lines, overlong = _first_lines(source, limits)
        found = _find_header(lines, is_header)
        if found is None and overlong is not None:
            raise _refuse(
                name,
                f"ligne démesurée (plus de {integer_fr(limits.line_max_bytes)} caractères sans fin de ligne) : "
                f"au plus {integer_fr(limits.colonnes_max)} colonnes (MES_COLONNES_MAX) de "
                f"{integer_fr(limits.champ_max_car)} caractères (MES_CHAMP_MAX_CAR)",
                overlong,
            )
        if found is None:
            raise _refuse(
                name,
                "une seule colonne trouvée : séparateur non reconnu (attendus : « ; », « , » ou tabulation)",
                1,
            )
        index, separator, headers = found
        check_width(name, len(headers), limits, index + 1)
        if index:
            notes.append(
                f"en-tête lu à la ligne {index + 1} ({index} ligne(s) de titre ou vide(s) au-dessus ignorée(s))"
            )
        check_line_lengths(source, name, headers, separator, limits)
    except BaseException:
        _cleanup(source, path)
        raise
    return source, separator, headers, index + 1, notes


def _read_csv(path: Path, name: str, limits: Limits, is_header: HeaderTest | None) -> RawTable:
    source, separator, headers, header_row, notes = _csv_preamble(path, name, limits, is_header)
    try:
        frame = pl.read_csv(source, **_csv_options(separator, header_row))
    except pl.exceptions.PolarsError as exc:
        raise _refuse(name, f"CSV mal formé : {_first_line_of(exc)}") from None
    finally:
        _cleanup(source, path)
    if frame.width != len(headers):
        if frame.height == 0:
            frame = pl.DataFrame({f"c{i}": pl.Series([], dtype=pl.String) for i in range(len(headers))})
        else:
            raise _refuse(
                name,
                f"le fichier ne ressemble pas à un tableau : {frame.width} colonne(s) de données pour "
                f"{len(headers)} en-tête(s)",
                header_row + 1,
            )
    frame.columns = [f"c{i}" for i in range(frame.width)]
    first = header_row + 1
    frame = frame.with_columns(pl.int_range(first, frame.height + first, dtype=pl.Int64).alias(ROW_COLUMN))
    return RawTable(name, frame, headers, notes, header_row)


def _cleanup(source: Path, original: Path) -> None:
    if source != original:
        source.unlink(missing_ok=True)


def _first_line_of(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


# --- Excel ----------------------------------------------------------------------------------------------------


def _open_workbook(
    path: Path, name: str, limits: Limits
) -> tuple[fastexcel.ExcelReader, list[str], list[str], dict[str, SheetInfo]]:
    """Le classeur ouvert, ses feuilles, celles qui sont remplies et leur description (bornes de taille vérifiées
    d'abord)."""
    infos = inspect_xlsx(path, name, limits)
    try:
        workbook = fastexcel.read_excel(str(path))
        sheets = list(workbook.sheet_names)
    except Exception as exc:  # fastexcel lève des erreurs de types variés selon la corruption
        raise _refuse(name, f"classeur Excel illisible : {_first_line_of(exc)}") from None
    return workbook, sheets, [s for s in sheets if s not in infos or infos[s].cells > 0], infos


def filled_sheets(path: Path, name: str, limits: Limits | None = None) -> list[str]:
    """Les feuilles remplies d'un classeur Excel, dans leur ordre : de quoi proposer le choix d'une feuille avant la
    vérification (page Données). Un classeur illisible ou trop gros est refusé (`RefusedFile`)."""
    return _open_workbook(path, name, limits or Limits())[2]


def _read_excel(
    path: Path, name: str, sheet: str | None, limits: Limits, is_header: HeaderTest | None
) -> RawTable:
    workbook, sheets, filled, infos = _open_workbook(path, name, limits)
    if sheet is not None and sheet not in sheets:
        raise _refuse(name, f"feuille « {sheet} » absente (feuilles : {', '.join(sheets)})")
    if sheet is None:
        # Une feuille par import : deviner laquelle garder perdrait les autres sans un mot.
        if len(filled) > 1:
            raise _refuse(
                name,
                f"classeur à plusieurs feuilles remplies ({', '.join(f'« {s} »' for s in filled)}) : choisissez "
                "celle à importer avec --sheet NOM (une feuille par import)",
            )
        chosen = filled[0] if filled else sheets[0]
    else:
        chosen = sheet
    try:
        loaded = workbook.load_sheet(chosen, header_row=None, dtypes="string", skip_rows=0)
        check_width(name, loaded.width, limits)
        frame = loaded.to_polars()
    except RefusedFile:
        raise
    except Exception as exc:
        raise _refuse(name, f"feuille « {chosen} » illisible : {_first_line_of(exc)}") from None
    if frame.width == 0 or frame.height == 0:
        raise _refuse(name, f"feuille « {chosen} » vide")
    frame = frame.select(pl.all().cast(pl.String))
    frame.columns = [f"c{i}" for i in range(frame.width)]
    frame = frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW_COLUMN))
    notes = [f"feuille « {chosen} »"]
    head = frame.head(HEADER_SEARCH_ROWS)
    lines = [[("" if v is None else str(v)).strip() for v in row[:-1]] for row in head.iter_rows()]
    header_index = next(
        (i for i, cells in enumerate(lines) if is_header is not None and is_header(cells)), None
    )
    if header_index is None:
        header_index = next((i for i, cells in enumerate(lines) if sum(1 for c in cells if c) >= 2), None)
    if header_index is None:
        header_index = next((i for i, cells in enumerate(lines) if any(cells)), None)
    if header_index is None:
        raise _refuse(name, f"feuille « {chosen} » vide")
    header_row = int(head[ROW_COLUMN][header_index])
    if header_row > 1:
        notes.append(f"en-tête lu à la ligne {header_row} (titre ou lignes vides au-dessus ignorés)")
    info = infos.get(chosen)
    if info is not None and info.merges:
        frame, filled_ranges = _fill_merges(frame, info, header_row)
        if filled_ranges:
            notes.append(
                f"{filled_ranges} plage(s) de cellules fusionnées : la valeur de la première cellule est "
                "recopiée dans chacune"
            )
    header_cells = frame.filter(pl.col(ROW_COLUMN) == header_row).row(0)[:-1]
    headers = ["" if v is None else str(v) for v in header_cells]
    frame = frame.filter(pl.col(ROW_COLUMN) > header_row)
    return RawTable(name, frame, headers, notes, header_row)


def _fill_merges(frame: pl.DataFrame, info: SheetInfo, header_row: int) -> tuple[pl.DataFrame, int]:
    """Recopie la valeur d'une plage fusionnée dans toutes ses cellules, sauf au-dessus de l'en-tête (titres) : une
    région fusionnée sur trois lignes vaut pour les trois. Une fusion dans l'en-tête donne deux colonnes du même nom,
    refusées ensuite comme en-tête en double."""
    offset = info.first_column or 1
    columns = frame.columns[:-1]
    filled = 0
    for row1, col1, row2, col2 in info.merges:
        if row2 < header_row:
            continue
        first = col1 - offset
        last = min(col2 - offset, len(columns) - 1)
        if first < 0 or first >= len(columns) or row1 > frame.height:
            continue
        value = frame[row1 - 1, columns[first]]
        in_range = pl.col(ROW_COLUMN).is_between(row1, row2)
        frame = frame.with_columns(
            [
                pl.when(in_range).then(pl.lit(value, dtype=pl.String)).otherwise(pl.col(c)).alias(c)
                for c in columns[first : last + 1]
            ]
        )
        filled += 1
    return frame, filled


# --- Parquet --------------------------------------------------------------------------------------------------


def _read_parquet(path: Path, name: str, limits: Limits) -> RawTable:
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # pyarrow/polars : erreurs de types variés pour un fichier corrompu
        raise _refuse(name, f"fichier Parquet illisible : {_first_line_of(exc)}") from None
    _check_parquet(path, name, pl.Schema(schema), limits)
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
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
    try:
        text = frame.select(
            [
                (
                    pl.col(c).dt.strftime("%Y-%m-%d")
                    if frame.schema[c] in (pl.Date, pl.Datetime)
                    else pl.col(c)
                )
                .cast(pl.String)
                .alias(f"c{i}")
                for i, c in enumerate(headers)
            ]
        )
    except pl.exceptions.PolarsError as exc:
        raise _refuse(name, f"colonne d'un type non pris en charge : {_first_line_of(exc)}", 1) from None
    return RawTable(name, text, headers, [])
