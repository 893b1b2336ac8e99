"""Lecture des valeurs telles que les équipes françaises les écrivent : en-têtes, nombres, mois, dates, codes.

Les nombres sont lus par expressions Polars vectorisées (des millions de lignes) ; les mois, dates et codes, qui ont
peu de valeurs distinctes, sont lus une fois par valeur distincte puis rejoints.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

# Espaces de milliers admis : espace, insécable, fine insécable, apostrophe (export suisse d'Excel).
_SPACES = r"[\s\u00a0\u202f\u2009']"


# Gardée en mémoire : les mêmes en-têtes et libellés reviennent à chaque colonne déclarée, à chaque tranche.
@functools.lru_cache(maxsize=8192)
def normalise_label(text: str) -> str:
    """Forme canonique d'un libellé : minuscules, sans accents, mots séparés par `_`."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", ascii_only.lower()).strip("_")


def normalise_words(text: str) -> str:
    """Comme `normalise_label`, avec des espaces : sert à comparer des libellés (« Médecins de ville »)."""
    return normalise_label(text).replace("_", " ")


# --- Nombres --------------------------------------------------------------------------------------------------


def _compact(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.replace_all(_SPACES, "")


# Bornes de plausibilité par ligne (docs/INDICATEURS.md, « Nombres ») : au-delà, une valeur est une erreur de saisie
# ou de conversion, jamais un chiffre. Dix milliards de documents sur une ligne, c'est vingt ans du programme entier
# au rythme d'octobre 2025 (42,8 M par mois) ; mille milliards d'euros, plus que le budget de l'État. Sous ces
# bornes, toute somme d'un entrepôt tient largement dans un entier de 64 bits (vérifié à l'import, en HUGEINT).
COUNT_MAX = 10**10
AMOUNT_MAX = 10**12

_GROUPED = r"^[+-]?\d{1,3}(" + _SPACES + r"\d{3})+"


def _spaced(column: str) -> pl.Expr:
    """Vrai si la valeur contient un séparateur de milliers (espace, insécable, apostrophe)."""
    return pl.col(column).str.strip_chars().str.contains(_SPACES)


def _well_grouped(column: str, decimals: bool) -> pl.Expr:
    """Séparateurs de milliers par groupes de trois chiffres (« 1 234 567 », et « 1 234,56 » pour un montant)."""
    tail = r"(,\d+)?$" if decimals else "$"
    return ~_spaced(column) | pl.col(column).str.strip_chars().str.contains(_GROUPED + tail)


_AMBIGUOUS_DOT = r"^[+-]?[1-9]\d{0,2}\.\d{3}$"  # « 12.345 » : 12 345 ou 12,345 ?
_SCIENTIFIC = r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$"


def _number_value(
    column: str, dtype: type[pl.DataType], decimals: bool, *readings: tuple[str, pl.Expr]
) -> pl.Expr:
    """Lecture d'un compte ou d'un montant : null si les milliers sont mal groupés ; un entier nu et des points de
    milliers (deux groupes au moins, « 1.234.567 ») se lisent de même pour les deux ; puis `readings` (motif, valeur)
    propres au type ; null pour tout le reste. Les motifs s'excluent l'un l'autre : leur ordre ne change rien."""
    s = _compact(column)
    chain = (
        pl.when(~_well_grouped(column, decimals))
        .then(None)
        .when(s.str.contains(r"^[+-]?\d+$"))
        .then(s.cast(dtype, strict=False))
        .when(s.str.contains(r"^[+-]?\d{1,3}(\.\d{3}){2,}$"))
        .then(s.str.replace_all(r"\.", "").cast(dtype, strict=False))
    )
    for pattern, value in readings:
        chain = chain.when(s.str.contains(pattern)).then(value)
    return chain.otherwise(None)


def integer_value(column: str) -> pl.Expr:
    """Compte : entier écrit « 1234567 », « 1 234 567 » (espaces de milliers par groupes de trois), « 1.234.567 »
    (points de milliers, deux groupes au moins) ou « 1234567.0 » (cellule numérique d'Excel) ; sinon null."""
    s = _compact(column)
    excel = s.str.replace(r"\.0$", "").cast(pl.Int64, strict=False)
    return _number_value(column, pl.Int64, False, (r"^[+-]?\d+\.0$", excel))


def _first_reason(*rules: tuple[pl.Expr, str]) -> pl.Expr:
    """Le motif de la première règle enfreinte, dans l'ordre donné ; null si la valeur les respecte toutes."""
    (condition, reason), *rest = rules
    chain: Then | ChainedThen = pl.when(condition).then(pl.lit(reason))
    for condition, reason in rest:
        chain = chain.when(condition).then(pl.lit(reason))
    return chain.otherwise(None)


def _number_reason(column: str, value: pl.Expr, bound: int, *unreadable: tuple[pl.Expr, str]) -> pl.Expr:
    """Motif du refus d'un nombre : manquant, puis illisible selon les règles propres à son type (`unreadable`, dans
    l'ordre), puis négatif ou au-delà de sa borne de plausibilité. Un seul déroulé pour les comptes, montants et
    décimaux : un motif commun se corrige une fois."""
    s = _compact(column)
    return _first_reason(
        (s.is_null() | (s == ""), "valeur manquante"),
        *unreadable,
        (value < 0, "nombre négatif"),
        (value > bound, implausible(bound)),
    )


@dataclass(frozen=True)
class _Writing:
    """Comment s'écrit un compte ou un montant : décimales admises ou non, exemple de milliers bien groupés, motifs du
    point ambigu et de la notation scientifique, borne de plausibilité."""

    decimals: bool
    grouped: str
    ambiguous: str
    scientific: str
    bound: int

    def reason(self, column: str, value: pl.Expr, *unreadable: tuple[pl.Expr, str]) -> pl.Expr:
        """Motif du refus : les règles d'écriture communes aux comptes et aux montants (milliers par groupes de trois,
        pas de point ambigu, pas de notation scientifique), puis `unreadable`, propres au type, dans l'ordre."""
        s = _compact(column)
        return _number_reason(
            column,
            value,
            self.bound,
            (
                ~_well_grouped(column, self.decimals),
                f"séparateur de milliers mal placé : groupes de trois chiffres attendus (« {self.grouped} »)",
            ),
            (s.str.contains(_AMBIGUOUS_DOT), self.ambiguous),
            (s.str.contains(_SCIENTIFIC), f"notation scientifique : {self.scientific}"),
            *unreadable,
        )


_COUNT_WRITING = _Writing(
    False,
    "1 234 567",
    "nombre ambigu : le point peut séparer les milliers (12 345) ou les décimales (12,345) ; "
    "un compte s'écrit sans point (12345 ou 12 345)",
    "la valeur exacte est perdue ; un compte s'écrit en entier",
    COUNT_MAX,
)
_AMOUNT_WRITING = _Writing(
    True,
    "1 234,56",
    "montant ambigu : le point peut séparer les milliers (12 345 €) ou les décimales (12,345 €) ; "
    "écrivez 12345 ou 12,35",
    "un montant s'écrit au centime près, en entier",
    AMOUNT_MAX,
)


def integer_problem(column: str) -> pl.Expr:
    """Motif du refus d'un compte (null si la valeur est lisible, positive ou nulle, et plausible)."""
    s, value = _compact(column), integer_value(column)
    return _COUNT_WRITING.reason(
        column,
        value,
        (value.is_null() & s.str.contains(r"^[+-]?\d+$"), "nombre trop grand pour un compte"),
        (
            value.is_null() & s.str.contains(r"^[+-]?\d+([.,]\d+)?$"),
            "nombre décimal : un compte est un nombre entier (« 1.00 » et « 1,5 » sont refusés)",
        ),
        (value.is_null(), "nombre illisible"),
    )


def implausible(bound: int) -> str:
    """Motif du refus d'une valeur au-delà de sa borne de plausibilité."""
    limit = f"{bound:,}".replace(",", " ")
    return (
        f"valeur invraisemblable : plus de {limit} sur une ligne (borne de plausibilité, docs/INDICATEURS.md)"
    )


def amount_value(column: str) -> pl.Expr:
    """Montant en euros : « 1234 », « 1 234,56 », « 1.234,56 » (points de milliers suivis de la virgule), « 1.234.567 »,
    ou « 1234.5 » (point décimal, admis quand il ne peut pas séparer des milliers : un ou deux chiffres après) ; au
    plus deux décimales ; sinon null."""
    s = _compact(column)
    return _number_value(
        column,
        pl.Float64,
        True,
        (r"^[+-]?\d+[.,]\d{1,2}$", s.str.replace(",", ".").cast(pl.Float64, strict=False)),
        (
            r"^[+-]?\d{1,3}(\.\d{3})+,\d{1,2}$",
            s.str.replace_all(r"\.", "").str.replace(",", ".").cast(pl.Float64, strict=False),
        ),
    )


def amount_problem(column: str) -> pl.Expr:
    """Motif du refus d'un montant en euros (null si la valeur est lisible, positive ou nulle, et plausible)."""
    s, value = _compact(column), amount_value(column)
    return _AMOUNT_WRITING.reason(
        column,
        value,
        (
            value.is_null() & s.str.contains(r"^[+-]?(\d+|\d{1,3}(\.\d{3})+)[.,]\d{3,}$"),
            "plus de deux décimales : un montant en euros s'écrit au centime près (virgule décimale)",
        ),
        (value.is_null(), "montant illisible"),
    )


def decimal_value(column: str) -> pl.Expr:
    """Décimal (taux, cible) écrit « 1 234,56 », « 1.234,56 », « 1234.56 », « 0.125 » ou « 1,5E+07 » ; null pour un
    point suivi de trois chiffres sans virgule (« 12.345 », ambigu) et pour tout le reste."""
    s = _compact(column)
    # Points de milliers : un premier groupe sans zéro de tête (« 0.125 » est un décimal).
    french_thousands = s.str.contains(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")
    normalised = (
        pl.when(french_thousands)
        .then(s.str.replace_all(r"\.", "").str.replace(",", "."))
        .otherwise(s.str.replace(",", "."))
    )
    return (
        pl.when(s.str.contains(_AMBIGUOUS_DOT))
        .then(None)
        .when(normalised.str.contains(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$"))
        .then(normalised.cast(pl.Float64, strict=False))
        .otherwise(None)
    )


def decimal_problem(column: str) -> pl.Expr:
    """Motif du refus d'un décimal positif ou nul (null si la valeur est lisible)."""
    value = decimal_value(column)
    return _number_reason(
        column,
        value,
        AMOUNT_MAX,
        (
            _compact(column).str.contains(_AMBIGUOUS_DOT),
            "nombre ambigu : le point peut séparer les milliers (12 345) ou les décimales (12,345) ; "
            "écrivez 12345 ou 12,345",
        ),
        (value.is_null() | ~value.is_finite(), "nombre illisible"),
    )


def is_blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


# --- Mois et dates --------------------------------------------------------------------------------------------

_MONTH_NAMES = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "feb": 2,
    "mars": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "juin": 6,
    "jun": 6,
    "juillet": 7,
    "juil": 7,
    "jul": 7,
    "aout": 8,
    "aou": 8,
    "aug": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}

_EXCEL_EPOCH = dt.date(1899, 12, 30)


class ParseError(ValueError):
    """Valeur illisible ; le message, en français, dit pourquoi."""


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000
    if not 2000 <= year <= 2100:
        raise ParseError(f"année {year} hors de la plage admise (2000–2100)")
    return year


def _month_start(year: int, month: int) -> dt.date:
    if not 1 <= month <= 12:
        raise ParseError(f"le mois {month} n'existe pas")
    return dt.date(year, month, 1)


def _excel_serial(text: str) -> dt.date | None:
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        serial = int(float(text))
        if 36526 <= serial <= 73050:  # 2000-01-01 … 2099-12-31
            return _EXCEL_EPOCH + dt.timedelta(days=serial)
    return None


def parse_date_text(raw: str) -> dt.date:
    """Date « 2024-01-17 », « 17/01/2024 », « 17 janvier 2024 », date Excel (texte ou numéro de série)."""
    text = raw.strip()
    if not text:
        raise ParseError("valeur manquante")
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?", text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif serial := _excel_serial(text):
        return serial
    else:
        words = normalise_words(text).split()
        if len(words) == 3 and words[0].isdigit() and words[1] in _MONTH_NAMES and words[2].isdigit():
            day, month, year = int(words[0]), _MONTH_NAMES[words[1]], _year(words[2])
        else:
            raise ParseError("date illisible (formats admis : 2024-01-17, 17/01/2024, 17 janvier 2024)")
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ParseError(f"cette date n'existe pas ({exc})") from None


def parse_month_text(raw: str) -> dt.date:
    """Mois « 2023-12 », « 2023-12-01 », « 12/2023 », « déc. 2023 », « décembre 2023 », « déc-23 », date Excel.

    Rend le premier jour du mois. Une date complète est ramenée à son mois.
    """
    text = raw.strip()
    if not text:
        raise ParseError("valeur manquante")
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})", text):
        return _month_start(_year(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d{1,2})[-/.](\d{4})", text):
        return _month_start(_year(m[2]), int(m[1]))
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}.*|\d{1,2}/\d{1,2}/\d{4}|\d{5}(\.0+)?", text):
        date = parse_date_text(text)
        return date.replace(day=1)
    words = normalise_words(text).split()
    if len(words) == 2:
        name, year = words
        if name in _MONTH_NAMES and year.isdigit() and len(year) in (2, 4):
            return _month_start(_year(year), _MONTH_NAMES[name])
    raise ParseError("mois illisible (formats admis : 2023-12, 12/2023, déc. 2023, décembre 2023)")


def looks_like_month(header: str) -> bool:
    """Vrai si un en-tête de colonne désigne un mois (tableau « large », une colonne par mois)."""
    try:
        parse_month_text(header)
    except ParseError:
        return False
    return True


def parse_distinct(
    frame: pl.DataFrame,
    column: str,
    parser: Callable[[str], object],
    dtype: pl.DataType,
    unique: bool = True,
    cache: dict[str | None, tuple[object, str | None]] | None = None,
) -> pl.DataFrame:
    """Applique `parser` une fois par valeur distincte de `column` (`unique=False` : les valeurs le sont déjà, et
    leur ordre est gardé). `cache` garde les lectures d'une tranche à l'autre d'un gros fichier.

    Rend (valeur brute, `<column>__valeur`, `<column>__motif`) : une table de correspondance.
    """
    series = frame.get_column(column)
    raw_values = (series.unique() if unique else series).to_list()
    known = {} if cache is None else cache
    values: list[object] = []
    reasons: list[str | None] = []
    for raw in raw_values:
        if raw not in known:
            try:
                known[raw] = (parser("" if raw is None else raw), None)
            except ParseError as exc:
                known[raw] = (None, str(exc))
        value, reason = known[raw]
        values.append(value)
        reasons.append(reason)
    return pl.DataFrame(
        {column: raw_values, f"{column}__valeur": values, f"{column}__motif": reasons},
        schema={column: pl.String, f"{column}__valeur": dtype, f"{column}__motif": pl.String},
    )
