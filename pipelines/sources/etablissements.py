"""Source « etablissements » : le répertoire des établissements (FINESS géographique et juridique, raison sociale,
catégorie, département), pour que les listes montrent des noms et des catégories, pas des numéros.

Reconnaît les colonnes de l'extraction publique du fichier FINESS (`nofinesset`, `nofinessej`, `rs`, `categetab`,
`libcategetab`, `departement`) comme des en-têtes en clair. Une ligne par établissement géographique ; une nouvelle
livraison du même FINESS remplace la précédente.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.intake.reading import RawTable
from pipelines.intake.validation import Column, Context, rule_problems
from pipelines.sources.declaration import Source

COLUMNS = (
    Column(
        "finess",
        "finess",
        aliases=(
            "nofinesset",
            "finess_geographique",
            "finess_et",
            "n_finess_et",
            "numero_finess_et",
            "numero_finess",
            "n_finess",
            "finess_etablissement",
            "no_finess_et",
        ),
    ),
    Column(
        "finess_juridique",
        "finess",
        required=False,
        aliases=(
            "nofinessej",
            "finess_ej",
            "n_finess_ej",
            "numero_finess_ej",
            "finess_entite_juridique",
            "no_finess_ej",
        ),
    ),
    Column(
        "raison_sociale",
        "text",
        aliases=(
            "rs",
            "rslongue",
            "raison_sociale_longue",
            "nom",
            "nom_etablissement",
            "denomination",
            "libelle_etablissement",
        ),
    ),
    Column(
        "categorie",
        "text",
        required=False,
        aliases=("categetab", "code_categorie", "categorie_etablissement", "code_categorie_etablissement"),
    ),
    Column(
        "libelle_categorie",
        "text",
        required=False,
        aliases=("libcategetab", "libelle_categorie_etablissement", "categorie_libelle"),
    ),
    DEPARTEMENT := Column(
        "departement", "departement", aliases=("code_departement", "dep", "dept", "code_dep")
    ),
)
KEYS = ("finess",)
VALUES = ("finess_juridique", "raison_sociale", "categorie", "libelle_categorie", "code_departement")
# La table brute garde aussi la région de rattachement, déduite du département (`rules`).
LOAD_COLUMNS = ("ligne", *KEYS, *VALUES, "code_region")
# L'extraction FINESS code les départements d'outre-mer sur deux caractères (9A = Guadeloupe … 9F = Mayotte).
FINESS_OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9F": "976"}


def detect(headers: Sequence[str]) -> bool:
    # Un fichier de flux par établissement porte aussi FINESS et département : il a des mois et des documents.
    from pipelines.sources import flux

    return SOURCE.has_required(headers) and not flux.SOURCE.recognised(headers) & {"mois", "documents"}


def overseas_codes(table: RawTable) -> RawTable:
    """Les codes FINESS des départements d'outre-mer (9A … 9F) remplacés par leur code INSEE (971 … 976)."""
    column = next((h for h in table.headers if DEPARTEMENT.matches(h)), None)
    if column is None:
        return table
    code = pl.col(column).cast(pl.String).str.strip_chars().str.to_uppercase()
    frame = table.frame.with_columns(
        pl.when(code.is_in(list(FINESS_OVERSEAS)))
        .then(code.replace_strict(FINESS_OVERSEAS, default=None))
        .otherwise(pl.col(column).cast(pl.String))
        .alias(column)
    )
    return RawTable(table.name, frame, table.headers, table.notes)


def rules(
    values: pl.DataFrame, origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Catégorie FINESS à trois chiffres ; département et région de rattachement de chaque établissement."""
    values = values.with_columns(pl.col(c).cast(pl.String) for c in (*KEYS, *VALUES[:4], "departement"))
    problems = [
        rule_problems(
            values,
            pl.col("categorie").is_not_null() & ~pl.col("categorie").str.contains(r"^\d{3}$"),
            origins.get("categorie", "categorie"),
            pl.col("categorie"),
            pl.lit("catégorie d'établissement FINESS illisible (trois chiffres attendus, par exemple 355)"),
        ),
    ]
    region_of = {code: region for code, (_, region) in ctx.reference.departements.items()}
    values = values.with_columns(
        pl.col("departement").alias("code_departement"),
        pl.col("departement")
        .replace_strict(region_of, default=None, return_dtype=pl.String)
        .alias("code_region"),
    )
    return values, problems


SOURCE = Source(
    kind="etablissements",
    label="Répertoire des établissements (FINESS)",
    columns=COLUMNS,
    keys=KEYS,
    values=VALUES,
    load_columns=LOAD_COLUMNS,
    rules=rules,
    detects=detect,
    reshape=overseas_codes,
)
