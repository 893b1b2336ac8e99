"""Chiffres clés d'un mois et d'un périmètre, lus dans les tables d'indicateurs matérialisées.

Une seule source pour la ligne de commande `kpi`, l'application et les exports : aucun chiffre n'est recalculé ici,
seulement choisi et mis en forme. Une donnée manquante donne None (null en JSON), jamais un chiffre inventé.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.completeness import latest_complete_month, month_status
from pipelines.intake.parsing import ParseError, parse_month_text
from pipelines.warehouse.connection import first_row
from pipelines.warehouse.reference import load_reference


class NoData(LookupError):
    """Mois ou périmètre sans données : le message, en français, le dit."""


def resolve_scope(region: str | None = None, departement: str | None = None) -> tuple[str, str]:
    """(niveau, code) d'après les options ; un nom de région ou de département est accepté comme un code INSEE."""
    reference = load_reference()
    try:
        if region:
            return "region", reference.region(region)
        if departement:
            return "departement", reference.departement(departement)
    except ParseError as exc:
        raise NoData(f"{exc} : « {region or departement} »") from None
    return "pays", "FR"


def parse_month_option(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return parse_month_text(text)
    except ParseError as exc:
        raise NoData(f"--mois « {text} » : {exc}") from None


def latest_month(con: duckdb.DuckDBPyConnection, niveau: str = "pays", code: str = "FR") -> dt.date | None:
    row = first_row(
        con,
        "SELECT max(mois) FROM indicateurs_flux WHERE niveau = ? AND code_geo = ? AND couloir = ?",
        [niveau, code, ALL_COULOIRS],
    )
    return row[0] if row else None


def _iso_month(value: dt.date | None) -> str | None:
    return f"{value:%Y-%m}" if value else None


def _number(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def key_figures(
    con: duckdb.DuckDBPyConnection, mois: dt.date | None = None, niveau: str = "pays", code: str = "FR"
) -> dict[str, Any]:
    """Les chiffres clés (voir docs/INDICATEURS.md) pour `mois` (défaut : dernier mois complet du périmètre) et le
    périmètre ; `complet` et `couverture` disent si le mois est complet (sinon provisoire) et ce qui est livré."""
    month = mois or latest_complete_month(con, niveau, code)
    if month is None:
        latest = latest_month(con, niveau, code)
        if latest is None:
            raise NoData(f"aucun flux dans l'entrepôt pour le périmètre {niveau} {code}")
        raise NoData(
            f"aucun mois complet pour le périmètre {niveau} {code} (dernier mois livré, provisoire : "
            f"{formats.month(latest)} ; précisez --mois pour le voir)"
        )
    rows = con.execute(
        "SELECT * FROM indicateurs_flux WHERE mois = ? AND niveau = ? AND code_geo = ?", [month, niveau, code]
    ).fetchall()
    if not rows:
        available = latest_month(con, niveau, code)
        hint = f" (dernier mois disponible : {formats.month(available)})" if available else ""
        raise NoData(f"aucune donnée pour {formats.month(month)} sur le périmètre {niveau} {code}{hint}")
    assert con.description is not None
    columns = [d[0] for d in con.description]
    by_couloir = {r[columns.index("couloir")]: dict(zip(columns, r, strict=True)) for r in rows}
    total = by_couloir[ALL_COULOIRS]
    trajectory = _trajectory(con, niveau, code, month)
    status = month_status(con, niveau, code, month)
    perimetre = "France" if niveau == "pays" else f"{total['libelle_geo']} ({code})"
    return {
        "mois": _iso_month(month),
        "perimetre": perimetre,
        "niveau": niveau,
        "code_geo": code,
        "documents_mois": total["documents"],
        "flux_annualise": total["flux_annualise"],
        "cumul_12_mois": total["cumul_12_mois"],
        "cible_annuelle": _number(total["cible"]),
        "echeance_cible": total["echeance_cible"].isoformat() if total["echeance_cible"] else None,
        "taux_atteinte_cible": total["taux_atteinte_cible"],
        "ecart_cible_mensuel": _number(total["ecart_cible_mensuel"]),
        "population": total["population"],
        "annee_population": total["annee_population"],
        "documents_par_habitant_an": total["documents_par_habitant_an"],
        "parts_couloir": {
            c: v["part_couloir"]
            for c, v in sorted(by_couloir.items())
            if c != ALL_COULOIRS and v["part_couloir"] is not None
        },
        "documents_couloir": {c: v["documents"] for c, v in sorted(by_couloir.items()) if c != ALL_COULOIRS},
        "evolution_1_mois": total["evolution_1_mois"],
        "evolution_12_mois": total["evolution_12_mois"],
        "mois_reference_cosui": _iso_month(total["mois_reference_cosui"]),
        "evolution_depuis_cosui": total["evolution_depuis_cosui"],
        "mois_base": _iso_month(total["mois_base"]),
        "multiplicateur_depuis_base": total["multiplicateur_depuis_base"],
        "non_ventile": total["non_ventile"],
        "statut_cible": trajectory.get("statut"),
        "mois_premiere_atteinte_cible": _iso_month(trajectory.get("mois_premiere_atteinte")),
        "projection_atteinte_cible": _iso_month(trajectory.get("mois_atteinte_projete")),
        "projection_intervalle": [
            _iso_month(trajectory.get("mois_atteinte_tot")),
            _iso_month(trajectory.get("mois_atteinte_tard")),
        ]
        if trajectory.get("mois_atteinte_projete")
        else None,
        "donnees_demo": bool(any(v["donnees_demo"] for v in by_couloir.values())),
        "complet": bool(status["complet"]),
        "couverture": _coverage(status),
    }


def _coverage(status: dict[str, Any]) -> dict[str, Any]:
    """Contributions attendues et livrées (docs/INDICATEURS.md, « Complétude »), sous-niveaux et couloirs livrés."""
    return {
        "attendues": status.get("attendues"),
        "livrees": status.get("livrees"),
        "niveau_enfants": status.get("niveau_enfants"),
        "enfants_attendus": status.get("enfants_attendus"),
        "enfants_livres": status.get("enfants_livres"),
        "couloirs_attendus": status.get("couloirs_attendus"),
        "couloirs_livres": status.get("couloirs_livres"),
        "mois_en_cours": bool(status.get("en_cours")),
    }


def _trajectory(con: duckdb.DuckDBPyConnection, niveau: str, code: str, month: dt.date) -> dict[str, Any]:
    """Trajectoire de la cible tous couloirs, seulement quand `month` est le dernier mois de la série (la projection
    part toujours du dernier mois connu)."""
    row = first_row(
        con,
        "SELECT * FROM trajectoires WHERE niveau = ? AND code_geo = ? AND couloir = ? AND mois_dernier = ?",
        [niveau, code, ALL_COULOIRS, month],
    )
    if row is None:
        return {}
    assert con.description is not None
    return dict(zip([d[0] for d in con.description], row, strict=True))
