"""Examen d'un classeur Excel avant sa lecture : un .xlsx est une archive zip, dont les feuilles peuvent se
décompresser en gigaoctets (« bombe » de quelques Mo). L'archive est lue en flux, par blocs, sans rien garder : taille
décompressée et nombre de cellules sont comptés et bornés avant que la lecture en tableau ne réserve la mémoire.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.intake.limits import Limits, integer_fr, refuse

_BLOCK = 1 << 20
_SMALL_PART_MAX = 16 << 20  # workbook.xml, ses relations : quelques Ko dans un vrai classeur
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]+)\d+')
_SHEET = re.compile(rb"<sheet\b[^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
_ROW_NUMBER = re.compile(rb'<row\s+r="(\d+)"')
_CELL_COLUMN = re.compile(rb'<c\s+r="([A-Z]{1,3})')
_CELL_ROW = re.compile(rb'<c\s+r="[A-Z]{1,3}(\d+)"')
_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*>")


@dataclass
class SheetInfo:
    """Ce que l'archive dit d'une feuille : nombre de cellules, plages fusionnées, première colonne utilisée."""

    cells: int = 0
    merges: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # (ligne1, col1, ligne2, col2), base 1
    first_column: int | None = None  # colonne (base 1) de la première colonne lue, d'après `<dimension>`
    # Plage dépliée : la lecture réserve une case par cellule du rectangle qui va de A1 à la dernière ligne et la
    # dernière colonne remplies ; deux cellules éloignées (A1 et XFD1048576) suffisent à réclamer des Go.
    max_row: int = 0
    columns: set[bytes] = field(default_factory=set)
    unnumbered_rows: bool = False


def column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _attributes(tag: bytes) -> dict[str, str]:
    return {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTRIBUTE.findall(tag)}


def _small_part(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        with archive.open(name) as handle:
            data = handle.read(_SMALL_PART_MAX + 1)
    except KeyError:
        return b""
    return data[:_SMALL_PART_MAX]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Nom de feuille → chemin de sa partie XML dans l'archive."""
    relations = {
        attrs.get("Id", ""): attrs.get("Target", "")
        for attrs in map(
            _attributes, _RELATIONSHIP.findall(_small_part(archive, "xl/_rels/workbook.xml.rels"))
        )
    }
    parts: dict[str, str] = {}
    for attrs in map(_attributes, _SHEET.findall(_small_part(archive, "xl/workbook.xml"))):
        target = relations.get(attrs.get("r:id", ""), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts[attrs.get("name", "")] = path
    return parts


def inspect_xlsx(path: Path, name: str, limits: Limits) -> dict[str, SheetInfo]:
    """Compte, en flux, la taille décompressée de l'archive et les cellules de chaque feuille ; refuse au premier
    dépassement d'une borne. Rend, par nom de feuille, ce qu'il faut savoir pour la lire."""
    max_bytes = int(limits.xlsx_decompresse_max_mo * 2**20)

    def too_big(total: int) -> None:
        raise refuse(
            name,
            f"classeur trop volumineux une fois décompressé (plus de {integer_fr(total / 2**20)} Mo ; au plus "
            f"{integer_fr(limits.xlsx_decompresse_max_mo)} Mo, réglage MES_XLSX_DECOMPRESSE_MAX_MO)",
        )

    def too_many(cells: int) -> None:
        raise refuse(
            name,
            f"classeur de plus de {integer_fr(cells)} cellules : au plus {integer_fr(limits.xlsx_cellules_max)} "
            "(réglage MES_XLSX_CELLULES_MAX)",
        )

    def too_spread(spread: int) -> None:
        raise refuse(
            name,
            f"classeur dont la plage remplie, une fois dépliée, compte {integer_fr(spread)} cases (des cellules très "
            f"éloignées l'une de l'autre) : au plus {integer_fr(limits.xlsx_cellules_max)} (réglage "
            "MES_XLSX_CELLULES_MAX)",
        )

    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            declared = sum(e.file_size for e in entries)
            if declared > max_bytes:
                too_big(declared)
            parts = _sheet_parts(archive)
            by_part = {part: sheet for sheet, part in parts.items()}
            infos = {sheet: SheetInfo() for sheet in parts}
            total = 0
            cells = 0
            for entry in entries:
                sheet = by_part.get(entry.filename)
                info = infos[sheet] if sheet is not None else None
                carry = b""
                with archive.open(entry) as handle:
                    while block := handle.read(_BLOCK):
                        total += len(block)
                        if total > max_bytes:
                            too_big(total)
                        if info is None:
                            continue
                        window = carry + block
                        found = (
                            window.count(b"<c ")
                            + window.count(b"<c>")
                            - carry.count(b"<c ")
                            - carry.count(b"<c>")
                        )
                        info.cells += found
                        cells += found
                        if cells > limits.xlsx_cellules_max:
                            too_many(cells)
                        rows = _ROW_NUMBER.findall(window)
                        if rows:
                            info.max_row = max(info.max_row, *map(int, rows))
                        info.unnumbered_rows |= window.count(b"<row") > len(rows) + carry.count(b"<row")
                        if info.unnumbered_rows:
                            cell_rows = _CELL_ROW.findall(window)
                            if cell_rows:
                                info.max_row = max(info.max_row, *map(int, cell_rows))
                        info.columns.update(_CELL_COLUMN.findall(window))
                        spread = info.max_row * max(map(column_number, info.columns), default=0)
                        if spread > limits.xlsx_cellules_max:
                            too_spread(spread)
                        if info.first_column is None and (dimension := _DIMENSION.search(window)):
                            info.first_column = column_number(dimension.group(1))
                        for merge in _MERGE.finditer(window):
                            if merge.end() > len(carry):
                                c1, r1, c2, r2 = (
                                    merge.group(1),
                                    merge.group(2),
                                    merge.group(3),
                                    merge.group(4),
                                )
                                info.merges.append(
                                    (int(r1), column_number(c1), int(r2 or r1), column_number(c2 or c1))
                                )
                        carry = block[-256:]
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as exc:
        raise refuse(name, f"classeur Excel illisible (archive abîmée : {str(exc)[:200]})") from None
    except RuntimeError as exc:  # archive chiffrée
        raise refuse(
            name, f"classeur Excel illisible (protégé par mot de passe ? {str(exc)[:200]})"
        ) from None
    return infos
