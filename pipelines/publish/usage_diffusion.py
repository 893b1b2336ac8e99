"""Secret statistique des usages publiés : les mêmes règles que les flux (`diffusion.py`), en forme longue.

Au niveau du département, un compte de 1 à 10 est masqué ; un indicateur dérivé d'un compte masqué (du mois, ou du
mois précédent pour les activations nettes) est vidé aussi, pour qu'il ne le révèle pas par un rapport."""

from __future__ import annotations

import polars as pl

from pipelines.publish.diffusion import MASK_MAX, MASK_MIN, MASKED_LEVELS

# Les comptes dont dépend chaque indicateur dérivé.
DEPENDS_ON = {
    "taux_activation": ("profils_actives",),
    "activations_nettes_mois": ("profils_actives",),
    "documents_consultes_par_utilisateur": ("documents_consultes", "professionnels_ayant_consulte"),
}


def mask_usage(frame: pl.DataFrame) -> pl.DataFrame:
    """`valeur` vidée et `masque_secret_statistique` vrai pour les petits comptes des départements et les dérivés
    qui en découlent ; les autres lignes inchangées."""
    small = (
        pl.col("niveau").is_in(MASKED_LEVELS)
        & ~pl.col("calcule")
        & pl.col("valeur").is_between(MASK_MIN, MASK_MAX)
    )
    flagged = frame.with_columns(small.alias("masque_secret_statistique"))
    masked_counts = flagged.filter(pl.col("masque_secret_statistique")).select(
        "indicateur", "niveau", "code_geo", "mois"
    )
    # Un compte masqué vide ses dérivés du même mois et, pour les activations nettes, du mois suivant.
    following = masked_counts.with_columns(pl.col("mois").dt.offset_by("1mo"))
    hidden = [
        pl.concat([masked_counts, following])
        .filter(pl.col("indicateur").is_in(sources))
        .select(pl.lit(derived).alias("indicateur"), "niveau", "code_geo", "mois")
        for derived, sources in DEPENDS_ON.items()
    ]
    hidden_keys = pl.concat(hidden).unique().with_columns(pl.lit(True).alias("_cache"))
    return (
        flagged.join(hidden_keys, on=["indicateur", "niveau", "code_geo", "mois"], how="left")
        .with_columns(
            (pl.col("masque_secret_statistique") | pl.col("_cache").fill_null(False)).alias(
                "masque_secret_statistique"
            )
        )
        .with_columns(
            pl.when(pl.col("masque_secret_statistique"))
            .then(None)
            .otherwise(pl.col("valeur"))
            .alias("valeur")
        )
        .drop("_cache")
    )
