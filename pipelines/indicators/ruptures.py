"""Ruptures de flux par établissement : les règles `arret`, `baisse` et `equipe_sans_flux` (docs/INDICATEURS.md).

Transformations pures LazyFrame → LazyFrame. Entrée : une ligne par établissement × couloir × mois livré
(`finess`, `code_departement`, `couloir`, `mois`, `documents`) ; un mois sans ligne compte zéro document. Les seuils
viennent de `data/reference/seuils_ruptures.csv`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.settings import REFERENCE_DIR

TYPES = (
    "arret",
    "baisse",
    "equipe_sans_flux",
)  # aussi l'ordre de priorité d'une série qui relève de plusieurs
SERIES_KEYS = ["finess", "couloir"]


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
    thresholds = Thresholds(
        mois_avec_envoi=int(values["mois_avec_envoi"]),
        mois_de_reference=int(values["mois_de_reference"]),
        part_de_la_mediane=float(values["part_de_la_mediane"]),
        mediane_minimale=float(values["mediane_minimale"]),
        mois_depuis_installation=int(values["mois_depuis_installation"]),
        part_absente_toleree=float(values["part_absente_toleree"]),
    )
    for name in ("mois_avec_envoi", "mois_de_reference"):
        if getattr(thresholds, name) < 1:
            raise ValueError(f"{path.name} : « {name} » doit valoir au moins 1 mois (lu : {values[name]})")
    return thresholds


def shift_month(month: dt.date, months: int) -> dt.date:
    """Le premier jour du mois `months` mois après (avant, si négatif) celui de `month`."""
    index = _rank(month) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _rank(month: dt.date) -> int:
    """Le rang du mois depuis janvier de l'an 0."""
    return month.year * 12 + month.month - 1


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    return [shift_month(first, k) for k in range(_rank(last) - _rank(first) + 1)]


FEATURE_SCHEMA = {
    "finess": pl.String,
    "couloir": pl.String,
    "code_departement": pl.String,
    "mois": pl.Date,
    "documents_mois": pl.Int64,
    "ligne_mois": pl.Boolean,
    "mois_avec_envoi": pl.UInt32,
    "moyenne_recente": pl.Float64,
    "mediane_reference": pl.Float64,
}


def window_features(
    series: pl.LazyFrame, mois: dt.date, thresholds: Thresholds, last: dt.date | None = None
) -> pl.LazyFrame:
    """Par établissement × couloir et par mois M, de `mois` à `last` (M seul par défaut), pour chaque série livrée dans
    la fenêtre M − `window` … M : documents de M (0 sans ligne), nombre de mois avec envoi et moyenne des
    `mois_avec_envoi` mois précédents, médiane des `mois_de_reference` mois précédents (sans ligne : 0)."""
    # Chaque valeur a sa case dans un tableau série × mois : « les k mois précédents » sont les k colonnes à gauche.
    # Ni jointure sur une grille de mois ni regroupement par clé, qui coûtaient 0,4 s par mois sur le million de
    # lignes d'une fenêtre nationale. La mémoire croît avec les mois examinés (une dizaine d'entiers par série et par
    # mois) : les pages et la commande en examinent deux, le mois et le précédent.
    last = last or mois
    if last < mois:
        raise ValueError(f"mois examinés vides : {last:%Y-%m} précède {mois:%Y-%m}")
    start = shift_month(mois, -thresholds.window)
    rows = (
        series.filter(pl.col("mois").is_between(start, last))
        .select(*SERIES_KEYS, "code_departement", "mois", pl.col("documents").fill_null(0))
        .sort([*SERIES_KEYS, "mois"])
        .with_columns(
            # Une série commence à la première ligne et là où une clé change (une clé nulle compte comme valeur).
            (
                pl.any_horizontal(
                    pl.int_range(pl.len()) == 0,
                    *(pl.col(k).ne_missing(pl.col(k).shift(1)) for k in SERIES_KEYS),
                ).cum_sum()
                - 1
            )
            .cast(pl.Int64)
            .alias("_serie"),
            (
                pl.col("mois").dt.year().cast(pl.Int64) * 12
                + pl.col("mois").dt.month().cast(pl.Int64)
                - 1
                - _rank(start)
            ).alias("_position"),
        )
        .collect()
    )
    if rows.height == 0:
        return pl.LazyFrame(schema=FEATURE_SCHEMA)
    months = _months(start, last)
    serie = rows["_serie"].to_numpy()
    cells = serie * len(months) + rows["_position"].to_numpy()
    shape = (int(serie[-1]) + 1, len(months))
    values = np.zeros(shape, dtype=np.int64)
    np.add.at(values.reshape(-1), cells, rows["documents"].to_numpy())
    delivered = np.zeros(shape, dtype=bool)
    delivered.reshape(-1)[cells] = True
    # La dernière ligne de la série jusqu'à chaque mois : son département.
    latest_row = np.full(shape, -1, dtype=np.int64)
    latest_row.reshape(-1)[cells] = np.arange(rows.height)
    latest_row = np.maximum.accumulate(latest_row, axis=1)

    window = thresholds.window
    examined = slice(window, None)  # les mois M, de `mois` à `last`

    def months_before(k: int) -> np.ndarray:
        return values[:, window - k : len(months) - k]

    recent = np.stack([months_before(k) for k in range(1, thresholds.mois_avec_envoi + 1)])
    reference = np.stack([months_before(k) for k in range(1, thresholds.mois_de_reference + 1)], axis=-1)
    # Une série entre dans les traits du mois M si elle a une ligne dans sa fenêtre M − `window` … M.
    in_window = np.logical_or.reduce([delivered[:, window - k : len(months) - k] for k in range(window + 1)])
    at_serie, at_month = np.nonzero(in_window)
    first_row = np.searchsorted(serie, np.arange(shape[0]))
    return pl.DataFrame(
        {
            **{key: rows[key].gather(first_row[at_serie]) for key in SERIES_KEYS},
            "code_departement": rows["code_departement"].gather(latest_row[:, examined][at_serie, at_month]),
            "mois": pl.Series(months[window:], dtype=pl.Date).gather(at_month),
            "documents_mois": values[:, examined][at_serie, at_month],
            "ligne_mois": delivered[:, examined][at_serie, at_month],
            "mois_avec_envoi": (recent > 0).sum(axis=0)[at_serie, at_month].astype(np.uint32),
            "moyenne_recente": recent.sum(axis=0)[at_serie, at_month] / thresholds.mois_avec_envoi,
            "mediane_reference": np.median(reference[at_serie, at_month], axis=-1),
        },
        schema=FEATURE_SCHEMA,
    ).lazy()


def _alerts(frame: pl.LazyFrame, kind: str, reference: pl.Expr, basis: str) -> pl.LazyFrame:
    return frame.select(
        "finess",
        "code_departement",
        "couloir",
        "mois",
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
    features: pl.LazyFrame,
    equipment: pl.LazyFrame,
    mois: dt.date,
    thresholds: Thresholds,
    last: dt.date | None = None,
) -> pl.LazyFrame:
    """`equipe_sans_flux` : un dispositif SONS du couloir installé au plus tard le mois M − `mois_depuis_installation`
    (3), et des documents de M nuls (sans ligne compris) ou sous le seuil de `baisse`. Référence : la médiane."""
    examined = _months(mois, last or mois)
    months = pl.LazyFrame(
        {
            "mois": examined,
            # installé avant ce premier du mois
            "_installe_avant": [shift_month(m, -thresholds.mois_depuis_installation + 1) for m in examined],
        }
    )
    equipped = (
        equipment.group_by(SERIES_KEYS)
        .agg(pl.col("code_departement").first(), pl.col("date_installation").min())
        .join(months, how="cross")
        .filter(pl.col("date_installation") < pl.col("_installe_avant"))
        .select(*SERIES_KEYS, "code_departement", "mois")
    )
    joined = equipped.join(
        features.drop("code_departement"), on=[*SERIES_KEYS, "mois"], how="left"
    ).with_columns(
        pl.col("ligne_mois").fill_null(False),
        pl.col("documents_mois").fill_null(0),
        pl.col("mediane_reference").fill_null(0.0),
    )
    silent = joined.filter((pl.col("documents_mois") == 0) | _below(thresholds))
    basis = f"médiane des {thresholds.mois_de_reference} mois précédents"
    return _alerts(silent, "equipe_sans_flux", pl.col("mediane_reference"), basis)


def complete_only(
    alerts: pl.LazyFrame,
    complete: pl.LazyFrame,
    mois: dt.date,
    thresholds: Thresholds,
    last: dt.date | None = None,
) -> pl.LazyFrame:
    """Les alertes dont le mois M (de `mois` à `last`) est complet pour le département × couloir (`complete` :
    `code_departement`, `couloir`, `mois`, `attendues`, `livrees`, `complet`). Un établissement qui cesse d'envoyer
    manque lui-même aux contributions attendues : le mois reste examiné si le département l'a livré (une contribution
    au moins) et si les seules absentes sont des séries en alerte, au plus `part_absente_toleree` des attendues (une
    au moins). Sinon le mois est partiel : ni arrêt ni baisse."""
    scope = ["code_departement", "couloir", "mois"]
    absent_in_alerts = (
        alerts.filter(pl.col("sans_ligne"))
        .group_by(scope)
        .agg(pl.col("finess").n_unique().alias("absentes_en_alerte"))
    )
    missing = pl.col("attendues") - pl.col("livrees")
    tolerated = pl.max_horizontal(pl.lit(1.0), thresholds.part_absente_toleree * pl.col("attendues"))
    examined = (
        complete.filter(pl.col("mois").is_between(mois, last or mois))
        .join(absent_in_alerts, on=scope, how="left")
        .filter(
            pl.col("complet")
            | (
                (pl.col("livrees") > 0)
                & (missing <= pl.col("absentes_en_alerte").fill_null(0))
                & (missing <= tolerated)
            )
        )
        .select(scope)
        .unique()
    )
    return alerts.join(examined, on=scope, how="semi")


def detect(
    series: pl.LazyFrame,
    equipment: pl.LazyFrame,
    complete: pl.LazyFrame,
    mois: dt.date,
    thresholds: Thresholds,
    last: dt.date | None = None,
) -> pl.LazyFrame:
    """Toutes les alertes de chaque mois M, de `mois` à `last` (M seul par défaut), une ligne par règle satisfaite (une
    série peut en satisfaire plusieurs), restreintes aux départements dont M est complet."""
    # Les trois règles lisent les mêmes traits de fenêtre (un million de séries à l'échelle nationale) : calculés une
    # fois, pour tous les mois examinés, puis partagés.
    features = window_features(series, mois, thresholds, last)
    found = pl.concat(
        [
            rule_arret(features, thresholds),
            rule_baisse(features, thresholds),
            rule_equipe_sans_flux(features, equipment, mois, thresholds, last),
        ]
    )
    return complete_only(found, complete, mois, thresholds, last).drop("sans_ligne")


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
