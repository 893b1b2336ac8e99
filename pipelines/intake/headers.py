"""Reconnaître la ligne d'en-tête d'une source et refuser les en-têtes en conflit (deux colonnes pour une seule)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipelines.intake.problems import Problem, RefusedFile
from pipelines.intake.validation import Column


def header_test(sources: Sequence[Sequence[Column]]) -> Callable[[list[str]], bool]:
    """Vrai pour une ligne qui porte au moins deux colonnes obligatoires d'une des sources (toutes, si elle en a
    moins) : un titre, une ligne vide ou une ligne de données ne le font jamais."""

    def is_header(cells: list[str]) -> bool:
        for columns in sources:
            required = [c for c in columns if c.required]
            found = sum(1 for c in required if any(c.matches(cell) for cell in cells if cell))
            if required and found >= min(2, len(required)):
                return True
        return False

    return is_header


def refuse_conflicting_headers(
    name: str, columns: Sequence[Column], headers: list[str], header_row: int
) -> None:
    """Deux en-têtes qui désignent la même colonne (« documents » et « Nombre de documents ») : le fichier est refusé
    en les nommant, au lieu d'en ignorer un sans le dire."""
    problems = []
    for column in columns:
        matching = [(i, h) for i, h in enumerate(headers) if column.matches(h)]
        if len(matching) > 1:
            (i, first), (j, second) = matching[0], matching[1]
            problems.append(
                Problem(
                    name,
                    header_row,
                    second,
                    None,
                    f"en-têtes en conflit : les colonnes {i + 1} « {first} » et {j + 1} « {second} » désignent "
                    f"toutes deux « {column.name} » ; gardez-en une",
                )
            )
    if problems:
        raise RefusedFile(name, problems)
