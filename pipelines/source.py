"""Ce qu'une source déclare pour être lue, validée et chargée, et le déroulé commun de sa validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from pipelines.problems import problems_from_frame
from pipelines.reading import ROW_COLUMN, RawTable
from pipelines.validation import Column, Context, conflicting_keys, drop_exact_duplicates, has_repeated_keys


@dataclass(frozen=True)
class Source:
    kind: str  # flux / sons / sunes / population / cibles
    label: str  # libellé français
    columns: tuple[Column, ...]
    keys: tuple[str, ...]
    values: tuple[str, ...]
    load_columns: tuple[str, ...]  # colonnes de la table brute, dans l'ordre, hors import_id
    validate: Callable[[RawTable, Context], pl.DataFrame]
    detect: Callable[[list[str]], bool]

    def recognised(self, headers: Sequence[str]) -> set[str]:
        return {c.name for c in self.columns for h in headers if c.matches(h)}

    def has_required(self, headers: Sequence[str]) -> bool:
        required = {c.name for c in self.columns if c.required}
        return required <= self.recognised(headers)


def conclude(
    ctx: Context,
    source_keys: Sequence[str],
    value_columns: Sequence[str],
    frame: pl.DataFrame,
    problems: list[pl.DataFrame],
    origins: dict[str, str],
    load_columns: Sequence[str],
) -> pl.DataFrame:
    """Fin commune : clés en conflit, refus s'il y a le moindre problème, sinon la table prête à charger."""
    found = pl.concat(problems)
    ready, conflicts = frame, found.head(0)
    # Contrôles de clés répétées seulement s'il y en a : un gros fichier sans doublon ne paie qu'une empreinte.
    if set(source_keys) <= set(frame.columns) and has_repeated_keys(frame, source_keys):
        # Les conflits ne se cherchent que parmi les lignes lisibles, pour ne pas doubler les messages.
        clean_rows = frame.join(
            found.select(pl.col("ligne").alias(ROW_COLUMN)).unique(), on=ROW_COLUMN, how="anti"
        )
        conflicts = conflicting_keys(clean_rows, source_keys, value_columns, lambda c: origins.get(c, c))
        ready = drop_exact_duplicates(frame, source_keys, ctx)
    all_problems = pl.concat([found, conflicts])
    refused = problems_from_frame(ctx.fichier, all_problems.unique(maintain_order=True), ctx.cap)
    if refused is not None:
        raise refused
    return ready.rename({ROW_COLUMN: "ligne"}).select(list(load_columns))
