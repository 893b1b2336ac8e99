"""Ruptures de flux par établissement : les règles `arret`, `baisse` et `equipe_sans_flux` (docs/INDICATEURS.md).

Transformations pures LazyFrame → LazyFrame. Entrée : une ligne par établissement × couloir × mois livré
(`finess`, `code_departement`, `couloir`, `mois`, `documents`) ; un mois sans ligne compte zéro document. Les seuils
viennent de `data/reference/seuils_ruptures.csv`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.settings import REFERENCE_DIR

TYPES = (
    "arret",
    "baisse",
    "equipe_sans_flux",
)  # aussi l'ordre de priorité d'une série qui relève de plusieurs
SERIES_KEYS = ["finess", "couloir"]
ALERT_SCHEMA = {
    "finess": pl.String,
    "code_departement": pl.String,
    "couloir": pl.String,
    "type": pl.String,
    "documents_mois": pl.Int64,
    "reference": pl.Float64,
    "base_reference": pl.String,
    "documents_perdus": pl.Float64,
}


@dataclass(frozen=True)
class Thresholds:
    """Les seuils des règles (voir la colonne `signification` de seuils_ruptures.csv) ; ce fichier seul en donne les
    valeurs (`load_thresholds`), aucune n'est écrite ici."""

    mois_avec_envoi: int
    mois_de_reference: int
    part_de_la_mediane: float
    mediane_minimale: float
    mois_depuis_installation: int
    part_absente_toleree: float

    @property
    def window(self) -> int:
        return max(self.mois_avec_envoi, self.mois_de_reference)


def load_thresholds(path: Path = REFERENCE_DIR / "seuils_ruptures.csv") -> Thresholds:
    values = {
        r["parametre"]: r["valeur"] for r in pl.read_csv(path, infer_schema=False).iter_rows(named=True)
    }
    return Thresholds(
        mois_avec_envoi=int(values["mois_avec_envoi"]),
        mois_de_reference=int(values["mois_de_reference"]),
        part_de_la_mediane=float(values["part_de_la_mediane"]),
        mediane_minimale=float(values["mediane_minimale"]),
        mois_depuis_installation=int(values["mois_depuis_installation"]),
        part_absente_toleree=float(values["part_absente_toleree"]),
    )


def shift_month(month: dt.date, months: int) -> dt.date:
    """Le premier jour du mois `months` mois après (avant, si négatif) celui de `month`."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def window_features(series: pl.LazyFrame, mois: dt.date, thresholds: Thresholds) -> pl.LazyFrame:
    """Par établissement × couloir livré dans la fenêtre : documents du mois M (0 sans ligne), nombre de mois avec envoi
    et moyenne des `mois_avec_envoi` mois précédents, médiane des `mois_de_reference` mois précédents (sans ligne :
    0)."""
    first = shift_month(mois, -thresholds.window)
    # Regroupées par catégories plutôt que par texte (deux fois plus vite sur le million de séries nationales), rendues
    # en texte à la fin : les règles joignent ces clés au répertoire et aux dispositifs SONS.
    keys = [*SERIES_KEYS, "code_departement"]
    in_window = (
        series.filter(pl.col("mois").is_between(first, mois))
        .with_columns(pl.col(keys).cast(pl.Categorical))
        .group_by([*SERIES_KEYS, "mois"])
        .agg(pl.col("documents").sum(), pl.col("code_departement").first())
    )
    months = pl.LazyFrame(
        {
            "mois": [shift_month(mois, -k) for k in range(thresholds.window + 1)],
            "recul": range(thresholds.window + 1),
        }
    )
    grid = (
        in_window.group_by(SERIES_KEYS)
        .agg(pl.col("code_departement").sort_by("mois").last())
        .join(months, how="cross")
        .join(
            in_window.select([*SERIES_KEYS, "mois", "documents", pl.lit(True).alias("livre")]),
            on=[*SERIES_KEYS, "mois"],
            how="left",
        )
        .with_columns(pl.col("documents").fill_null(0), pl.col("livre").fill_null(False))
    )
    recent = pl.col("recul").is_between(1, thresholds.mois_avec_envoi)
    reference = pl.col("recul").is_between(1, thresholds.mois_de_reference)
    return (
        grid.group_by(SERIES_KEYS)
        .agg(
            pl.col("code_departement").first(),
            pl.col("documents").filter(pl.col("recul") == 0).sum().alias("documents_mois"),
            pl.col("livre").filter(pl.col("recul") == 0).any().alias("ligne_mois"),
            (recent & (pl.col("documents") > 0)).sum().alias("mois_avec_envoi"),
            pl.col("documents").filter(recent).mean().alias("moyenne_recente"),
            pl.col("documents").filter(reference).median().alias("mediane_reference"),
        )
        .with_columns(pl.col(keys).cast(pl.String))
    )


def _alerts(frame: pl.LazyFrame, kind: str, reference: pl.Expr, basis: str) -> pl.LazyFrame:
    return frame.select(
        "finess",
        "code_departement",
        "couloir",
        pl.lit(kind).alias("type"),
        pl.col("documents_mois").cast(pl.Int64),
        reference.cast(pl.Float64).alias("reference"),
        pl.lit(basis).alias("base_reference"),
        pl.max_horizontal(reference - pl.col("documents_mois"), pl.lit(0.0))
        .cast(pl.Float64)
        .alias("documents_perdus"),
        (~pl.col("ligne_mois").fill_null(False)).alias("sans_ligne"),
    )


def rule_arret(features: pl.LazyFrame, thresholds: Thresholds) -> pl.LazyFrame:
    """`arret` : au moins un document dans chacun des `mois_avec_envoi` (3) mois précédant M, et aucun en M.
    Référence : la moyenne de ces mois ; documents perdus = référence − documents de M."""
    stopped = features.filter(
        (pl.col("mois_avec_envoi") == thresholds.mois_avec_envoi) & (pl.col("documents_mois") == 0)
    )
    basis = f"moyenne des {thresholds.mois_avec_envoi} mois précédents"
    return _alerts(stopped, "arret", pl.col("moyenne_recente"), basis)


def _below(thresholds: Thresholds) -> pl.Expr:
    return (pl.col("mediane_reference") >= thresholds.mediane_minimale) & (
        pl.col("documents_mois") < thresholds.part_de_la_mediane * pl.col("mediane_reference")
    )


def rule_baisse(features: pl.LazyFrame, thresholds: Thresholds) -> pl.LazyFrame:
    """`baisse` : documents de M sous `part_de_la_mediane` (50 %) de la médiane des `mois_de_reference` (6) mois
    précédents, quand cette médiane atteint `mediane_minimale` (20). Référence : la médiane."""
    basis = f"médiane des {thresholds.mois_de_reference} mois précédents"
    return _alerts(features.filter(_below(thresholds)), "baisse", pl.col("mediane_reference"), basis)


def equipment_by_establishment(
    sons: pl.LazyFrame, directory: pl.LazyFrame, dispositifs: pl.LazyFrame
) -> pl.LazyFrame:
    """Les dispositifs SONS installés de chaque établissement géographique, avec leur couloir : une ligne SONS porte le
    FINESS du bon de commande, géographique ou juridique (maille PMSI) ; juridique, elle vaut pour chacun de ses
    sites."""
    installed = sons.filter(pl.col("date_installation").is_not_null()).join(
        dispositifs.select(pl.col("code").alias("dispositif"), "couloir"), on="dispositif", how="inner"
    )
    sites = directory.select("finess", "finess_juridique", "code_departement")
    by_site = installed.join(sites.drop("finess_juridique"), on="finess", how="inner")
    by_entity = installed.rename({"finess": "finess_juridique"}).join(
        sites.filter(pl.col("finess_juridique").is_not_null()), on="finess_juridique", how="inner"
    )
    columns = ["finess", "code_departement", "couloir", "dispositif", "date_installation"]
    return pl.concat([by_site.select(columns), by_entity.select(columns)]).unique()


def rule_equipe_sans_flux(
    features: pl.LazyFrame, equipment: pl.LazyFrame, mois: dt.date, thresholds: Thresholds
) -> pl.LazyFrame:
    """`equipe_sans_flux` : un dispositif SONS du couloir installé au plus tard le mois M − `mois_depuis_installation`
    (3), et des documents de M nuls (sans ligne compris) ou sous le seuil de `baisse`. Référence : la médiane."""
    installed_by = shift_month(
        mois, -thresholds.mois_depuis_installation + 1
    )  # installé avant ce premier du mois
    equipped = (
        equipment.filter(pl.col("date_installation") < installed_by)
        .group_by(SERIES_KEYS)
        .agg(pl.col("code_departement").first())
    )
    joined = equipped.join(features.drop("code_departement"), on=SERIES_KEYS, how="left").with_columns(
        pl.col("ligne_mois").fill_null(False),
        pl.col("documents_mois").fill_null(0),
        pl.col("mediane_reference").fill_null(0.0),
    )
    silent = joined.filter((pl.col("documents_mois") == 0) | _below(thresholds))
    basis = f"médiane des {thresholds.mois_de_reference} mois précédents"
    return _alerts(silent, "equipe_sans_flux", pl.col("mediane_reference"), basis)


def complete_only(
    alerts: pl.LazyFrame, complete: pl.LazyFrame, mois: dt.date, thresholds: Thresholds
) -> pl.LazyFrame:
    """Les alertes dont le mois M est complet pour le département × couloir (`complete` : `code_departement`,
    `couloir`, `mois`, `attendues`, `livrees`, `complet`). Un établissement qui cesse d'envoyer manque lui-même aux
    contributions attendues : le mois reste examiné si le département l'a livré (une contribution au moins) et si les
    seules absentes sont des séries en alerte, au plus `part_absente_toleree` des attendues (une au moins). Sinon le
    mois est partiel : ni arrêt ni baisse."""
    absent_in_alerts = (
        alerts.filter(pl.col("sans_ligne"))
        .group_by("code_departement", "couloir")
        .agg(pl.col("finess").n_unique().alias("absentes_en_alerte"))
    )
    missing = pl.col("attendues") - pl.col("livrees")
    tolerated = pl.max_horizontal(pl.lit(1.0), thresholds.part_absente_toleree * pl.col("attendues"))
    examined = (
        complete.filter(pl.col("mois") == mois)
        .join(absent_in_alerts, on=["code_departement", "couloir"], how="left")
        .filter(
            pl.col("complet")
            | (
                (pl.col("livrees") > 0)
                & (missing <= pl.col("absentes_en_alerte").fill_null(0))
                & (missing <= tolerated)
            )
        )
        .select("code_departement", "couloir")
        .unique()
    )
    return alerts.join(examined, on=["code_departement", "couloir"], how="semi")


def detect(
    series: pl.LazyFrame,
    equipment: pl.LazyFrame,
    complete: pl.LazyFrame,
    mois: dt.date,
    thresholds: Thresholds,
) -> pl.LazyFrame:
    """Toutes les alertes du mois M, une ligne par règle satisfaite (une série peut en satisfaire plusieurs),
    restreintes aux départements dont M est complet."""
    # Les trois règles lisent les mêmes traits de fenêtre (un million de séries à l'échelle nationale) : calculés une
    # fois, puis partagés, plutôt que recalculés par chaque règle.
    features = window_features(series, mois, thresholds).collect().lazy()
    found = pl.concat(
        [
            rule_arret(features, thresholds),
            rule_baisse(features, thresholds),
            rule_equipe_sans_flux(features, equipment, mois, thresholds),
        ]
    )
    return (
        complete_only(found, complete, mois, thresholds)
        .drop("sans_ligne")
        .with_columns(pl.lit(mois).alias("mois"))
    )


def one_per_series(alerts: pl.LazyFrame) -> pl.LazyFrame:
    """Une alerte par établissement × couloir : la première règle satisfaite dans l'ordre arret, baisse,
    equipe_sans_flux ; `autres_types` dit les autres règles satisfaites."""
    rank = pl.col("type").replace_strict({t: i for i, t in enumerate(TYPES)}, return_dtype=pl.Int8)
    ordered = alerts.with_columns(rank.alias("_rang")).sort([*SERIES_KEYS, "_rang"])
    return ordered.group_by(SERIES_KEYS, maintain_order=True).agg(
        pl.all().exclude("_rang").first(), pl.col("type").slice(1).alias("autres_types")
    )


def mark_new(current: pl.LazyFrame, previous: pl.LazyFrame) -> pl.LazyFrame:
    """`nouvelle` : l'établissement × couloir n'était pas dans la liste du mois précédent (quelle qu'y fût la règle)."""
    before = previous.select(SERIES_KEYS).unique().with_columns(pl.lit(False).alias("nouvelle"))
    return current.join(before, on=SERIES_KEYS, how="left").with_columns(pl.col("nouvelle").fill_null(True))


def rank_by_loss(alerts: pl.LazyFrame) -> pl.LazyFrame:
    """Classées par documents perdus décroissants (à égalité : département, FINESS, couloir)."""
    return alerts.sort(
        ["documents_perdus", "code_departement", "finess", "couloir"], descending=[True, False, False, False]
    )
