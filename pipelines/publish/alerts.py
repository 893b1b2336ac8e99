"""Fichiers d'alertes par région : les nouvelles alertes du mois en XLSX et en CSV Excel français (point-virgule,
UTF-8 avec BOM, virgule décimale), une page HTML courte, et un index — ce qu'une équipe régionale envoie à ses
établissements. Usage interne : ces fichiers nomment des établissements, ils ne vont pas dans le paquet public.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from pipelines import formats
from pipelines.intake.parsing import normalise_label
from pipelines.publish.diffusion import neutralise_formulas
from pipelines.publish.theme import RUPTURE_LABELS, couloir_label
from pipelines.warehouse.reference import load_reference
from pipelines.warehouse.ruptures import Scope, ruptures

# Colonnes des fichiers, en français, dans l'ordre.
FILE_COLUMNS = {
    "finess": "FINESS",
    "raison_sociale": "Raison sociale",
    "libelle_categorie": "Catégorie",
    "departement": "Département",
    "nom_departement": "Nom du département",
    "couloir_libelle": "Couloir",
    "type_libelle": "Alerte",
    "mois_libelle": "Mois",
    "documents_mois": "Documents du mois",
    "reference": "Référence",
    "base_reference": "Base de la référence",
    "documents_perdus": "Documents perdus",
    "nouvelle_libelle": "Nouvelle",
    "demo_libelle": "Données de démonstration",
}


@dataclass
class AlertFiles:
    folder: Path
    month: dt.date
    files: list[Path] = field(default_factory=list)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # région → (nouvelles, toutes)

    @property
    def summary(self) -> str:
        new = sum(n for n, _ in self.counts.values())
        return f"{len(self.counts)} région(s), {formats.integer(new)} nouvelle(s) alerte(s), {len(self.files)} fichiers"


def file_view(alerts: pl.DataFrame) -> pl.DataFrame:
    """Les alertes avec leurs libellés français, colonnes des fichiers, formules neutralisées."""
    frame = alerts.with_columns(
        pl.col("couloir").map_elements(couloir_label, return_dtype=pl.String).alias("couloir_libelle"),
        pl.col("type").replace_strict(RUPTURE_LABELS, return_dtype=pl.String).alias("type_libelle"),
        pl.col("mois").map_elements(formats.month, return_dtype=pl.String).alias("mois_libelle"),
        pl.when(pl.col("nouvelle")).then(pl.lit("oui")).otherwise(pl.lit("non")).alias("nouvelle_libelle"),
        pl.when(pl.col("donnees_demo")).then(pl.lit("oui")).otherwise(pl.lit("non")).alias("demo_libelle"),
        pl.col("raison_sociale").fill_null("(absent du répertoire)"),
    )
    return neutralise_formulas(frame.select(list(FILE_COLUMNS)).rename(FILE_COLUMNS))


def _write_xlsx(path: Path, sheets: dict[str, pl.DataFrame]) -> None:
    with xlsxwriter.Workbook(path) as workbook:
        for name, frame in sheets.items():
            frame.write_excel(workbook=workbook, worksheet=name, autofit=True)


def _html_page(region: str, month: dt.date, new: pl.DataFrame, every: pl.DataFrame, demo: bool) -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in new.select(
            "Raison sociale", "FINESS", "Département", "Couloir", "Alerte", "Documents perdus"
        ).rows()
    )
    by_type = ", ".join(
        f"{label.lower()} : {every.filter(pl.col('Alerte') == label).height}"
        for label in RUPTURE_LABELS.values()
    )
    warning = (
        "<p class='demo'><strong>Données de démonstration</strong> : établissements et chiffres générés, "
        "non officiels.</p>"
        if demo
        else ""
    )
    table = (
        "<table><caption>Nouvelles alertes, classées par documents perdus</caption><thead><tr><th>Établissement</th>"
        "<th>FINESS</th><th>Département</th><th>Couloir</th><th>Alerte</th><th>Documents perdus</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if new.height
        else "<p>Aucune nouvelle alerte ce mois-ci.</p>"
    )
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<title>Alertes de flux — {html.escape(region)} — {formats.month(month)}</title>
<style>body{{font-family:Liberation Sans,Arial,sans-serif;max-width:60rem;margin:2rem auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.25rem .5rem}}.demo{{color:#8a4b00}}</style>
</head><body>
<h1>Alertes de flux vers Mon espace santé — {html.escape(region)}</h1>
<p>{formats.month(month).capitalize()} : {new.height} nouvelle(s) alerte(s) sur {every.height} ({by_type}).</p>
{warning}{table}
<p>Définitions : arrêt = au moins un document chacun des trois mois précédents et aucun ce mois-ci ; baisse =
moins de la moitié de la médiane des six mois précédents (médiane d'au moins 20) ; équipé sans flux = dispositif SONS
installé depuis au moins trois mois et flux nul ou en baisse. « Nouvelle » : absente de la liste du mois précédent.</p>
</body></html>
"""


def _cell(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return formats.integer(value)
    return "" if value is None else str(value)


def write_alert_files(
    con: duckdb.DuckDBPyConnection, folder: Path, month: dt.date, region: str | None = None
) -> AlertFiles:
    """Pour chaque région (ou la seule `region`) : XLSX (nouvelles alertes, toutes les alertes), CSV Excel des
    nouvelles, HTML ; puis l'index."""
    folder.mkdir(parents=True, exist_ok=True)
    result = AlertFiles(folder, month)
    everything = ruptures(con, month, Scope.of("region", region) if region else Scope())
    index_rows = []
    regions = load_reference().regions
    for code, name in sorted(regions.items() if region is None else [(region, regions[region])]):
        alerts = everything.filter(pl.col("region") == code)
        every = file_view(alerts)
        new = file_view(alerts.filter(pl.col("nouvelle")))
        stem = f"alertes_{month:%Y-%m}_{code}_{normalise_label(name)}"
        xlsx, csv, page = (folder / f"{stem}.{ext}" for ext in ("xlsx", "csv", "html"))
        _write_xlsx(xlsx, {"Nouvelles alertes": new, "Toutes les alertes": every})
        new.write_csv(csv, separator=";", decimal_comma=True, include_bom=True)
        demo = bool(alerts["donnees_demo"].any()) if alerts.height else False
        page.write_text(_html_page(name, month, new, every, demo), encoding="utf-8")
        result.files += [xlsx, csv, page]
        result.counts[code] = (new.height, every.height)
        index_rows.append((code, name, new.height, every.height, stem))
    links = "".join(
        f"<tr><td>{html.escape(name)} ({code})</td><td>{new}</td><td>{every}</td>"
        f"<td><a href='{stem}.html'>page</a> · <a href='{stem}.xlsx'>XLSX</a> · <a href='{stem}.csv'>CSV</a></td></tr>"
        for code, name, new, every, stem in index_rows
    )
    demo_note = (
        "<p><strong>Données de démonstration</strong> : non officielles.</p>"
        if everything["donnees_demo"].any()
        else ""
    )
    index = folder / "index.html"
    index.write_text(
        f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Alertes de flux — {formats.month(month)}</title></head><body>
<h1>Alertes de flux par région — {formats.month(month)}</h1>{demo_note}
<table><thead><tr><th>Région</th><th>Nouvelles alertes</th><th>Toutes les alertes</th><th>Fichiers</th></tr></thead>
<tbody>{links}</tbody></table></body></html>
""",
        encoding="utf-8",
    )
    result.files.append(index)
    return result
