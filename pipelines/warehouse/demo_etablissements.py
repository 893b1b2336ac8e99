"""Établissements de démonstration : un répertoire FINESS, leurs flux mensuels par couloir et type de document, et
SONS par établissement — déterministes, étiquetés `donnees_demo` comme tout ce qui est généré.

Les flux d'un établissement sont une part du flux de démonstration de son département (`demo.demo_flux`) : la somme
des établissements d'un département × couloir reste sous la valeur déclarée du département, qui seule fait les
chiffres agrégés (le reste apparaît en « non ventilé »). Quelques établissements cessent d'envoyer, baissent, ou sont
équipés par SONS sans alimenter (`PLANTED`) : la page « Établissements » et `python -m pipelines ruptures` les montrent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pipelines.intake.validation import finess_with_key
from pipelines.settings import REFERENCE_DIR
from pipelines.warehouse.demo import LAST_MONTH, _largest_remainder, _months, _unit, departement_weights
from pipelines.warehouse.reference import load_reference

# Dix mois : les règles de rupture du dernier mois et du précédent en lisent huit (7 + 1). Chaque mois de plus
# grossit le paquet de transparence (mesuré : 3 000 établissements sur 13 mois doublaient le temps de `export`, le
# classeur des établissements s'écrivant cellule par cellule).
FIRST_MONTH = dt.date(2025, 1, 1)
TARGET_COUNT = 2500
# Part des établissements de chaque catégorie, et les couloirs qu'ils alimentent (hypothèse de démonstration).
CATEGORY_MIX: dict[str, tuple[float, tuple[str, ...]]] = {
    "355": (0.20, ("HOP", "BIO", "RAD")),
    "365": (0.15, ("HOP", "RAD")),
    "611": (0.25, ("BIO",)),
    "620": (0.15, ("PHA",)),
    "500": (0.20, ("MS",)),
    "124": (0.05, ("MDV",)),
}
CHR = (
    "101"  # un par région, dans son département le plus peuplé : mêmes couloirs qu'un CH, cinq fois plus gros
)
NAME_PREFIX = {
    "101": "CHU démo",
    "355": "Centre hospitalier démo",
    "365": "Clinique démo",
    "611": "Laboratoire démo",
    "620": "Pharmacie démo",
    "500": "EHPAD démo",
    "124": "Centre de santé démo",
}
# Part du flux d'un département × couloir envoyée par ses établissements du répertoire (le reste : non ventilé).
ATTRIBUTED_SHARE = {"HOP": 0.85, "BIO": 0.6, "RAD": 0.35, "PHA": 0.25, "MS": 0.5, "MDV": 0.03}
# Les documents hospitaliers sont livrés par type ; les autres couloirs, en total « tous types ».
HOP_TYPES = {"CRH": 0.5, "LL": 0.35, "CRO": 0.15}
# Dispositifs SONS vague 1 installés par catégorie (part des établissements équipés), sous les installations
# publiées de la vague 1 (`sons_publie.csv` : 317 SGL, 851 RIS, 2 015 DPI…).
SONS_V1 = {
    "101": (("DPI", 1.0), ("RIS", 1.0)),
    "355": (("DPI", 0.8), ("RIS", 0.5)),
    "365": (("DPI", 0.7),),
    "611": (("SGL", 0.3),),
    "620": (("LGO", 0.7),),
    "500": (("MS1", 0.55),),
}
SONS_PRICE = {"DPI": 30_000.0, "RIS": 12_000.0, "SGL": 9_000.0, "LGO": 800.0, "MS1": 3_000.0}
# Départements où chaque situation est toujours plantée (Seine-Saint-Denis, La Réunion) : le parcours régional.
ALWAYS_IN = ("93", "974")


@dataclass(frozen=True)
class Planted:
    """Les situations plantées dans la démonstration, par (FINESS, couloir) : ce que les règles doivent trouver."""

    arret: tuple[tuple[str, str], ...]  # plus rien au dernier mois (sans ligne, ou une ligne à zéro)
    baisse: tuple[tuple[str, str], ...]  # le dernier mois à 30 % de l'habitude
    baisse_continue: tuple[
        tuple[str, str], ...
    ]  # en baisse depuis l'avant-dernier mois (donc pas « nouvelle »)
    sans_flux: tuple[str, ...]  # équipés d'un DPI, n'ont jamais envoyé de documents hospitaliers


@dataclass(frozen=True)
class Establishment:
    finess: str
    finess_juridique: str
    raison_sociale: str
    categorie: str
    departement: str
    couloirs: tuple[str, ...]
    size: float
    first_month: dt.date


def _finess(departement: str, number: int, juridique: bool) -> str:
    if len(departement) == 2:
        body = f"{departement}{1 if juridique else 0}{number:05d}"
    else:  # outre-mer : les trois chiffres du département
        body = f"{departement}{number + (50_000 if juridique else 0):05d}"
    return finess_with_key(body)


def directory() -> list[Establishment]:
    """Le répertoire de démonstration : environ 2 500 établissements répartis selon le poids des départements."""
    reference = load_reference()
    weights = departement_weights()
    total = sum(weights.values())
    largest_of_region: dict[str, str] = {}
    for dep, weight in weights.items():
        region = reference.region_of(dep)
        if region not in largest_of_region or weight > weights[largest_of_region[region]]:
            largest_of_region[region] = dep
    months = _months(FIRST_MONTH, LAST_MONTH)
    establishments = []
    for dep in sorted(weights):
        count = max(6, round(TARGET_COUNT * weights[dep] / total))
        mix = {c: share for c, (share, _) in CATEGORY_MIX.items()}
        categories = _largest_remainder(count, mix)
        if largest_of_region[reference.region_of(dep)] == dep:
            categories[CHR] = 1
        number = 0
        for categorie in sorted(categories):
            for rank in range(categories[categorie]):
                number += 1
                couloirs = CATEGORY_MIX[categorie][1] if categorie in CATEGORY_MIX else CATEGORY_MIX["355"][1]
                draw = _unit("etab", dep, categorie, rank)
                # Un sur cinq commence à envoyer en cours de période (montée en charge du programme).
                start = months[int(_unit("debut", dep, categorie, rank) * 6)] if draw < 0.2 else FIRST_MONTH
                establishments.append(
                    Establishment(
                        finess=_finess(dep, number, juridique=False),
                        finess_juridique=_finess(dep, number, juridique=True),
                        raison_sociale=f"{NAME_PREFIX[categorie]} {reference.departements[dep][0]} {rank + 1}",
                        categorie=categorie,
                        departement=dep,
                        couloirs=couloirs,
                        size=(5.0 if categorie == CHR else 1.0) * (0.3 + 1.4 * draw),
                        first_month=start,
                    )
                )
    return establishments


def _pick(candidates: list[tuple[str, str, str]], salt: str, count: int) -> tuple[tuple[str, str], ...]:
    """`count` (FINESS, couloir) tirés parmi les candidats (FINESS, couloir, département), dont un dans chaque
    département de `ALWAYS_IN`, jamais deux fois le même FINESS."""
    ranked = sorted(candidates, key=lambda c: _unit(salt, c[0], c[1]))
    chosen: list[tuple[str, str]] = []
    for dep in ALWAYS_IN:
        first = next((c for c in ranked if c[2] == dep), None)
        if first:
            chosen.append((first[0], first[1]))
    for finess, couloir, _ in ranked:
        if len(chosen) >= count:
            break
        if all(finess != f for f, _ in chosen):
            chosen.append((finess, couloir))
    return tuple(chosen)


def planted(establishments: list[Establishment]) -> Planted:
    """Les situations plantées : établissements assez gros et présents depuis le début, hors départements en
    rupture dans la démonstration (leurs flux sont déjà à zéro)."""
    from pipelines.warehouse.demo import RUPTURES

    stopped_deps = {d for d, _, _ in RUPTURES}
    steady = [
        (e.finess, c, e.departement)
        for e in establishments
        if e.first_month == FIRST_MONTH and e.size > 0.8 and e.departement not in stopped_deps
        for c in e.couloirs
        if c in ("HOP", "BIO", "RAD", "MS")
    ]
    arret = _pick(steady, "arret", 14)
    taken = {f for f, _ in arret}
    baisse = _pick([c for c in steady if c[0] not in taken], "baisse", 14)
    taken |= {f for f, _ in baisse}
    continuing = _pick([c for c in steady if c[0] not in taken], "baisse-continue", 4)[2:]
    taken |= {f for f, _ in continuing}
    clinics = [
        (e.finess, "HOP", e.departement)
        for e in establishments
        if e.categorie == "365" and e.finess not in taken and e.departement not in stopped_deps
    ]
    sans_flux = tuple(f for f, _ in _pick(clinics, "sans-flux", 10))
    return Planted(arret, baisse, continuing, sans_flux)


def demo_directory(establishments: list[Establishment]) -> pl.DataFrame:
    """Le répertoire au format de l'extraction FINESS (en-têtes `nofinesset`, `rs`, `categetab`…)."""
    labels = dict(
        pl.read_csv(REFERENCE_DIR / "categories_finess.csv", infer_schema=False)
        .select("code", "libelle")
        .iter_rows()
    )
    return pl.DataFrame(
        {
            "nofinesset": [e.finess for e in establishments],
            "nofinessej": [e.finess_juridique for e in establishments],
            "rs": [e.raison_sociale for e in establishments],
            "categetab": [e.categorie for e in establishments],
            "libcategetab": [labels[e.categorie] for e in establishments],
            "departement": [e.departement for e in establishments],
        }
    )


def demo_establishment_flux(
    establishments: list[Establishment], departement_flux: pl.DataFrame, plants: Planted
) -> pl.DataFrame:
    """Flux mensuels par établissement × couloir (× type pour l'hôpital), parts du flux de leur département."""
    totals = {
        (m, c, d): n
        for m, c, d, n in departement_flux.select("mois", "couloir", "departement", "documents").iter_rows()
    }
    weight_sum: dict[tuple[str, str], float] = {}
    for e in establishments:
        for couloir in e.couloirs:
            weight_sum[(e.departement, couloir)] = weight_sum.get((e.departement, couloir), 0.0) + e.size
    last = f"{LAST_MONTH:%Y-%m}"
    before_last = f"{_months(FIRST_MONTH, LAST_MONTH)[-2]:%Y-%m}"
    arret, baisse, continuing = set(plants.arret), set(plants.baisse), set(plants.baisse_continue)
    sans_flux = set(plants.sans_flux)
    rows: list[tuple[str, str, str, str, str, int]] = []
    for month in _months(FIRST_MONTH, LAST_MONTH):
        mois = f"{month:%Y-%m}"
        for e in establishments:
            if month < e.first_month:
                continue
            for couloir in e.couloirs:
                key = (e.finess, couloir)
                if couloir == "HOP" and e.finess in sans_flux:
                    continue  # équipé d'un DPI, jamais un document hospitalier envoyé
                share = ATTRIBUTED_SHARE[couloir] * e.size / weight_sum[(e.departement, couloir)]
                noise = 0.92 + 0.16 * _unit("bruit", e.finess, couloir, mois)
                documents = round(totals.get((mois, couloir, e.departement), 0) * share * noise)
                if key in arret and mois == last:
                    if _unit("zero", e.finess) < 0.5:
                        continue  # plus aucune ligne livrée
                    documents = 0  # une ligne à zéro
                elif (key in baisse and mois == last) or (key in continuing and mois in (before_last, last)):
                    documents = round(documents * 0.3)
                if couloir == "HOP":
                    for type_document, part in _largest_remainder(documents, HOP_TYPES).items():
                        rows.append((mois, couloir, e.finess, e.departement, type_document, part))
                else:
                    rows.append((mois, couloir, e.finess, e.departement, "", documents))
    return pl.DataFrame(
        rows, schema=["mois", "couloir", "finess", "departement", "type_document", "documents"], orient="row"
    )


def _date(low: dt.date, high: dt.date, *parts: object) -> dt.date:
    return low + dt.timedelta(days=int(_unit(*parts) * (high - low).days))


def demo_establishment_sons(establishments: list[Establishment], plants: Planted) -> pl.DataFrame:
    """SONS vague 1 par établissement : bon de commande (fin 2021 à 2022), installation, demande de solde, montant.
    Les établissements « équipés sans flux » ont tous un DPI installé avant 2024."""
    sans_flux = set(plants.sans_flux)
    rows = []
    for e in establishments:
        for dispositif, share in SONS_V1.get(e.categorie, ()):
            forced = dispositif == "DPI" and e.finess in sans_flux
            if not forced and _unit("sons", e.finess, dispositif) >= share:
                continue
            ordered = _date(dt.date(2021, 11, 1), dt.date(2022, 10, 31), "bdc", e.finess, dispositif)
            installed = ordered + dt.timedelta(days=60 + int(_unit("inst", e.finess, dispositif) * 420))
            if forced:
                installed = min(installed, dt.date(2023, 12, 1))
            has_balance = _unit("solde", e.finess, dispositif) < 0.85
            balance = installed + dt.timedelta(days=30 + int(_unit("va", e.finess, dispositif) * 120))
            rows.append(
                (
                    e.finess,
                    "V1",
                    dispositif,
                    f"{ordered:%Y-%m-%d}",
                    f"{installed:%Y-%m-%d}",
                    f"{balance:%Y-%m-%d}" if has_balance else "",
                    round(SONS_PRICE[dispositif] * (0.6 + 0.8 * _unit("eur", e.finess)), 2)
                    if has_balance
                    else None,
                )
            )
    return pl.DataFrame(
        rows,
        schema={
            "finess": pl.String,
            "vague": pl.String,
            "dispositif": pl.String,
            "date_bon_de_commande": pl.String,
            "date_installation": pl.String,
            "date_demande_solde": pl.String,
            "montant_eur": pl.Float64,
        },
        orient="row",
    )
