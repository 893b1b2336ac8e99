"""Titres-constats des graphiques, écrits seulement quand les chiffres les soutiennent : sinon un titre neutre qui dit
ce que montre le graphique. Une règle par fonction, chacune testée (tests/test_titles.py)."""

from __future__ import annotations

import polars as pl

from pipelines import formats

SONS_STEPS = (
    ("bons_de_commande", "des bons de commande"),
    ("installations", "des installations"),
    ("demandes_de_solde", "des demandes de solde"),
)


def sons_leader(snapshot: pl.DataFrame, prefix: str) -> str:
    """« V1 au 17 janvier 2024 : LGC en tête des installations » : la première étape du cycle qui a des chiffres
    désigne le dispositif en tête (ex aequo nommés ensemble) ; aucune étape chiffrée → titre neutre."""
    for column, label in SONS_STEPS:
        known = snapshot.filter(pl.col(column).is_not_null() & (pl.col(column) > 0))
        if known.height:
            top = known[column].max()
            leaders = known.filter(pl.col(column) == top)["dispositif"].sort().to_list()
            return f"{prefix} : {' et '.join(leaders)} en tête {label}"
    return f"{prefix} : aucun chiffre de commande, d'installation ni de solde"


def sons_lowest_coverage(covered: pl.DataFrame) -> str:
    """« Couverture la plus faible : PFI (12 % des structures éligibles) » quand au moins deux dispositifs ont une
    couverture (sinon « le plus faible » ne veut rien dire) ; un seul → sa couverture, sans comparaison."""
    rows = covered.filter(pl.col("taux_couverture").is_not_null()).sort("taux_couverture")
    if rows.height == 0:
        return "Couverture des structures éligibles : aucun chiffre"
    low = rows.row(0, named=True)
    share = formats.percent(low["taux_couverture"], 0)
    if rows.height == 1:
        return f"Couverture de {low['dispositif']} : {share} des structures éligibles"
    return f"Couverture la plus faible : {low['dispositif']} ({share} des structures éligibles)"
