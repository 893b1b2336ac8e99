"""Secret statistique des usages publiés : les mêmes règles que les flux (`diffusion.py`), en forme longue.

Au niveau du département, un compte de 1 à 10 est masqué, et une autre case de son groupe (secret secondaire) pour
qu'aucune soustraction ne le retrouve ; un indicateur dérivé d'un compte masqué (du mois, ou du mois précédent pour
les activations nettes) est vidé aussi, pour qu'il ne le révèle pas par un rapport."""

from __future__ import annotations

import polars as pl

from pipelines.publish.diffusion import primary_secret, secondary_secret

# Les comptes dont dépend chaque indicateur dérivé.
DEPENDS_ON = {
    "taux_activation": ("profils_actives",),
    "activations_nettes_mois": ("profils_actives",),
    "documents_consultes_par_utilisateur": ("documents_consultes", "professionnels_ayant_consulte"),
}


def mask_usage(frame: pl.DataFrame) -> pl.DataFrame:
    """`valeur` vidée et `masque_secret_statistique` vrai pour les petits comptes des départements (secret primaire),
    pour ce qui permettrait de les retrouver par soustraction (secret secondaire de `diffusion.py` : départements
    d'une région, régions de la France, par indicateur et par mois) et pour les dérivés qui en découlent."""
    counts = frame.filter(~pl.col("calcule"))
    # La même règle que les flux : l'indicateur tient la place du couloir, la valeur celle des documents.
    view = counts.select(
        "mois",
        "niveau",
        "code_geo",
        "code_region",
        pl.col("indicateur").alias("couloir"),
        pl.col("valeur").alias("documents"),
    )
    flags = secondary_secret(view, primary_secret(view))
    counts = counts.with_columns(flags.alias("masque_secret_statistique"))
    masked_counts = counts.filter(pl.col("masque_secret_statistique")).select(
        "indicateur", "niveau", "code_geo", "mois"
    )
    # Un compte masqué vide ses dérivés du même mois et, pour les activations nettes, du mois suivant.
    following = masked_counts.with_columns(pl.col("mois").dt.offset_by("1mo"))
    hidden = pl.concat(
        [
            pl.concat([masked_counts, following])
            .filter(pl.col("indicateur").is_in(sources))
            .select(pl.lit(derived).alias("indicateur"), "niveau", "code_geo", "mois")
            for derived, sources in DEPENDS_ON.items()
        ]
    ).unique()
    derived_rows = frame.filter(pl.col("calcule")).join(
        hidden.with_columns(pl.lit(True).alias("masque_secret_statistique")),
        on=["indicateur", "niveau", "code_geo", "mois"],
        how="left",
    )
    out = pl.concat(
        [counts, derived_rows.with_columns(pl.col("masque_secret_statistique").fill_null(False))],
        how="diagonal_relaxed",
    ).select(*frame.columns, "masque_secret_statistique")
    return out.with_columns(
        pl.when(pl.col("masque_secret_statistique")).then(None).otherwise(pl.col("valeur")).alias("valeur")
    ).sort("indicateur", "niveau", "code_geo", "mois")
