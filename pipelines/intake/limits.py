"""Bornes d'un fichier reçu et contrôles de ses cellules : chaque dépassement est refusé avant que la mémoire ne cède,
avec la ligne, la colonne, la valeur et le réglage `MES_*` qui le fixe."""

from __future__ import annotations

import mmap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipelines.intake.problems import Problem, RefusedFile

if TYPE_CHECKING:
    from pipelines.settings import Settings

# Caractères de contrôle refusés dans une cellule ; la tabulation et les fins de ligne (cellule entre guillemets)
# restent admises.
CONTROL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
# Les mêmes, un à un : une recherche de caractères fixes va plus vite qu'une expression régulière.
_CONTROL_CHARACTERS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]
_ROW_COLUMN = "_ligne"
_CHUNK = 1 << 22


@dataclass(frozen=True)
class Limits:
    """Les bornes d'un fichier (réglages `MES_*` du même nom, voir `pipelines/settings.py`)."""

    fichier_max_mo: float = 4096.0
    xlsx_decompresse_max_mo: float = 512.0
    xlsx_cellules_max: int = 10_000_000
    colonnes_max: int = 1000
    champ_max_car: int = 256
    parquet_decompresse_max_mo: float = 4096.0

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.fichier_max_mo,
            settings.xlsx_decompresse_max_mo,
            settings.xlsx_cellules_max,
            settings.colonnes_max,
            settings.champ_max_car,
            settings.parquet_decompresse_max_mo,
        )

    @property
    def line_max_bytes(self) -> int:
        """Longueur au-delà de laquelle une ligne ne peut plus être un tableau admis : toutes ses cellules à leur
        longueur maximale, en UTF-8 (jusqu'à 4 octets par caractère) avec séparateurs et guillemets."""
        return self.colonnes_max * (self.champ_max_car * 4 + 3)


def integer_fr(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def refuse(
    name: str, reason: str, row: int | None = None, column: str | None = None, value: str | None = None
) -> RefusedFile:
    return RefusedFile(name, [Problem(name, row, column, value, reason)])


def shown(value: str, width: int = 40) -> str:
    """Une valeur montrée dans un message : caractères invisibles échappés, coupée à `width` caractères."""
    escaped = value.encode("unicode_escape").decode("ascii") if not value.isprintable() else value
    return escaped if len(escaped) <= width else escaped[:width] + "…"


def check_size(path: Path, name: str, limits: Limits) -> None:
    size = path.stat().st_size
    if size > limits.fichier_max_mo * 2**20:
        raise refuse(
            name,
            f"fichier trop volumineux ({integer_fr(size / 2**20)} Mo ; au plus "
            f"{integer_fr(limits.fichier_max_mo)} Mo, réglage MES_FICHIER_MAX_MO)",
        )


def check_width(name: str, width: int, limits: Limits, row: int = 1) -> None:
    if width > limits.colonnes_max:
        raise refuse(
            name,
            f"{integer_fr(width)} colonnes : au plus {integer_fr(limits.colonnes_max)} (réglage MES_COLONNES_MAX)",
            row,
        )


def line_of(path: Path, position: int) -> int:
    """Numéro de la ligne (physique, à partir de 1) qui contient l'octet `position`."""
    lines = 1
    with path.open("rb") as handle:
        remaining = position
        while remaining > 0 and (chunk := handle.read(min(_CHUNK, remaining))):
            lines += chunk.count(b"\n")
            remaining -= len(chunk)
    return lines


def first_overlong_line(path: Path, limit: int) -> int | None:
    """Position d'un bloc de `limit // 2` octets sans fin de ligne, s'il y en a un (sinon None).

    Une ligne d'au moins `limit` octets contient forcément un tel bloc aligné : chercher une fin de ligne dans chaque
    bloc s'arrête à la première trouvée, si bien qu'un fichier ordinaire n'est lu que d'une page par bloc."""
    block = max(limit // 2, 1)
    size = path.stat().st_size
    if size <= block:
        return None
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        for start in range(0, size - block + 1, block):
            if view.find(b"\n", start, start + block) < 0:
                return start
    return None


def check_line_lengths(path: Path, name: str, headers: list[str], separator: str, limits: Limits) -> None:
    """Refuse une ligne démesurée (une cellule de plusieurs Mo) avant toute lecture en tableau : la mémoire reste
    celle d'un bloc, quelle que soit la taille de la cellule."""
    position = first_overlong_line(path, limits.line_max_bytes)
    if position is None:
        return
    row = line_of(path, position)
    column: str | None = None
    with path.open("rb") as handle:
        # Début de la ligne : après la dernière fin de ligne qui précède le bloc.
        back = max(0, position - limits.line_max_bytes)
        handle.seek(back)
        before = handle.read(position - back)
        start = back + before.rfind(b"\n") + 1
        handle.seek(start)
        head = handle.read(limits.line_max_bytes).decode("utf-8", errors="replace")
    cells = head.split(separator)
    index = next((i for i, c in enumerate(cells) if len(c) > limits.champ_max_car), len(cells) - 1)
    if index < len(headers):
        column = headers[index]
    raise refuse(
        name,
        f"ligne démesurée (plus de {integer_fr(limits.line_max_bytes)} octets) : une cellule dépasse "
        f"{integer_fr(limits.champ_max_car)} caractères (réglage MES_CHAMP_MAX_CAR)",
        row,
        column,
        shown(cells[index] if index < len(cells) else head),
    )


def check_cells(
    name: str,
    frame: pl.DataFrame,
    headers: list[str],
    limits: Limits,
    textual: Callable[[str], bool] | None = None,
    cap: int = 50,
) -> None:
    """Refuse les cellules trop longues ou qui contiennent des caractères de contrôle (NUL compris), chacune avec sa
    ligne et sa colonne. Les colonnes en catégories ne sont examinées qu'une fois par valeur distincte.

    `textual(en-tête)` dit quelles colonnes chercher des caractères de contrôle : celles qui sont gardées comme
    texte. Un nombre n'en a pas besoin (sa lecture refuse tout caractère qui n'est pas un chiffre), ni une colonne
    ignorée ; sur un fichier national, cela évite une recherche par cellule de nombre."""
    examined: list[tuple[str, str, pl.Series, bool]] = []
    for column, header in zip([c for c in frame.columns if c != _ROW_COLUMN], headers, strict=False):
        values = frame.get_column(column)
        if values.dtype == pl.Categorical:
            values = values.unique().cast(pl.String)
        elif values.dtype != pl.String:
            continue
        examined.append((column, header, values, textual is None or textual(header)))
    # Un seul passage sur toutes les colonnes (en parallèle) ; le détail, pour les seules colonnes à signaler.
    flags = pl.select(
        pl.lit(False),
        *(
            (pl.lit(values).str.len_bytes() > limits.champ_max_car).any().alias(f"long_{index}")
            for index, (_, _, values, _) in enumerate(examined)
        ),
        *(
            pl.lit(values)
            .str.contains_any(_CONTROL_CHARACTERS)
            .any()
            .fill_null(False)
            .alias(f"controle_{index}")
            for index, (_, _, values, text_kept) in enumerate(examined)
            if text_kept
        ),
    ).row(0, named=True)
    problems: list[Problem] = []
    for index, (column, header, values, _) in enumerate(examined):
        too_long = bool(flags[f"long_{index}"]) and bool(
            (values.str.len_chars() > limits.champ_max_car).any()
        )
        control = bool(flags.get(f"controle_{index}", False))
        if not (too_long or control):
            continue
        text = pl.col(column).cast(pl.String)
        rules = []
        if too_long:
            rules.append(
                (
                    text.str.len_chars() > limits.champ_max_car,
                    f"cellule trop longue : au plus {integer_fr(limits.champ_max_car)} caractères "
                    "(réglage MES_CHAMP_MAX_CAR)",
                )
            )
        if control:
            rules.append(
                (
                    text.str.contains(CONTROL_PATTERN),
                    "caractère de contrôle (invisible, NUL compris) dans le texte : réenregistrez le fichier "
                    "sans ces caractères",
                )
            )
        for condition, reason in rules:
            found = frame.filter(condition.fill_null(False)).select(_ROW_COLUMN, text.alias("v")).head(cap)
            for row, value in found.iter_rows():
                problems.append(Problem(name, int(row), header, shown(str(value)), reason))
    if problems:
        problems.sort(key=lambda p: p.ligne or 0)
        raise RefusedFile(name, problems[:cap], len(problems))


def check_parquet_sizes(path: Path, name: str, limits: Limits) -> None:
    """Un Parquet se décompresse aussi : une valeur de plusieurs centaines de Mo tient en quelques Ko sur disque. Les
    tailles décompressées des groupes de lignes, lues dans les métadonnées, sont bornées avant toute lecture : au
    total, et par ligne (un groupe dont la ligne moyenne dépasse celle d'une ligne de CSV admise)."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    total = 0
    first_row = 2
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        size = sum(group.column(j).total_uncompressed_size for j in range(group.num_columns))
        total += size
        if group.num_rows and size / group.num_rows > limits.line_max_bytes:
            raise refuse(
                name,
                f"valeur démesurée : {integer_fr(size / group.num_rows)} octets par ligne une fois décompressé "
                f"(lignes {integer_fr(first_row)} à {integer_fr(first_row + group.num_rows - 1)}) ; une cellule "
                f"tient en {integer_fr(limits.champ_max_car)} caractères (réglage MES_CHAMP_MAX_CAR)",
                first_row,
            )
        first_row += group.num_rows
    if total > limits.parquet_decompresse_max_mo * 2**20:
        raise refuse(
            name,
            f"fichier Parquet trop volumineux une fois décompressé ({integer_fr(total / 2**20)} Mo ; au plus "
            f"{integer_fr(limits.parquet_decompresse_max_mo)} Mo, réglage MES_PARQUET_DECOMPRESSE_MAX_MO)",
        )
