"""Règles de diffusion publique : séries internes, secret statistique, neutralisation des formules de tableur.

Transformations pures sur des DataFrames Polars, appliquées à tout fichier public (open data, page HTML, images).
"""

from __future__ import annotations

import polars as pl

from pipelines.settings import REFERENCE_DIR

MASK_TEXT = "< 11"
MASK_MIN, MASK_MAX = 1, 10
MASKED_LEVELS = ("departement", "etablissement")
# Colonnes qui révèlent le compte masqué (directement ou par un rapport) : effacées sur une ligne masquée.
COUNT_COLUMNS = (
    "documents",
    "flux_annualise",
    "cumul_12_mois",
    "documents_ventiles",
    "non_ventile",
    "documents_m1",
    "documents_m12",
)
DERIVED_COLUMNS = (
    "documents_par_habitant_an", "part_couloir", "evolution_1_mois", "evolution_12_mois", "evolution_depuis_cosui",
    "multiplicateur_depuis_base", "taux_atteinte_cible", "ecart_cible_mensuel",
)  # fmt: skip
FORMULA_START = r"^[=+\-@\t\r]"


def internal_rules() -> pl.DataFrame:
    """Séries internes déclarées dans `data/reference/diffusion.csv` (table, colonne, valeur, motif)."""
    return pl.read_csv(REFERENCE_DIR / "diffusion.csv", infer_schema=False)


def drop_internal(frame: pl.DataFrame, table: str, rules: pl.DataFrame) -> pl.DataFrame:
    """Retire les lignes des séries marquées internes pour cette table : elles ne quittent jamais l'entrepôt."""
    for rule in rules.filter(pl.col("table") == table).iter_rows(named=True):
        if rule["colonne"] in frame.columns:
            frame = frame.filter(pl.col(rule["colonne"]).cast(pl.String).fill_null("") != rule["valeur"])
    return frame


def mask_small_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """Secret statistique : aux niveaux département et établissement, un nombre de documents de 1 à 10 est masqué.
    La ligne garde `masque_secret_statistique = vrai`, ses comptes et les rapports qui les révèlent deviennent nuls."""
    if "documents" not in frame.columns or "niveau" not in frame.columns:
        return frame
    secret = pl.col("niveau").is_in(MASKED_LEVELS) & pl.col("documents").is_between(MASK_MIN, MASK_MAX)
    masked = frame.with_columns(secret.alias("masque_secret_statistique"))
    hidden = [c for c in (*COUNT_COLUMNS, *DERIVED_COLUMNS) if c in frame.columns]
    masked = masked.with_columns(
        [
            pl.when(pl.col("masque_secret_statistique")).then(None).otherwise(pl.col(c)).alias(c)
            for c in hidden
        ]
    )
    # Le compte d'un mois antérieur, repris sur la ligne suivante (documents_m1, documents_m12) et l'évolution qui
    # en découle, le révéleraient aussi.
    for earlier, ratio in (("documents_m1", "evolution_1_mois"), ("documents_m12", "evolution_12_mois")):
        if earlier in masked.columns:
            small = pl.col("niveau").is_in(MASKED_LEVELS) & pl.col(earlier).is_between(MASK_MIN, MASK_MAX)
            masked = masked.with_columns(
                [
                    pl.when(small).then(None).otherwise(pl.col(c)).alias(c)
                    for c in (ratio, earlier)
                    if c in masked.columns
                ]
            )
    return masked


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Un texte qui commence par = + - @ (ou une tabulation) est préfixé d'une apostrophe : aucun tableur ne
    l'exécutera comme une formule."""
    text_columns = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.contains(FORMULA_START))
            .then(pl.lit("'") + pl.col(c))
            .otherwise(pl.col(c))
            .alias(c)
            for c in text_columns
        ]
    )


def spreadsheet_view(frame: pl.DataFrame) -> pl.DataFrame:
    """Vue tableur : les comptes masqués s'écrivent « < 11 » (colonnes texte), pour CSV et XLSX."""
    if "masque_secret_statistique" not in frame.columns:
        return frame
    counts = [c for c in COUNT_COLUMNS if c in frame.columns]
    return frame.with_columns(
        [
            pl.when(pl.col("masque_secret_statistique"))
            .then(pl.lit(MASK_TEXT) if c == "documents" else pl.lit(None, dtype=pl.String))
            .otherwise(pl.col(c).cast(pl.String))
            .alias(c)
            for c in counts
        ]
    )
