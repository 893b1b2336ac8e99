"""Entrepôt par défaut : données de référence publiées + jeu de démonstration généré, déterministe, étiqueté.

Le jeu de démonstration répartit des totaux nationaux mensuels qui passent par les points publiés (voir
`NATIONAL_ANCHORS`) entre couloirs puis départements. Tout ce qui est généré est importé avec le drapeau
`donnees_demo` : chaque vue, page ou export peut le signaler. Rien de synthétique ne passe pour officiel.

Le rejeu de l'erratum de janvier 2024 (231 M affichés, 226 M corrigés) est fait en deux imports : décembre 2023
d'abord livré à 19,25 M (231 M / 12), puis corrigé à 18,8 M. `flux_historique` garde les deux.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import tempfile
from pathlib import Path

import polars as pl

from pipelines.progress import Progress, silent
from pipelines.settings import REFERENCE_DIR, Settings, get_settings
from pipelines.sources import sons as sons_source
from pipelines.warehouse.connection import WarehouseError, remove_orphans, writer_lock
from pipelines.warehouse.ingest import Incoming, IngestResult, ingest
from pipelines.warehouse.reference import load_reference

FIRST_MONTH = dt.date(2021, 7, 1)
# Totaux nationaux mensuels imposés (documents/mois) et leur origine : le jeu de démonstration passe par eux. Un
# repère déduit d'un chiffre publié (rythme annuel, rapport) est écrit comme son calcul, arrondi au document.
NATIONAL_ANCHORS: dict[dt.date, tuple[int, str]] = {
    dt.date(2021, 7, 1): (
        round(10_200_000 / 19),
        "lancement : mars 2023 (10,2 M) / 19, « ×19 depuis le lancement », ~6 M/an",
    ),
    dt.date(2023, 2, 1): (8_505_000, "1,5 document/habitant/an × 68 043 000 habitants / 12"),
    dt.date(2023, 3, 1): (10_200_000, "« plus de 10 millions de documents envoyés en mars 2023 »"),
    dt.date(2023, 4, 1): (round(105_000_000 / 12), "rythme annuel 105 M / 12"),
    dt.date(2023, 5, 1): (round(112_000_000 / 12), "rythme annuel 112 M / 12"),
    dt.date(2023, 6, 1): (round(147_000_000 / 12), "rythme annuel 147 M / 12"),
    dt.date(2023, 7, 1): (round(150_000_000 / 12), "rythme annuel 150 M / 12"),
    dt.date(2023, 8, 1): (round(142_000_000 / 12), "rythme annuel 142 M / 12"),
    dt.date(2023, 9, 1): (
        round(18_800_000 / 1.3),
        "décembre 2023 « en hausse de ~30 % depuis le COSUI de septembre » : 18,8 M / 1,3",
    ),
    dt.date(2023, 12, 1): (18_800_000, "18,8 M de documents en décembre 2023"),
    dt.date(2024, 10, 1): (30_500_000, "« plus de 30 M en octobre 2024 »"),
    dt.date(2024, 11, 1): (26_000_000, "novembre 2024 en baisse (grève des envois en biologie médicale)"),
    dt.date(2025, 10, 1): (42_800_000, "42,8 M en octobre 2025"),
}
LAST_MONTH = max(NATIONAL_ANCHORS)
ERRATUM_MONTH = dt.date(2023, 12, 1)
ERRATUM_SHOWN = round(231_000_000 / 12)  # la coquille affichée en séance

# Parts des couloirs aux dates repères (publiées en février, août et décembre 2023 ; supposées ailleurs).
SHARE_ANCHORS: dict[dt.date, dict[str, float]] = {
    dt.date(2021, 7, 1): {
        "HOP": 0.45,
        "BIO": 0.30,
        "MDV": 0.15,
        "RAD": 0.05,
        "PHA": 0.01,
        "MS": 0.02,
        "AUT": 0.02,
    },
    dt.date(2023, 2, 1): {
        "HOP": 0.37,
        "BIO": 0.32,
        "MDV": 0.23,
        "RAD": 0.07,
        "PHA": 0.005,
        "MS": 0.003,
        "AUT": 0.002,
    },
    dt.date(2023, 8, 1): {
        "HOP": 0.208,
        "BIO": 0.519,
        "MDV": 0.173,
        "RAD": 0.090,
        "PHA": 0.005,
        "MS": 0.003,
        "AUT": 0.002,
    },
    dt.date(2023, 12, 1): {
        "HOP": 0.17,
        "BIO": 0.365,
        "MDV": 0.35,
        "RAD": 0.08,
        "PHA": 0.03,
        "MS": 0.003,
        "AUT": 0.002,
    },
    dt.date(2025, 10, 1): {
        "HOP": 0.16,
        "BIO": 0.36,
        "MDV": 0.33,
        "RAD": 0.09,
        "PHA": 0.04,
        "MS": 0.01,
        "AUT": 0.01,
    },
}
# Ruptures de flux simulées : (département, couloir, premier mois sans envoi), pour les équipes régionales.
RUPTURES = [
    ("23", "HOP", dt.date(2025, 6, 1)),
    ("2B", "RAD", dt.date(2025, 8, 1)),
    ("973", "BIO", dt.date(2025, 9, 1)),
]


def _unit(*parts: object) -> float:
    """Nombre pseudo-aléatoire déterministe dans [0, 1) tiré des `parts`."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, current = [], first
    while current <= last:
        months.append(current)
        current = dt.date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _interpolate(month: dt.date, anchors: dict[dt.date, float], log: bool) -> float:
    dates = sorted(anchors)
    if month <= dates[0]:
        return anchors[dates[0]]
    if month >= dates[-1]:
        return anchors[dates[-1]]
    after = next(d for d in dates if d >= month)
    before = max(d for d in dates if d <= month)
    if after == before:
        return anchors[before]
    weight = (month - before).days / (after - before).days
    a, b = anchors[before], anchors[after]
    return math.exp(math.log(a) + weight * (math.log(b) - math.log(a))) if log else a + weight * (b - a)


def _largest_remainder(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Répartit l'entier `total` selon `weights` en entiers dont la somme vaut exactement `total`."""
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        return dict.fromkeys(weights, 0)
    raw = {k: total * w / weight_sum for k, w in weights.items()}
    floors = {k: int(math.floor(v)) for k, v in raw.items()}
    missing = total - sum(floors.values())
    for key in sorted(raw, key=lambda k: (raw[k] - floors[k], k), reverse=True)[:missing]:
        floors[key] += 1
    return floors


def national_series() -> dict[dt.date, int]:
    """Total national mensuel de démonstration : interpolation log-linéaire entre repères, saisonnalité légère."""
    anchors = {m: float(v) for m, (v, _) in NATIONAL_ANCHORS.items()}
    series = {}
    for month in _months(FIRST_MONTH, LAST_MONTH):
        value = _interpolate(month, anchors, log=True)
        if month not in NATIONAL_ANCHORS:
            season = 0.94 if month.month == 8 else 1.0
            value *= season * (1 + 0.03 * (_unit("national", month) - 0.5))
        series[month] = round(value)
    return series


def _couloir_shares(month: dt.date) -> dict[str, float]:
    couloirs = SHARE_ANCHORS[FIRST_MONTH].keys()
    shares = {
        c: _interpolate(month, {d: s[c] for d, s in SHARE_ANCHORS.items()}, log=False) for c in couloirs
    }
    if month == dt.date(2024, 11, 1):
        shares["BIO"] *= 0.6  # grève des envois en biologie
    return shares


def departement_weights() -> dict[str, float]:
    """Poids de chaque département : population légale 2021 de sa région × un tirage déterministe dans la région."""
    reference = load_reference()
    population = pl.read_csv(REFERENCE_DIR / "population.csv", infer_schema=False).filter(
        pl.col("niveau") == "region"
    )
    region_population = {r["code"]: float(r["population"]) for r in population.iter_rows(named=True)}
    draws = {d: 0.4 + _unit("dep", d) for d in reference.departements}
    by_region: dict[str, float] = {}
    for dep, draw in draws.items():
        by_region[reference.region_of(dep)] = by_region.get(reference.region_of(dep), 0.0) + draw
    return {
        dep: region_population.get(reference.region_of(dep), 0.0) * draw / by_region[reference.region_of(dep)]
        for dep, draw in draws.items()
    }


def demo_flux() -> pl.DataFrame:
    """Flux mensuels de démonstration par département et couloir (forme longue, codes INSEE)."""
    weights = departement_weights()
    rows: list[tuple[str, str, str, int]] = []
    for month, total in national_series().items():
        by_couloir = _largest_remainder(total, _couloir_shares(month))
        for couloir, couloir_total in by_couloir.items():
            local = {
                dep: w * (0.75 + 0.5 * _unit("mix", dep, couloir))
                for dep, w in weights.items()
                if not any(dep == d and couloir == c and month >= since for d, c, since in RUPTURES)
            }
            split = _largest_remainder(couloir_total, local)
            for dep in weights:
                rows.append((f"{month:%Y-%m}", couloir, dep, split.get(dep, 0)))
    return pl.DataFrame(rows, schema=["mois", "couloir", "departement", "documents"], orient="row")


def _scale_month(frame: pl.DataFrame, month: dt.date, target: int) -> pl.DataFrame:
    """Les lignes d'un mois, remises à l'échelle pour que leur somme vaille `target` (coquille de l'erratum)."""
    rows = frame.filter(pl.col("mois") == f"{month:%Y-%m}")
    keys = [f"{r['couloir']}|{r['departement']}" for r in rows.iter_rows(named=True)]
    split = _largest_remainder(target, dict(zip(keys, rows["documents"].cast(pl.Float64), strict=True)))
    return rows.with_columns(pl.Series("documents", [split[k] for k in keys]))


def demo_sons() -> pl.DataFrame:
    """Instantanés SONS vague 2 de démonstration (national et régions), à quatre dates de 2026."""
    dates = [dt.date(2026, 1, 15), dt.date(2026, 4, 15), dt.date(2026, 7, 15), dt.date(2026, 10, 15)]
    eligible = {"DPI": 2800, "PFI": 2300, "RI": 2100, "LGC": 60000, "RIS": 1200, "SGL": 400, "LGO": 20000}
    solutions = {"DPI": 30, "PFI": 22, "RI": 20, "LGC": 25, "RIS": 9, "SGL": 8, "LGO": 11}
    unit_price = {
        "DPI": 22000.0,
        "PFI": 14000.0,
        "RI": 11000.0,
        "LGC": 650.0,
        "RIS": 9000.0,
        "SGL": 18000.0,
        "LGO": 900.0,
    }
    regions = load_reference().regions
    pop = departement_weights()
    region_weight = {r: sum(w for d, w in pop.items() if load_reference().region_of(d) == r) for r in regions}
    rows = []
    for step, date in enumerate(dates):
        for disp, target in eligible.items():
            progress = min(0.95, 0.18 + 0.22 * step + 0.05 * _unit("sons", disp))
            orders = _largest_remainder(round(target * progress), region_weight)
            targets = _largest_remainder(target, region_weight)
            for region in regions:
                bdc = orders[region]
                installs = round(bdc * max(0.0, 0.1 + 0.2 * step))
                soldes = round(installs * max(0.0, 0.5 + 0.1 * step))
                amount = round(bdc * unit_price[disp] * 0.4 + soldes * unit_price[disp] * 0.6, 2)
                rows.append(
                    (
                        f"{date:%Y-%m-%d}",
                        "V2",
                        disp,
                        region,
                        solutions[disp],
                        targets[region],
                        bdc,
                        installs,
                        soldes,
                        amount,
                    )
                )
    columns = ["date_situation", "vague", "dispositif", "region", *sons_source.MEASURES]
    return pl.DataFrame(rows, schema=columns, orient="row")


def demo_sunes() -> pl.DataFrame:
    """Instantanés SUN-ES de démonstration par fenêtre × domaine × région, calés sur 2 223 ES engagés (janv. 2024)."""
    regions = load_reference().regions
    pop = departement_weights()
    region_weight = {r: sum(w for d, w in pop.items() if load_reference().region_of(d) == r) for r in regions}
    windows = {"F1": 875, "F2": 610, "F3": 440, "F4": 298}  # somme : 2 223 ES engagés au 17 janvier 2024
    domain_engagement = {"D1": 0.95, "D2": 0.55, "D3": 0.5, "D4": 0.9}
    domain_validation = {"D1": 0.78, "D2": 0.35, "D3": 0.3, "D4": 0.7}
    dates = [dt.date(2023, 4, 5), dt.date(2024, 1, 17), dt.date(2024, 4, 30)]
    rows = []
    for step, date in enumerate(dates):
        for window, engaged in windows.items():
            if window == "F4" and step == 0:
                continue
            for domain, share in domain_engagement.items():
                total = round(engaged * share)
                maturity = min(1.0, 0.55 + 0.25 * step) * (
                    1.15 if window == "F1" else 1.0 if window == "F2" else 0.85
                )
                validated_total = min(total, round(total * domain_validation[domain] * maturity))
                split = _largest_remainder(total, region_weight)
                valid = _largest_remainder(validated_total, region_weight)
                for region in regions:
                    rows.append(
                        (
                            f"{date:%Y-%m-%d}",
                            window,
                            domain,
                            region,
                            split[region],
                            min(valid[region], split[region]),
                        )
                    )
    return pl.DataFrame(
        rows,
        schema=["date_situation", "fenetre", "domaine", "region", "es_engages", "es_valides"],
        orient="row",
    )


ESTABLISHMENT_FILES = (
    "demo_etablissements.csv",
    "demo_flux_etablissements.parquet",
    "demo_sons_etablissements.csv",
)


def _write_establishments(folder: Path, flux: pl.DataFrame) -> None:
    """Le répertoire, les flux et SONS des établissements de démonstration (`demo_etablissements.py`)."""
    from pipelines.warehouse import demo_etablissements as etab

    establishments = etab.directory()
    plants = etab.planted(establishments)
    etab.demo_directory(establishments).write_csv(folder / ESTABLISHMENT_FILES[0])
    etab.demo_establishment_flux(establishments, flux, plants).write_parquet(folder / ESTABLISHMENT_FILES[1])
    etab.demo_establishment_sons(establishments, plants).write_csv(folder / ESTABLISHMENT_FILES[2])


def build_demo(
    db: Path, force: bool = False, settings: Settings | None = None, progress: Progress = silent
) -> list[IngestResult]:
    """Construit l'entrepôt par défaut dans un fichier neuf, puis le publie d'un coup sur `db`."""
    settings = settings or get_settings()
    if db.exists() and not force:
        raise WarehouseError(
            f"L'entrepôt {db} existe déjà : ajoutez --force pour le remplacer par l'entrepôt de démonstration."
        )
    db.parent.mkdir(parents=True, exist_ok=True)
    build = db.with_name(f".{db.name}.demo-{os.getpid()}.build")
    build.unlink(missing_ok=True)
    official = "publié"
    with tempfile.TemporaryDirectory(prefix="mes-demo-") as tmp:
        folder = Path(tmp)
        flux = demo_flux()
        erratum_shown = _scale_month(flux, ERRATUM_MONTH, ERRATUM_SHOWN)
        first_delivery = pl.concat([flux.filter(pl.col("mois") != f"{ERRATUM_MONTH:%Y-%m}"), erratum_shown])
        first_delivery.write_parquet(folder / "demo_flux_2021-07_2025-10.parquet")
        flux.filter(pl.col("mois") == f"{ERRATUM_MONTH:%Y-%m}").write_csv(
            folder / "demo_flux_erratum_2023-12.csv"
        )
        demo_sons().write_csv(folder / "demo_sons_v2.csv")
        demo_sunes().write_csv(folder / "demo_sunes.csv")
        from pipelines.warehouse.demo_usage import demo_usage

        demo_usage().write_csv(folder / "demo_usage_departements.csv")
        _write_establishments(folder, flux)
        files = [
            Incoming(
                REFERENCE_DIR / "population.csv",
                source=f"{official} : INSEE (voir data/reference/population.csv)",
            ),
            Incoming(
                REFERENCE_DIR / "cibles.csv",
                source=f"{official} : COSUI janvier 2024 et DSIH (data/reference/cibles.csv)",
            ),
            Incoming(REFERENCE_DIR / "sons_publie.csv", source=f"{official} : COSUI du 17 janvier 2024"),
            Incoming(
                REFERENCE_DIR / "population_departements.csv",
                source=f"{official} : INSEE, populations légales 2021 (data/reference/population_departements.csv)",
            ),
            Incoming(
                REFERENCE_DIR / "usage_publie.csv",
                source=f"{official} : COSUI et communiqués, cités ligne à ligne (data/reference/usage_publie.csv)",
            ),
            Incoming(folder / "demo_flux_2021-07_2025-10.parquet", source="démonstration générée", demo=True),
            Incoming(
                folder / "demo_flux_erratum_2023-12.csv",
                source="démonstration : rejeu de l'erratum de janvier 2024",
                demo=True,
            ),
            Incoming(folder / "demo_sons_v2.csv", source="démonstration générée", demo=True),
            Incoming(folder / "demo_sunes.csv", source="démonstration générée", demo=True),
            Incoming(
                folder / "demo_usage_departements.csv",
                source="démonstration générée : usages par département calés sur les points publiés",
                demo=True,
            ),
            *(
                Incoming(folder / name, source="démonstration générée", demo=True)
                for name in ESTABLISHMENT_FILES
            ),
        ]
        try:
            results = ingest(files, db=build, settings=settings, progress=progress)
            refused = [r for r in results if not r.ok]
            if refused:
                raise WarehouseError(
                    "Construction de l'entrepôt de démonstration interrompue :\n"
                    + "\n".join(r.message for r in refused)
                )
            with writer_lock(db, settings.verrou_attente_s):
                remove_orphans(db)
                # Le journal d'une session interrompue sur l'ancien fichier ne lui survit pas : laissé à côté du
                # nouveau, il le rendrait illisible (« WAL checkpoint iteration does not match »).
                db.with_name(db.name + ".wal").unlink(missing_ok=True)
                os.replace(build, db)
        finally:
            build.unlink(missing_ok=True)
            build.with_name(build.name + ".lock").unlink(missing_ok=True)
    return results
