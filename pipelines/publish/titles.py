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


def leaders(frame: pl.DataFrame, column: str) -> list[dict[str, object]]:
    """Les lignes de plus forte valeur de `column`, ex aequo ensemble, quand au moins deux lignes ont une valeur :
    « en tête » ne veut rien dire sans comparaison (aucune ligne rendue sinon)."""
    valued = frame.filter(pl.col(column).is_not_null())
    if valued.height < 2:
        return []
    return valued.filter(pl.col(column) == valued[column].max()).to_dicts()


def _names(rows: list[dict[str, object]], key: str, label: dict[str, str] | None = None) -> str:
    names = sorted(str(row[key]) for row in rows)
    return " et ".join((label or {}).get(name, name) for name in names)


def couloir_leader(month_rows: pl.DataFrame, month: str, provisional: bool, labels: dict[str, str]) -> str:
    """« Biologie médicale en tête en octobre 2025 : 36 % des documents » : le couloir de plus forte part du mois,
    s'il est complet (un mois provisoire n'a pas toutes ses contributions) et qu'au moins deux couloirs comptent."""
    top = [] if provisional else leaders(month_rows, "part_couloir")
    if not top:
        return "Documents par couloir"
    each = " chacun" if len(top) > 1 else ""
    return (
        f"{_names(top, 'couloir', labels)} en tête en {month} : "
        f"{formats.percent(float(top[0]['part_couloir']), 0)} des documents{each}"  # type: ignore[arg-type]
    )


def territory_leader(
    frame: pl.DataFrame,
    column: str,
    unit: str,
    digits: int,
    provisional: bool,
    neutral: str,
    within: str = "",
) -> str:
    """« Bretagne en tête : 7,9 documents/habitant/an » (ou « … en tête en Bretagne » pour les départements d'une
    région) : le territoire de plus forte valeur, sur un mois complet et parmi au moins deux valeurs ; `neutral`
    sinon."""
    top = [] if provisional else leaders(frame, column)
    if not top:
        return neutral
    where = f" en {within}" if within else ""
    value = formats.decimal(float(top[0][column]), digits)  # type: ignore[arg-type]
    return f"{_names(top, 'libelle_geo')} en tête{where} : {value} {unit}"


def sunes_best_domain(snapshot: pl.DataFrame, labels: dict[str, str]) -> str:
    """« D1 – … le plus validé : 64 % des ES engagés » : le domaine de plus fort taux de validation, parmi au moins
    deux domaines chiffrés (ex aequo : « les plus validés »)."""
    top = leaders(snapshot, "taux_validation")
    if not top:
        return "Établissements engagés et validés"
    which = "les plus validés" if len(top) > 1 else "le plus validé"
    share = formats.percent(float(top[0]["taux_validation"]), 0)  # type: ignore[arg-type]
    return f"{_names(top, 'domaine', labels)} {which} : {share} des ES engagés"
