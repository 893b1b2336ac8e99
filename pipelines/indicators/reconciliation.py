"""Rapprochement des totaux livrés et de la somme de leurs sous-niveaux : la règle de préséance rendue visible.

Règle (docs/INDICATEURS.md, « Préséance ») : un total livré pour un périmètre (la France, une région, un département)
est le chiffre affiché ; la somme de ses sous-niveaux ne le remplace pas. L'écart (`non_ventile` dans
`indicateurs_flux`) est montré ici, par mois, couloir et niveau, avec la complétude des sous-niveaux.
"""

from __future__ import annotations

import polars as pl

COLUMNS = [
    "mois",
    "niveau",
    "code_geo",
    "libelle_geo",
    "couloir",
    "total_livre",
    "somme_sous_niveaux",
    "ecart",
    "ecart_relatif",
    "chiffre_affiche",
]


def reconciliation(flux: pl.LazyFrame) -> pl.LazyFrame:
    """Une ligne par mois × niveau × géographie × couloir où un total livré et la somme de ses sous-niveaux existent
    tous deux : total livré, somme, écart (livré − somme) et écart relatif (÷ total livré) ; le chiffre affiché est le
    total livré."""
    both = flux.filter((pl.col("origine") == "declare") & pl.col("documents_ventiles").is_not_null())
    gap = pl.col("documents") - pl.col("documents_ventiles")
    # Les colonnes rendues, dans leur ordre, sont celles de `COLUMNS` : la liste ne s'écrit qu'une fois.
    return (
        both.with_columns(
            total_livre=pl.col("documents"),
            somme_sous_niveaux=pl.col("documents_ventiles"),
            ecart=gap,
            ecart_relatif=pl.when(pl.col("documents") != 0).then(gap / pl.col("documents")),
            chiffre_affiche=pl.lit("total livré"),
        )
        .select(COLUMNS)
        .sort(["mois", "niveau", "code_geo", "couloir"], descending=[True, False, False, False])
    )
