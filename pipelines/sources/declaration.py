"""Ce qu'une source déclare pour être lue, validée et chargée, et le déroulé commun de sa validation.

Une nature de fichier, c'est un module de `pipelines/sources/` qui déclare une `Source` (colonnes, clés, règles
métier), inscrite dans `pipelines/sources/__init__.py`, plus son chargement `warehouse/sql/load/<nature>.sql`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.intake.problems import empty_problems, problems_from_frame, problems_from_parts
from pipelines.intake.reading import ROW_COLUMN, RawTable
from pipelines.intake.validation import (
    Column,
    Context,
    column_dtype,
    conflicting_keys,
    drop_exact_duplicates,
    has_repeated_keys,
    map_headers,
    missing_columns,
    parse_columns,
    rule_problems,
)

# Règles métier d'une source, appliquées aux valeurs typées : (valeurs mises en forme pour le chargement — niveau,
# code géographique… —, problèmes trouvés). Reçoit aussi l'en-tête d'origine de chaque colonne canonique.
Rules = Callable[[pl.DataFrame, dict[str, str], Context], tuple[pl.DataFrame, list[pl.DataFrame]]]


Flag = Callable[[str, pl.Expr, str | pl.Expr], pl.DataFrame]


def flagger(values: pl.DataFrame, origins: dict[str, str]) -> Flag:
    """`flag(colonne, condition, motif)` : les problèmes des lignes où la condition est vraie, signalés sur la colonne
    (son en-tête d'origine) avec sa valeur ; le motif est un texte ou une expression par ligne."""

    def flag(column: str, condition: pl.Expr, reason: str | pl.Expr) -> pl.DataFrame:
        motif = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
        return rule_problems(values, condition, origins.get(column, column), pl.col(column), motif)

    return flag


def level_and_code(*finest_first: str) -> tuple[pl.Expr, pl.Expr]:
    """(`niveau`, `code_geo`) d'une ligne d'après ses colonnes géographiques, de la plus fine à la plus large : le
    niveau de la plus fine renseignée, son code ; une ligne sans géographie est nationale (`pays`, `FR`)."""
    level = pl.lit("pays")
    for column in reversed(finest_first):
        level = pl.when(pl.col(column).is_not_null()).then(pl.lit(column)).otherwise(level)
    return level.alias("niveau"), pl.coalesce(*finest_first, pl.lit("FR")).alias("code_geo")


def recognised(columns: Sequence[Column], headers: Sequence[str]) -> set[str]:
    """Les colonnes canoniques que ces en-têtes désignent."""
    return {c.name for c in columns for h in headers if c.matches(h)}


@dataclass(frozen=True)
class Source:
    kind: str  # nature du fichier : flux / sons / sunes / population / cibles…
    label: str  # libellé français
    columns: tuple[Column, ...]
    keys: tuple[str, ...]
    values: tuple[str, ...]
    rules: Rules
    # Colonnes de la table brute, dans l'ordre, hors import_id ; par défaut la ligne, les clés puis les valeurs.
    load_columns: tuple[str, ...] = ()
    # Reconnaissance d'après les en-têtes ; par défaut, toutes les colonnes obligatoires présentes.
    detects: Callable[[Sequence[str]], bool] | None = None
    # Mise en forme du fichier lu avant la lecture des colonnes (les flux y déplient la forme large).
    reshape: Callable[[RawTable], RawTable] | None = None
    # Mise en forme de la table validée pour son chargement, dans la transaction de l'import (les flux y numérotent
    # leurs codes) ; par défaut, la table telle quelle.
    prepare_load: Callable[[duckdb.DuckDBPyConnection, pl.DataFrame], pl.DataFrame] | None = None

    def __post_init__(self) -> None:
        if not self.load_columns:
            object.__setattr__(self, "load_columns", ("ligne", *self.keys, *self.values))

    def recognised(self, headers: Sequence[str]) -> set[str]:
        return recognised(self.columns, headers)

    def has_required(self, headers: Sequence[str]) -> bool:
        required = {c.name for c in self.columns if c.required}
        return required <= self.recognised(headers)

    def detect(self, headers: Sequence[str]) -> bool:
        return self.detects(headers) if self.detects else self.has_required(headers)

    def validate(self, table: RawTable, ctx: Context) -> pl.DataFrame:
        """Rend les lignes prêtes pour `raw_<nature>`, ou lève `RefusedFile` avec tous les problèmes trouvés.

        Déroulé commun : en-têtes reconnus, colonnes obligatoires présentes, valeurs lues selon leur type (une
        colonne facultative absente devient une colonne vide), règles de la source, puis clés en conflit."""
        if self.reshape is not None:
            table = self.reshape(table)
        ctx.notes.extend(table.notes)
        frame, origins, unknown = map_headers(table, self.columns)
        if unknown:
            ctx.notes.append(f"colonnes ignorées : {', '.join(unknown)}")
        missing = missing_columns(self.columns, origins, table.headers)
        if missing.height:
            return conclude(ctx, self.keys, self.values, frame.head(0), [missing], origins, self.load_columns)
        values, problems = parse_columns(frame, self.columns, origins, ctx)
        absent = [c for c in self.columns if c.name not in values.columns]
        values = values.with_columns(pl.lit(None, dtype=column_dtype(c.kind)).alias(c.name) for c in absent)
        values, found = self.rules(values, origins, ctx)
        return conclude(ctx, self.keys, self.values, values, [problems, *found], origins, self.load_columns)


def conclude(
    ctx: Context,
    source_keys: Sequence[str],
    value_columns: Sequence[str],
    frame: pl.DataFrame,
    problems: list[pl.DataFrame],
    origins: dict[str, str],
    load_columns: Sequence[str],
) -> pl.DataFrame:
    """Fin commune : clés en conflit, refus s'il y a le moindre problème, sinon la table prête à charger.

    Lu par tranches (`ctx.in_batches`), une tranche rend ses lignes lisibles et met ses problèmes de côté ; les clés
    sont contrôlées sur le fichier entier par `conclude_all`."""
    found = pl.concat(problems)
    if ctx.in_batches:
        if not set(load_columns) - {"ligne"} <= set(frame.columns):
            _refuse_if_any(
                ctx, found
            )  # colonne absente : le fichier entier est refusé, inutile de lire la suite
        ctx.set_aside(found)
        ctx.origins = origins
        return _readable_rows(frame, found).rename({ROW_COLUMN: "ligne"}).select(list(load_columns))
    ready, conflicts = _check_keys(ctx, source_keys, value_columns, frame, found, origins)
    _refuse_if_any(ctx, pl.concat([found, conflicts]))
    return ready.rename({ROW_COLUMN: "ligne"}).select(list(load_columns))


def conclude_all(ctx: Context, source: Source, batches: list[pl.DataFrame]) -> pl.DataFrame:
    """Fin d'un fichier lu par tranches : clés en conflit sur le fichier entier, refus s'il y a le moindre problème
    (ceux des tranches compris), sinon la table prête à charger."""
    frame = pl.concat(batches, rechunk=False).rename({"ligne": ROW_COLUMN})
    ready, conflicts = _check_keys(ctx, source.keys, source.values, frame, empty_problems(), ctx.origins)
    ctx.set_aside(conflicts)
    ctx.notes[:] = list(dict.fromkeys(ctx.notes))  # chaque tranche a redit les mêmes remarques
    if ctx.problem_count:
        raise problems_from_parts(ctx.fichier, ctx.kept_problems, ctx.problem_count, ctx.cap)
    return ready.rename({ROW_COLUMN: "ligne"})


def _readable_rows(frame: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
    if found.height == 0:
        return frame
    return frame.join(found.select(pl.col("ligne").alias(ROW_COLUMN)).unique(), on=ROW_COLUMN, how="anti")


def _check_keys(
    ctx: Context,
    source_keys: Sequence[str],
    value_columns: Sequence[str],
    frame: pl.DataFrame,
    found: pl.DataFrame,
    origins: dict[str, str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(lignes sans doublon exact, problèmes de clés en conflit). Contrôles faits seulement si une clé revient : un
    gros fichier sans doublon ne paie qu'une empreinte."""
    if not (set(source_keys) <= set(frame.columns) and has_repeated_keys(frame, source_keys)):
        return frame, empty_problems()
    # Les conflits ne se cherchent que parmi les lignes lisibles, pour ne pas doubler les messages.
    clean_rows = _readable_rows(frame, found) if found.height else frame
    conflicts = conflicting_keys(clean_rows, source_keys, value_columns, lambda c: origins.get(c, c))
    return drop_exact_duplicates(frame, source_keys, ctx), conflicts


def _refuse_if_any(ctx: Context, problems: pl.DataFrame) -> None:
    refused = problems_from_frame(ctx.fichier, problems.unique(maintain_order=True), ctx.cap)
    if refused is not None:
        raise refused
