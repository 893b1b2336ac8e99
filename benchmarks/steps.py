"""Étapes mesurées, chacune lancée dans son propre processus par `benchmarks.run` (mémoire de pointe isolée).

Chaque étape écrit une ligne JSON de mesures sur la sortie standard.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def ingest(db: str, path: str) -> dict[str, float]:
    """L'import tel que la commande `ingest` le fait (lecture, validation, chargement, recalcul, publication)."""
    from pipelines.warehouse.ingest import Incoming
    from pipelines.warehouse.ingest import ingest as run_ingest

    started = time.perf_counter()
    (result,) = run_ingest([Incoming(Path(path))], db=Path(db))
    if not result.ok:
        raise RuntimeError(result.message)
    return {"secondes": time.perf_counter() - started, **result.durees}


def refresh(db: str) -> dict[str, float]:
    import duckdb

    from pipelines.indicators.refresh import refresh_indicators
    from pipelines.settings import get_settings
    from pipelines.warehouse.connection import apply_schema

    con = duckdb.connect(db, config={"memory_limit": f"{get_settings().memoire_max_mo}MB"})
    apply_schema(con)
    started = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    refresh_indicators(con)
    con.execute("COMMIT")
    return {"secondes": time.perf_counter() - started}


def kpi(db: str) -> dict[str, float]:
    from pipelines.indicators.kpi import key_figures
    from pipelines.warehouse.connection import connect_read

    timings = []
    for _ in range(7):
        started = time.perf_counter()
        with connect_read(Path(db)) as con:
            key_figures(con)
        timings.append(time.perf_counter() - started)
    return {"mediane_s": statistics.median(timings), "premiere_s": timings[0]}


def ruptures(db: str) -> dict[str, float]:
    """`python -m pipelines ruptures` pour la France, le dernier mois : médiane de sept passages, chacun sa
    connexion."""
    from pipelines.warehouse.connection import connect_read
    from pipelines.warehouse.ruptures import latest_month
    from pipelines.warehouse.ruptures import ruptures as month_ruptures

    timings = []
    found = 0
    for _ in range(7):
        started = time.perf_counter()
        with connect_read(Path(db)) as con:
            month = latest_month(con)
            found = month_ruptures(con, month).height if month else 0
        timings.append(time.perf_counter() - started)
    return {"mediane_s": statistics.median(timings), "premiere_s": timings[0], "alertes": float(found)}


def pages(db: str) -> dict[str, dict[str, float]]:
    import os

    os.environ["MES_DB"] = db
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=600)
    started = time.perf_counter()
    at.run()
    out = {"premier_rendu": {"froid_s": time.perf_counter() - started}}
    for page in (
        "vue_ensemble",
        "couloirs",
        "territoires",
        "sons",
        "sunes",
        "donnees",
        "exports",
        "etablissements",
        "usages",
        "methode",
    ):
        started = time.perf_counter()
        at.switch_page(f"app_pages/{page}.py").run()
        cold = time.perf_counter() - started
        # À chaud : médiane de 5 rendus (une seule mesure de quelques dizaines de ms dépend trop de l'instant).
        warm_runs = []
        for _ in range(5):
            started = time.perf_counter()
            at.run()
            warm_runs.append(time.perf_counter() - started)
        if at.exception:
            raise RuntimeError(f"{page} : {at.exception[0].value}")
        out[page] = {"froid_s": cold, "chaud_s": statistics.median(warm_runs), "chaud_max_s": max(warm_runs)}
    return out


def pandas_baseline(csv_path: str, population_csv: str) -> dict[str, float]:
    """Les mêmes indicateurs écrits simplement en pandas : lire, agréger par niveau, couloir TOUS, joindre la
    population, parts, annualiser, évolutions sur 1 et 12 mois, cumul sur 12 mois. Sans validation ni écriture."""
    import pandas as pd

    started = time.perf_counter()
    raw = pd.read_csv(csv_path, sep=";", dtype={"departement": str, "finess": str})
    read_s = time.perf_counter() - started
    raw["documents"] = pd.to_numeric(raw["documents"], errors="raise")
    if (raw["documents"] < 0).any():
        raise ValueError("négatif")
    raw["mois"] = pd.to_datetime(raw["mois"] + "-01")
    population = pd.read_csv(population_csv, dtype={"code": str})
    departements = pd.read_csv(Path(population_csv).parent / "departements.csv", dtype=str)
    raw = raw.merge(
        departements[["code_departement", "code_region"]], left_on="departement", right_on="code_departement"
    )
    levels = []
    for level, key in (
        ("etablissement", "finess"),
        ("departement", "departement"),
        ("region", "code_region"),
    ):
        grouped = (
            raw.groupby(["mois", key, "couloir"], as_index=False)["documents"]
            .sum()
            .rename(columns={key: "code_geo"})
        )
        grouped["niveau"] = level
        levels.append(grouped)
    national = raw.groupby(["mois", "couloir"], as_index=False)["documents"].sum()
    national["code_geo"], national["niveau"] = "FR", "pays"
    levels.append(national)
    flux = pd.concat(levels, ignore_index=True)
    tous = flux.groupby(["mois", "niveau", "code_geo"], as_index=False)["documents"].sum()
    tous["couloir"] = "TOUS"
    flux = pd.concat([flux, tous], ignore_index=True)
    totals = tous[["mois", "niveau", "code_geo", "documents"]].rename(columns={"documents": "total"})
    flux = flux.merge(totals, on=["mois", "niveau", "code_geo"])
    flux["part_couloir"] = flux["documents"] / flux["total"]
    flux["flux_annualise"] = flux["documents"] * 12
    flux["annee"] = flux["mois"].dt.year
    pop = population.rename(columns={"code": "code_geo"})[["annee", "niveau", "code_geo", "population"]]
    flux = flux.merge(pop, on=["annee", "niveau", "code_geo"], how="left")
    flux["documents_par_habitant_an"] = flux["flux_annualise"] / flux["population"]
    # Évolutions sur 1 et 12 mois et cumul sur 12 mois : comme nos définitions, par le mois calendaire (jointure sur
    # le mois décalé), pas par la ligne précédente, qui se tromperait dès qu'un mois manque.
    series = ["niveau", "code_geo", "couloir"]
    for months, name in ((1, "documents_m1"), (12, "documents_m12")):
        earlier = flux[[*series, "mois", "documents"]].rename(columns={"documents": name})
        earlier["mois"] = earlier["mois"] + pd.offsets.MonthBegin(months)
        flux = flux.merge(earlier, on=[*series, "mois"], how="left")
    flux["evolution_1_mois"] = flux["documents"] / flux["documents_m1"] - 1
    flux["evolution_12_mois"] = flux["documents"] / flux["documents_m12"] - 1
    flux = flux.sort_values([*series, "mois"])
    rolling = (
        flux.set_index("mois").groupby(series)["documents"].rolling("350D", min_periods=1)
    )  # ]m − 11 mois ; m]
    flux["_somme_12"] = rolling.sum().to_numpy()
    flux["_n_12"] = rolling.count().to_numpy()
    flux["cumul_12_mois"] = flux["_somme_12"].where(flux["_n_12"] == 12)
    return {"secondes": time.perf_counter() - started, "lecture_s": read_s, "lignes_sortie": float(len(flux))}


if __name__ == "__main__":
    step, *args = sys.argv[1:]
    functions: dict[str, Callable[..., Any]] = {
        "ingest": ingest,
        "refresh": refresh,
        "kpi": kpi,
        "ruptures": ruptures,
        "pages": pages,
        "pandas": pandas_baseline,
    }
    print(json.dumps(functions[step](*args)))
