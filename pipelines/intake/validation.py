"""Outils communs aux sources : reconnaître les en-têtes, lire chaque colonne typée, repérer les clés en conflit.

Chaque source (flux, sons, sunes, population, cibles) décrit ses colonnes avec `Column` ; ce module en tire les
valeurs typées et une table des problèmes (ligne, colonne, valeur, motif), sans jamais s'arrêter au premier.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from pipelines.intake.parsing import (
    COUNT_MAX,
    ParseError,
    amount_problem,
    amount_value,
    decimal_problem,
    decimal_value,
    implausible,
    integer_problem,
    integer_value,
    is_blank,
    normalise_label,
    parse_date_text,
    parse_distinct,
    parse_month_text,
)
from pipelines.intake.problems import PROBLEM_SCHEMA, empty_problems
from pipelines.intake.reading import ROW_COLUMN, RawTable
from pipelines.warehouse.reference import NIVEAUX, Reference

Kind = Literal[
    "month",
    "date",
    "integer",
    "decimal",
    "euros",
    "text",
    "year",
    "couloir",
    "dispositif",
    "domaine",
    "region",
    "departement",
    "finess",
    "niveau",
]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = True
    aliases: tuple[str, ...] = ()
    future_allowed: bool = False  # une échéance peut être future ; une observation, jamais

    def matches(self, header: str) -> bool:
        normalised = normalise_label(header)
        return normalised == self.name or normalised in self.aliases


@dataclass
class ParsedCategories:
    """Lecture des catégories d'une colonne, dans l'ordre de leurs identifiants (denses : 0, 1, 2…). Une tranche ne
    lit que les catégories apparues depuis la précédente."""

    read: pl.DataFrame | None = None  # (`<colonne>__valeur`, `<colonne>__motif`) par identifiant
    names: pl.Series | None = None  # les catégories lues, dans le même ordre
    # Une série vide de ces catégories : Polars oublie les catégories que plus aucune série n'utilise (puis les
    # renumérote depuis 0) ; celle-ci les garde le temps du fichier.
    anchor: pl.Series | None = None


@dataclass
class Context:
    fichier: str
    reference: Reference
    today: dt.date
    cap: int = 200
    notes: list[str] = field(default_factory=list)
    # Gros fichier lu par tranches : chaque tranche met ses problèmes de côté (les `cap` premiers, et leur nombre)
    # au lieu de refuser ; les contrôles entre lignes de tranches différentes se font à la fin (`source.conclude_all`).
    in_batches: bool = False
    kept_problems: list[pl.DataFrame] = field(default_factory=list)
    problem_count: int = 0
    origins: dict[str, str] = field(default_factory=dict)
    parse_cache: dict[str, dict[str | None, tuple[object, str | None]]] = field(default_factory=dict)
    categories: dict[str, pl.Categories] = field(default_factory=dict)
    # Par jeu de catégories propre à une colonne (son nom) : la lecture de chaque catégorie, par identifiant.
    parsed_categories: dict[str, ParsedCategories] = field(default_factory=dict)

    def categories_of(self, column: str) -> pl.Categories:
        """Les catégories propres à une colonne de ce fichier, les mêmes pour toutes ses tranches."""
        return self.categories.setdefault(column, pl.Categories.random())

    def set_aside(self, problems: pl.DataFrame) -> None:
        """Garde les problèmes d'une tranche : tous comptés, les `cap` premiers conservés (une erreur d'en-tête,
        répétée à chaque tranche, ne compte qu'une fois)."""
        if self.kept_problems:
            problems = problems.filter(pl.col("ligne") != 1)
        self.problem_count += problems.height
        kept = sum(f.height for f in self.kept_problems)
        if kept < self.cap and problems.height:
            self.kept_problems.append(problems.sort("ligne").head(self.cap - kept))


def column_origin(name: str) -> str:
    """Nom de la colonne technique qui porte, ligne à ligne, l'en-tête d'origine d'une valeur (tableau large)."""
    return f"_colonne_{name}"


def map_headers(table: RawTable, columns: Sequence[Column]) -> tuple[pl.DataFrame, dict[str, str], list[str]]:
    """Renomme les colonnes reconnues sous leur nom canonique.

    Rend la table, le nom d'origine de chaque colonne canonique et les en-têtes non reconnus.
    """
    renames: dict[str, str] = {}
    origins: dict[str, str] = {}
    unknown: list[str] = []
    for header in table.headers:
        match = next((c for c in columns if c.matches(header) and c.name not in origins), None)
        if match is None:
            unknown.append(header)
            continue
        renames[header] = match.name
        origins[match.name] = header
    # Les en-têtes d'origine ligne à ligne (tableau large déplié) suivent les valeurs.
    carried = [c for c in table.frame.columns if c.startswith("_colonne_")]
    frame = table.frame.select([*renames, ROW_COLUMN, *carried]).rename(renames)
    return frame, origins, unknown


def missing_columns(columns: Sequence[Column], origins: dict[str, str], headers: list[str]) -> pl.DataFrame:
    """Un problème par colonne obligatoire absente, sur la ligne d'en-tête."""
    rows = [
        {
            "ligne": 1,
            "colonne": c.name,
            "valeur": None,
            "motif": f"colonne obligatoire absente (colonnes trouvées : {', '.join(headers)})",
        }
        for c in columns
        if c.required and c.name not in origins
    ]
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA)


def luhn_key(digits: str) -> int:
    """Clé de Luhn d'une suite de chiffres : le chiffre qui, ajouté à droite, rend la somme de Luhn multiple de 10."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:  # doublés : un rang sur deux en partant de la droite, la clé étant à venir
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10


def finess_with_key(body: str) -> str:
    """Le numéro FINESS complet d'un corps de huit caractères : le corps suivi de sa clé de Luhn (les lettres de la
    Corse comptées 0, comme pour un numéro sans contrôle)."""
    return body + str(luhn_key(body.upper().replace("A", "0").replace("B", "0")))


def finess_number(raw: str) -> str:
    """Numéro FINESS : neuf caractères tels que livrés (jamais complétés de zéros), le dernier étant la clé de Luhn des
    huit premiers. Un numéro de Corse (2A, 2B en tête) est admis sans contrôle de clé : la règle du référentiel pour
    ces lettres n'est pas établie ici (docs/INDICATEURS.md)."""
    value = raw.strip().upper().removesuffix(".0")
    corsica = value[:2] in ("2A", "2B")
    # `isdigit` admet aussi « ² » ou les chiffres pleine chasse : seuls les chiffres ASCII font un numéro.
    if not value.isascii() or not (value.isdigit() or (corsica and value[2:].isdigit())):
        raise ParseError("numéro FINESS invalide : neuf chiffres attendus (2A ou 2B en tête pour la Corse)")
    if len(value) != 9:
        hint = " ; un zéro initial perdu par Excel ? livrez le numéro en texte" if len(value) == 8 else ""
        raise ParseError(
            f"numéro FINESS de {len(value)} caractère(s) : neuf attendus, jamais complétés{hint}"
        )
    if not corsica and luhn_key(value[:8]) != int(value[8]):
        raise ParseError(
            f"clé de contrôle FINESS fausse : le 9e chiffre devrait être {luhn_key(value[:8])} "
            "(formule de Luhn sur les huit premiers)"
        )
    return value


def finess_fast(raw: pl.Series) -> pl.Series:
    """Les numéros FINESS déjà sous leur forme canonique et valides, lus d'un coup : neuf chiffres ASCII dont le
    dernier est la clé de Luhn des huit premiers, ou 2A, 2B suivis de sept chiffres ; null pour tout le reste, que
    `finess_number` lit un par un (forme à corriger, ou motif du refus)."""
    number = pl.col("nombre")
    total = pl.lit(0, dtype=pl.Int64)
    for rank in range(8):  # rang 0 : premier chiffre ; les rangs impairs sont doublés, comme dans `luhn_key`
        digit = number // 10 ** (8 - rank) % 10
        total = total + (digit * 2 - (digit > 4).cast(pl.Int64) * 9 if rank % 2 else digit)
    text = pl.col("raw")
    return (
        raw.cast(pl.String)
        .to_frame("raw")
        .with_columns(
            pl.when(text.str.contains(r"^[0-9]{9}$")).then(text.cast(pl.Int64, strict=False)).alias("nombre")
        )
        .select(
            pl.when(((10 - total % 10) % 10 == number % 10) | text.str.contains(r"^2[AB][0-9]{7}$"))
            .then(text)
            .alias(raw.name)
        )
        .to_series()
    )


# Lectures vectorisées des valeurs ordinaires, par type : elles rendent la forme canonique ou null (valeur à lire par
# le lecteur du type) ; un refus n'y est jamais décidé, son motif reste celui du lecteur.
_FAST_READERS: dict[str, Callable[[pl.Series], pl.Series]] = {"finess": finess_fast}


def _code_parser(kind: Kind, reference: Reference) -> Callable[[str], object]:
    def niveau(raw: str) -> str:
        value = normalise_label(raw)
        if value not in NIVEAUX:
            raise ParseError(f"niveau inconnu (admis : {', '.join(NIVEAUX)})")
        return value

    def finess(raw: str) -> str:
        return finess_number(raw)

    def year(raw: str) -> int:
        text = raw.strip().removesuffix(".0")
        if not (text.isdigit() and 1900 <= int(text) <= 2100):
            raise ParseError("année illisible (quatre chiffres attendus)")
        return int(text)

    def text(raw: str) -> str:
        if not raw.strip():
            raise ParseError("valeur manquante")
        return raw.strip()

    parsers: dict[str, Callable[[str], object]] = {
        "month": parse_month_text,
        "date": parse_date_text,
        "couloir": reference.couloir,
        "dispositif": reference.dispositif,
        "domaine": reference.domaine,
        "region": reference.region,
        "departement": reference.departement,
        "niveau": niveau,
        "finess": finess,
        "year": year,
        "text": text,
    }
    chosen = parsers[kind]

    def parse(raw: str) -> object:
        # Une cellule vide d'une colonne obligatoire : « valeur manquante », pas « couloir inconnu » sans valeur.
        if not raw.strip():
            raise ParseError("valeur manquante")
        return chosen(raw)

    return parse


NUMBER_KINDS = ("integer", "decimal", "euros")
_DTYPES: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "date": pl.Date(),
    "year": pl.Int32(),
    "integer": pl.Int64(),
    "decimal": pl.Float64(),
    "euros": pl.Float64(),
}


def column_dtype(kind: Kind) -> pl.DataType:
    """Le type Polars des valeurs lues d'une colonne de ce type (texte pour les codes)."""
    return _DTYPES.get(kind, pl.String())


def _problem_rows(rows: pl.DataFrame, reason: pl.Expr) -> pl.DataFrame:
    """Lignes (_ligne, raw, w) → table des problèmes, avec le motif donné."""
    return rows.select(
        pl.col(ROW_COLUMN).alias("ligne"),
        pl.col("w").alias("colonne"),
        pl.col("raw").alias("valeur"),
        reason.alias("motif"),
    )


def _parse_number(frame: pl.DataFrame, column: Column, where: pl.Expr) -> tuple[pl.Series, pl.DataFrame]:
    """Nombre, selon la règle de son type (docs/INDICATEURS.md, « Nombres ») : un compte (`integer`) passe d'abord par
    la conversion directe (la quasi-totalité des cellules d'un gros fichier), les seules cellules qu'elle ne lit pas
    par les formats français ; chaque compte lu est comparé à sa borne de plausibilité. Montants (`euros`) et décimaux,
    où un point peut être ambigu, sont tous lus par leur règle."""
    integer = column.kind == "integer"
    raw = pl.col(column.name)
    if isinstance(frame.schema[column.name], pl.Categorical):  # en-tête pris pour un code à la lecture
        frame = frame.with_columns(raw.cast(pl.String))
    if frame.schema[column.name] != pl.String:
        frame = frame.with_columns(raw.cast(pl.String))
    value_of, reason_of = {
        "integer": (integer_value, integer_problem),
        "euros": (amount_value, amount_problem),
        "decimal": (decimal_value, decimal_problem),
    }[column.kind]
    if integer:
        fast = frame.get_column(column.name).cast(pl.Int64, strict=False)
    else:
        fast = pl.Series(column.name, [None] * frame.height, dtype=pl.Float64)
    checked = frame.select(ROW_COLUMN, raw.alias("raw"), where.alias("w")).with_columns(fast.alias("v"))
    problems = [
        _problem_rows(checked.filter(pl.col("v") < 0), pl.lit("nombre négatif")),
        _problem_rows(checked.filter(pl.col("v") > COUNT_MAX), pl.lit(implausible(COUNT_MAX))),
    ]
    slow_mask = fast.is_null()
    if slow_mask.any():
        slow = frame.filter(slow_mask).select(
            value_of(column.name).alias("v"),
            reason_of(column.name).alias("r"),
            raw.alias("raw"),
            where.alias("w"),
            ROW_COLUMN,
        )
        if not column.required:
            slow = slow.with_columns(pl.when(is_blank("raw")).then(None).otherwise(pl.col("r")).alias("r"))
        fast = fast.scatter(slow_mask.arg_true(), slow.get_column("v"))
        problems.append(_problem_rows(slow.filter(pl.col("r").is_not_null()), pl.col("r")))
    return fast, pl.concat(problems)


def _read_distinct(
    raw: pl.Series,
    parser: Callable[[str], object],
    dtype: pl.DataType,
    cache: dict[str | None, tuple[object, str | None]],
    fast: Callable[[pl.Series], pl.Series] | None,
) -> pl.DataFrame:
    """`parse_distinct` sur des valeurs déjà distinctes, dans leur ordre : la lecture vectorisée du type (`fast`)
    d'abord, s'il en a une, puis `parser` pour les seules valeurs qu'elle ne lit pas."""
    name = str(raw.name)
    if fast is None:
        return parse_distinct(raw.to_frame(), name, parser, dtype, unique=False, cache=cache)
    quick = fast(raw)
    rest = quick.is_null()
    slow = parse_distinct(raw.filter(rest).to_frame(), name, parser, dtype, unique=False, cache=cache)
    where = rest.arg_true()
    values = quick.cast(dtype).scatter(where, slow.get_column(f"{name}__valeur"))
    reasons = pl.Series(f"{name}__motif", [None] * raw.len(), dtype=pl.String)
    return pl.DataFrame(
        [
            raw.cast(pl.String),
            values.alias(f"{name}__valeur"),
            reasons.scatter(where, slow.get_column(f"{name}__motif")),
        ]
    )


def _parse_new_categories(
    categorical: pl.Series,
    name: str,
    parser: Callable[[str], object],
    dtype: pl.DataType,
    cache: dict[str | None, tuple[object, str | None]],
    ctx: Context,
    fast: Callable[[pl.Series], pl.Series] | None = None,
) -> pl.DataFrame:
    """Table de correspondance (valeur brute, lue, motif, `__code`) de toutes les catégories de la colonne, sans
    `unique()` sur la tranche : les identifiants sont denses, et seules les catégories nouvelles sont lues."""
    assert isinstance(categorical.dtype, pl.Categorical)
    categories = categorical.dtype.categories
    parsed = ctx.parsed_categories.setdefault(categories.name(), ParsedCategories())
    if parsed.anchor is None:
        parsed.anchor = categorical.clear()
    done = parsed.read.height if parsed.read is not None else 0
    fresh = _categories_from(categorical, done)
    if fresh.len() or parsed.read is None:
        # Toutes nommées : la tranche est lue (Polars ne réserve un identifiant sans nom que pendant une écriture
        # concurrente dans les mêmes catégories, qu'aucune autre requête ne fait ici).
        read = _read_distinct(fresh.alias(name), parser, dtype, cache, fast).drop(name)
        parsed.read = read if parsed.read is None else pl.concat([parsed.read, read])
        parsed.names = fresh if parsed.names is None else pl.concat([parsed.names, fresh])
    assert parsed.names is not None
    return parsed.read.with_columns(
        parsed.names.alias(name), pl.int_range(parsed.read.height, dtype=pl.UInt32).alias("__code")
    )


def _categories_from(categorical: pl.Series, first: int) -> pl.Series:
    """Les catégories de la colonne à partir de l'identifiant `first`, dans l'ordre des identifiants. Seulement les
    nouvelles : `Categories.to_series()` les parcourt toutes en Python, à chaque tranche (0,2 s à 10 M de lignes).
    Jusqu'au plus grand identifiant de la série, elles se lisent d'un coup depuis les entiers ; au-delà (catégories
    sans ligne dans la tranche), une par une."""
    assert isinstance(categorical.dtype, pl.Categorical)
    categories = categorical.dtype.categories
    physical = categorical.to_physical()
    top = physical.max()
    names = pl.Series([], dtype=pl.String)
    if isinstance(top, int) and top >= first:
        ids = pl.int_range(first, top + 1, eager=True).cast(physical.dtype)
        names = ids.cat.to(categorical.dtype, strict=False).cast(pl.String)
        if names.null_count():  # identifiant réservé sans nom : les catégories s'arrêtent avant lui
            return names.head(int(names.is_null().arg_true()[0]))
        first = top + 1
    rest: list[str] = []
    for code in itertools.count(first):
        try:
            rest.append(str(categories[code]))
        except IndexError:
            break
    return pl.concat([names, pl.Series(rest, dtype=pl.String)]) if rest else names


def _coded_lookup(categorical: pl.Series, column: Column, ctx: Context) -> pl.DataFrame:
    """Table de correspondance (valeur brute, `<colonne>__valeur`, `<colonne>__motif`, `__code`) des valeurs de la
    colonne, une lecture par valeur distincte ; une cellule vide y a sa ligne (code null) quand il y en a une."""
    name = column.name
    dtype = column_dtype(column.kind)
    parser = _code_parser(column.kind, ctx.reference)
    cache = ctx.parse_cache.setdefault(name, {})
    categories = categorical.dtype.categories if isinstance(categorical.dtype, pl.Categorical) else None
    fast = _FAST_READERS.get(column.kind)
    if categories is not None and not categories.is_global():
        lookup = _parse_new_categories(categorical, name, parser, dtype, cache, ctx, fast)
    else:  # catégories globales (rare : un Parquet déjà catégoriel) : une lecture par valeur présente
        distinct = categorical.unique()
        lookup = _read_distinct(
            distinct.cast(pl.String).alias(name), parser, dtype, cache, fast
        ).with_columns(distinct.to_physical().alias("__code"))
    if not categorical.null_count() or lookup.get_column("__code").null_count():
        return lookup
    # Cellule vide : lue comme "" (manquante, ou admise si la colonne est facultative).
    if None not in cache:
        parse_distinct(
            pl.DataFrame({name: [None]}, schema={name: pl.String}), name, parser, dtype, cache=cache
        )
    value, reason = cache[None]
    empty = {name: [None], f"{name}__valeur": [value], f"{name}__motif": [reason], "__code": [None]}
    return pl.concat([lookup, pl.DataFrame(empty, schema=lookup.schema)])


def _values_by_code(lookup: pl.DataFrame, codes: pl.Series, column: Column, ctx: Context) -> pl.Series:
    """La valeur lue de chaque ligne, par simple indexation de la table de correspondance sur son code."""
    name = column.name
    dtype = column_dtype(column.kind)
    known = lookup.filter(pl.col("__code").is_not_null())
    size = int(known.get_column("__code").max() or 0) + 1 if known.height else 0  # type: ignore[arg-type]
    by_code = pl.Series(name, [None] * size, dtype=dtype).scatter(
        known.get_column("__code"), known.get_column(f"{name}__valeur")
    )
    if ctx.in_batches and dtype == pl.String():
        # Par tranches, les textes sont gardés en catégories (4 octets par cellule au lieu de 16) : la conversion se
        # fait sur la petite table des valeurs distinctes, pas sur chaque ligne.
        by_code = by_code.cast(pl.Categorical())
    return by_code.gather(codes)


def _coded_problems(
    frame: pl.DataFrame,
    column: Column,
    where: pl.Expr,
    ctx: Context,
    lookup: pl.DataFrame,
    codes: pl.Series,
    values: pl.Series,
) -> pl.DataFrame:
    """Les cellules refusées (motif de leur valeur dans la table de correspondance), et les mois ou dates futurs."""
    name = column.name

    def rows(mask: pl.Series | None = None) -> pl.DataFrame:
        # Les lignes à signaler seulement : la colonne d'origine (`where`) n'est construite que pour elles.
        return (frame if mask is None else frame.filter(mask)).select(
            ROW_COLUMN, pl.col(name).cast(pl.String).alias("raw"), where.alias("w")
        )

    problems = [empty_problems()]
    refused = lookup.filter(pl.col(f"{name}__motif").is_not_null()).select(
        "__code", pl.col(f"{name}__motif").alias("r")
    )
    if refused.height:
        bad = rows().with_columns(codes.alias("__code"))
        bad = bad.join(refused, on="__code", how="inner", nulls_equal=True, maintain_order="left")
        if not column.required:
            bad = bad.filter(~is_blank("raw"))
        problems.append(_problem_rows(bad, pl.col("r")))
    if column.kind in ("month", "date") and not column.future_allowed:
        current = ctx.today.replace(day=1) if column.kind == "month" else ctx.today
        reason = (
            f"mois futur (le mois en cours est {current:%Y-%m})"
            if column.kind == "month"
            else f"date future (nous sommes le {ctx.today:%d/%m/%Y})"
        )
        future = (values > current).fill_null(False)
        if future.any():
            problems.append(_problem_rows(rows(future), pl.lit(reason)))
    return pl.concat(problems)


def _parse_coded(
    frame: pl.DataFrame, column: Column, where: pl.Expr, ctx: Context
) -> tuple[pl.Series, pl.DataFrame]:
    """Code, mois, date, texte : lu une fois par valeur distincte, puis reporté sur chaque ligne par son code.

    Les codes viennent d'une seule conversion en catégories, propres à la colonne et gardées d'une tranche à l'autre
    d'un gros fichier : une valeur déjà lue garde son code, et la table de correspondance se lit par indexation."""
    raw = frame.get_column(column.name)
    # Déjà en catégories si la lecture l'a fait (gros CSV) ; sinon converti une fois, aux catégories de la colonne.
    categorical = (
        raw
        if isinstance(raw.dtype, pl.Categorical)
        else raw.cast(pl.Categorical(ctx.categories_of(column.name)))
    )
    codes = categorical.to_physical()
    lookup = _coded_lookup(categorical, column, ctx)
    values = _values_by_code(lookup, codes, column, ctx)
    return values, _coded_problems(frame, column, where, ctx, lookup, codes, values)


def parse_columns(
    frame: pl.DataFrame, columns: Sequence[Column], origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Lit chaque colonne présente selon son type. Rend (valeurs typées, problèmes).

    Une cellule vide d'une colonne facultative donne null ; d'une colonne obligatoire, un problème.
    """
    values = frame.select(ROW_COLUMN, *[c for c in frame.columns if c.startswith("_colonne_")])
    problems = [empty_problems()]
    for column in columns:
        if column.name not in frame.columns:
            continue
        where = (
            pl.col(column_origin(column.name))
            if column_origin(column.name) in frame.columns
            else pl.lit(origins.get(column.name, column.name))
        )
        parse = _parse_number if column.kind in NUMBER_KINDS else None
        parsed, found = parse(frame, column, where) if parse else _parse_coded(frame, column, where, ctx)
        values = values.with_columns(parsed.alias(column.name))
        problems.append(found)
    return values, pl.concat(problems)


def conflicting_keys(
    frame: pl.DataFrame, keys: Sequence[str], value_columns: Sequence[str], origin_of: Callable[[str], str]
) -> pl.DataFrame:
    """Problèmes pour les clés livrées plusieurs fois dans un fichier avec des valeurs différentes."""
    grouped = frame.group_by(keys).agg(
        pl.struct(value_columns).n_unique().alias("variantes"),
        pl.col(ROW_COLUMN).sort().alias("lignes"),
    )
    conflicts = grouped.filter(pl.col("variantes") > 1)
    if conflicts.height == 0:
        return empty_problems()
    exploded = conflicts.with_columns(
        pl.col("lignes").list.eval(pl.element().cast(pl.String)).list.join(", ").alias("liste")
    ).explode("lignes")
    key_text = pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in keys], separator=" / ")
    return exploded.select(
        pl.col("lignes").alias("ligne"),
        pl.lit(origin_of(value_columns[0])).alias("colonne"),
        key_text.alias("valeur"),
        (
            pl.lit("clé livrée plusieurs fois avec des valeurs différentes (lignes ")
            + pl.col("liste")
            + pl.lit(")")
        ).alias("motif"),
    )


def drop_exact_duplicates(frame: pl.DataFrame, keys: Sequence[str], ctx: Context) -> pl.DataFrame:
    """Garde la première de lignes identiques (même clé, mêmes valeurs) et le note dans le compte rendu."""
    deduped = frame.unique(subset=list(keys), keep="first", maintain_order=True)
    if deduped.height < frame.height:
        ctx.notes.append(f"{frame.height - deduped.height} ligne(s) en double à l'identique ignorée(s)")
    return deduped


def _as_codes(series: pl.Series) -> pl.Series:
    """Les codes entiers d'une colonne en catégories ; toute autre colonne telle quelle."""
    if isinstance(series.dtype, pl.Categorical | pl.Enum):
        return series.to_physical()
    return series


def has_repeated_keys(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Vrai si une clé revient. Une empreinte de 64 bits par ligne, comptée : sans répétition d'empreinte, aucune clé
    ne revient (la réciproque peut être fausse, une collision ne fait que passer au contrôle exact)."""
    if frame.height < 2:
        return False
    # Les catégories passent par leurs codes entiers : une empreinte d'entiers coûte trois fois moins qu'une
    # empreinte de textes (docs/decisions/001-empreinte-des-cles.md). Un texte est haché tel quel : le convertir en
    # codes le hacherait déjà une fois.
    parts = [_as_codes(frame.get_column(k)) for k in keys]
    fingerprints = pl.DataFrame(parts).select(pl.struct(pl.all()).hash()).to_series()
    return fingerprints.n_unique() < frame.height


def rule_problems(
    frame: pl.DataFrame, condition: pl.Expr, column: str, value: pl.Expr, reason: pl.Expr
) -> pl.DataFrame:
    """Problèmes des lignes où `condition` est vraie (règle métier entre colonnes)."""
    return frame.filter(condition).select(
        pl.col(ROW_COLUMN).alias("ligne"),
        pl.lit(column).alias("colonne"),
        value.cast(pl.String).alias("valeur"),
        reason.alias("motif"),
    )
