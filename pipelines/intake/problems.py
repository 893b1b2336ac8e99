"""Problèmes trouvés dans un fichier reçu : chacun nomme le fichier, la ligne du tableur, la colonne et la valeur."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Problem:
    fichier: str
    ligne: int | None  # numéro de ligne du tableur (l'en-tête est la ligne 1) ; None pour le fichier entier
    colonne: str | None
    valeur: str | None
    motif: str

    def __str__(self) -> str:
        parts = [self.fichier]
        if self.ligne is not None:
            parts.append(f"ligne {self.ligne}")
        if self.colonne is not None:
            parts.append(f"colonne « {self.colonne} »")
        where = ", ".join(parts)
        value = f" (valeur « {self.valeur} »)" if self.valeur not in (None, "") else ""
        return f"{where} : {self.motif}{value}"


class RefusedFile(Exception):
    """Fichier refusé : rien n'a été écrit. `problems` est plafonné ; `total` compte tous les problèmes."""

    def __init__(self, fichier: str, problems: list[Problem], total: int | None = None) -> None:
        self.fichier = fichier
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [
            f"Fichier refusé : {self.fichier} — {self.total} problème(s), rien n'a été écrit dans l'entrepôt."
        ]
        lines += [f"  - {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"  … et {self.total - len(self.problems)} autre(s) problème(s) non affiché(s).")
        return "\n".join(lines)


PROBLEM_SCHEMA = {"ligne": pl.Int64, "colonne": pl.String, "valeur": pl.String, "motif": pl.String}


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def problems_from_frame(fichier: str, frame: pl.DataFrame, cap: int) -> RefusedFile | None:
    """Transforme une table (ligne, colonne, valeur, motif) en refus, les `cap` premiers par ordre de ligne."""
    if frame.height == 0:
        return None
    ordered = frame.sort("ligne", nulls_last=False).head(cap)
    problems = [
        Problem(fichier, row["ligne"], row["colonne"], row["valeur"], row["motif"])
        for row in ordered.iter_rows(named=True)
    ]
    return RefusedFile(fichier, problems, frame.height)


def problems_from_parts(fichier: str, parts: list[pl.DataFrame], total: int, cap: int) -> RefusedFile:
    """Refus d'un fichier lu par tranches : les `cap` premiers problèmes gardés, sur `total` trouvés."""
    kept = pl.concat([empty_problems(), *parts]).unique(maintain_order=True).sort("ligne", nulls_last=False)
    problems = [
        Problem(fichier, row["ligne"], row["colonne"], row["valeur"], row["motif"])
        for row in kept.head(cap).iter_rows(named=True)
    ]
    return RefusedFile(fichier, problems, max(total, len(problems)))
