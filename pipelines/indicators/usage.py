"""Indicateurs d'usage de Mon espace santé : consolidation par territoire et indicateurs dérivés.

Chaque fonction est une transformation pure LazyFrame → LazyFrame (tests sur lignes littérales dans
tests/test_usage.py). Forme longue partout : (mois, indicateur, niveau, code_geo, valeur, donnees_demo).
"""

from __future__ import annotations

import polars as pl

from pipelines.indicators.flux import population_by_year

KEYS = ["mois", "indicateur", "niveau", "code_geo"]
GEO = ["niveau", "code_geo"]
# Indicateurs calculés ici, avec leur libellé et leur unité (les indicateurs livrés ont les leurs dans
# data/reference/indicateurs_usage.csv).
DERIVED = {
    "taux_activation": ("Taux d'activation", "part de la population"),
    "activations_nettes_mois": ("Activations nettes par mois", "profils par mois"),
    "documents_consultes_par_utilisateur": ("Documents consultés par professionnel utilisateur", "documents"),
}
# Les colonnes d'une valeur d'usage, livrée ou consolidée ; la table publiée dit en plus si elle est calculée.
LONG = ["mois", "indicateur", "niveau", "code_geo", "code_region", "valeur", "donnees_demo"]
OUTPUT = ["mois", "indicateur", "niveau", "code_geo", "code_region", "valeur", "calcule", "donnees_demo"]


def consolidate(usage: pl.LazyFrame, departements: pl.LazyFrame) -> pl.LazyFrame:
    """Un territoire vaut sa valeur livrée, sinon la somme de ses départements (la France : de ses régions), quand
    tous sont livrés : une somme partielle n'est jamais montrée comme le total. `departements` : code_geo, code_region
    de chaque département ; entrée : mois, indicateur, niveau, code_geo, code_region, valeur, donnees_demo."""
    base = usage.select(
        "mois",
        "indicateur",
        "niveau",
        "code_geo",
        "code_region",
        pl.col("valeur").cast(pl.Float64),
        "donnees_demo",
    )
    expected = departements.group_by("code_region").agg(pl.len().alias("_attendus"))
    regions_expected = departements.select(pl.col("code_region").n_unique().alias("_attendus"))
    dep_rows = base.filter(pl.col("niveau") == "departement")
    region_sums = (
        dep_rows.group_by("mois", "indicateur", "code_region")
        .agg(pl.col("valeur").sum(), pl.col("donnees_demo").any(), pl.len().alias("_livres"))
        .join(expected, on="code_region", how="inner")
        .filter(pl.col("_livres") == pl.col("_attendus"))
        .with_columns(pl.lit("region").alias("niveau"), pl.col("code_region").alias("code_geo"))
    )
    regions = _delivered_or_sum(base.filter(pl.col("niveau") == "region"), region_sums)
    national_sums = (
        regions.group_by("mois", "indicateur")
        .agg(pl.col("valeur").sum(), pl.col("donnees_demo").any(), pl.len().alias("_livres"))
        .join(regions_expected, how="cross")
        .filter(pl.col("_livres") == pl.col("_attendus"))
        .with_columns(
            pl.lit("pays").alias("niveau"), pl.lit("FR").alias("code_geo"), pl.lit("").alias("code_region")
        )
    )
    pays = _delivered_or_sum(base.filter(pl.col("niveau") == "pays"), national_sums)
    return pl.concat([dep_rows.select(LONG), regions.select(LONG), pays.select(LONG)])


def _delivered_or_sum(delivered: pl.LazyFrame, summed: pl.LazyFrame) -> pl.LazyFrame:
    missing = summed.select(LONG).join(delivered.select(KEYS), on=KEYS, how="anti")
    return pl.concat([delivered.select(LONG), missing])


def _derived(code: str, valeur: pl.Expr, demo: pl.Expr | None = None) -> list[pl.Expr | str]:
    """Les colonnes d'un indicateur dérivé, les mêmes pour tous : mois, son code, géographie, valeur calculée, et
    démonstration si l'une des valeurs dont il dépend l'est (`demo` ; par défaut, celle de la ligne)."""
    return [
        "mois",
        pl.lit(code).alias("indicateur"),
        *GEO,
        "code_region",
        valeur.alias("valeur"),
        pl.col("donnees_demo") if demo is None else demo.alias("donnees_demo"),
    ]


def activation_rate(usage: pl.LazyFrame, population: pl.LazyFrame) -> pl.LazyFrame:
    """`taux_activation` = profils activés ÷ population INSEE du territoire (année du mois, sinon la dernière
    année antérieure connue) ; aucune ligne quand la population n'est pas connue."""
    activated = usage.filter(pl.col("indicateur") == "profils_actives")
    years = activated.select(pl.col("mois").dt.year().cast(pl.Int32).alias("annee")).unique()
    applicable = population_by_year(population, years).select(*GEO, "annee", "population")
    return (
        activated.with_columns(pl.col("mois").dt.year().cast(pl.Int32).alias("annee"))
        .join(applicable, on=[*GEO, "annee"], how="inner")
        .filter(pl.col("population") > 0)
        .select(_derived("taux_activation", pl.col("valeur") / pl.col("population")))
    )


def net_activations(usage: pl.LazyFrame) -> pl.LazyFrame:
    """`activations_nettes_mois` = variation des profils activés depuis le point connu précédent ÷ nombre de mois
    écoulés (entre deux points publiés à quatre mois d'écart : la moyenne mensuelle des quatre mois)."""
    months = pl.col("mois").dt.year() * 12 + pl.col("mois").dt.month()
    return (
        usage.filter(pl.col("indicateur") == "profils_actives")
        .sort("mois")
        .with_columns(
            pl.col("valeur").shift(1).over(GEO).alias("_avant"),
            (months - months.shift(1).over(GEO)).alias("_ecart"),
            (pl.col("donnees_demo") | pl.col("donnees_demo").shift(1).over(GEO)).alias("_demo"),
        )
        .filter(pl.col("_avant").is_not_null())
        .select(
            _derived(
                "activations_nettes_mois",
                (pl.col("valeur") - pl.col("_avant")) / pl.col("_ecart"),
                pl.col("_demo"),
            )
        )
    )


def documents_per_user(usage: pl.LazyFrame) -> pl.LazyFrame:
    """`documents_consultes_par_utilisateur` = documents consultés ÷ professionnels ayant consulté au moins un DMP,
    même mois et même territoire (les deux comptés sur les 36 derniers mois)."""
    documents = usage.filter(pl.col("indicateur") == "documents_consultes")
    users = usage.filter(pl.col("indicateur") == "professionnels_ayant_consulte").select(
        "mois", *GEO, pl.col("valeur").alias("_utilisateurs"), pl.col("donnees_demo").alias("_demo")
    )
    return (
        documents.join(users, on=["mois", *GEO], how="inner")
        .filter(pl.col("_utilisateurs") > 0)
        .select(
            _derived(
                "documents_consultes_par_utilisateur",
                pl.col("valeur") / pl.col("_utilisateurs"),
                pl.col("donnees_demo") | pl.col("_demo"),
            )
        )
    )


def usage_indicators(
    usage: pl.LazyFrame, population: pl.LazyFrame, departements: pl.LazyFrame
) -> pl.LazyFrame:
    """Les usages consolidés par territoire et leurs indicateurs dérivés, en forme longue (`calcule` vrai pour les
    dérivés)."""
    consolidated = consolidate(usage, departements)
    derived = pl.concat(
        [
            activation_rate(consolidated, population),
            net_activations(consolidated),
            documents_per_user(consolidated),
        ]
    )
    return (
        pl.concat(
            [
                consolidated.with_columns(pl.lit(False).alias("calcule")),
                derived.with_columns(pl.lit(True).alias("calcule")),
            ]
        )
        .select(OUTPUT)
        .sort("indicateur", "niveau", "code_geo", "mois")
    )
