"""Paquet de transparence publique : données ouvertes (CSV, CSV Excel, XLSX, Parquet), dictionnaire Table Schema,
README, page HTML autonome et graphiques PNG/SVG. Seul ce qui est public sort (voir `export_rules`).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.completeness import latest_complete_month
from pipelines.indicators.kpi import key_figures
from pipelines.progress import Progress, silent
from pipelines.publish import api, cards, charts, datagouv, figure_cards, layout
from pipelines.publish.dictionary import COLUMN_DESCRIPTIONS, TABLE_DESCRIPTIONS
from pipelines.publish.diffusion import (
    SECONDARY_MASK_TEXT,
    internal_rules,
    neutralise_formulas,
    public_revisions,
    published_tables,
    published_trajectories,
    spreadsheet_view,
    within_region,
)
from pipelines.publish.freshness import Edition, Freshness, freshness
from pipelines.publish.images import kaleido_server
from pipelines.publish.plotly_fr import PLOTLY_CONFIG
from pipelines.publish.public_warehouse import public_database
from pipelines.publish.theme import COULOIR_LABELS, DEMO_BANNER
from pipelines.settings import get_settings
from pipelines.warehouse import queries
from pipelines.warehouse.reference import load_reference

# Largeur (px) des graphiques du paquet et des diapositives : 9,5 pouces sur une diapositive.
CHART_WIDTH = 1200
LICENCE = "Licence Ouverte / Open Licence version 2.0 (Etalab)"


class ExportRefused(RuntimeError):
    """Export impossible tel que demandé ; le message dit quoi faire."""


@dataclass
class ExportResult:
    folder: Path
    mois: dt.date
    demo: bool
    files: list[Path] = field(default_factory=list)
    flux: pl.DataFrame | None = (
        None  # la table des flux publiée : ses chiffres de tête sont inscrits comme diffusés
    )


def _warehouse_has_demo(con: duckdb.DuckDBPyConnection) -> bool:
    return queries.has_demo(con)


def public_tables(con: duckdb.DuckDBPyConnection, mois: dt.date) -> dict[str, pl.DataFrame]:
    """Les tables publiées pour le mois : celles de `diffusion.published_tables`, les mêmes que le site public."""
    return published_tables(con, mois)


# --- Fichiers de données --------------------------------------------------------------------------------------


EXCEL_MAX_ROWS = 1_048_576  # lignes d'une feuille Excel, en-tête compris


def write_data_files(
    tables: dict[str, pl.DataFrame], folder: Path, progress: Progress = silent
) -> list[Path]:
    """CSV (UTF-8, virgule), « CSV Excel » (UTF-8 avec BOM, point-virgule, virgule décimale), XLSX et Parquet."""
    written: list[Path] = []
    for sub in ("csv", "csv_excel", "xlsx", "parquet"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        progress(f"table {name} ({formats.integer(frame.height)} lignes) : CSV, XLSX, Parquet…")
        sheet = neutralise_formulas(spreadsheet_view(frame))
        paths = {
            "csv": folder / "csv" / f"{name}.csv",
            "csv_excel": folder / "csv_excel" / f"{name}.csv",
            "xlsx": folder / "xlsx" / f"{name}.xlsx",
            "parquet": folder / "parquet" / f"{name}.parquet",
        }
        sheet.write_csv(paths["csv"])
        sheet.write_csv(paths["csv_excel"], separator=";", decimal_comma=True, include_bom=True)
        if sheet.height < EXCEL_MAX_ROWS:
            sheet.write_excel(paths["xlsx"], worksheet=name[:31], **_column_widths(sheet))
        else:  # au-delà de la limite d'Excel : CSV et Parquet seulement (dit dans le README du paquet)
            del paths["xlsx"]
        neutralise_formulas(frame).write_parquet(paths["parquet"])
        written.extend(paths.values())
    return written


AUTOFIT_MAX_ROWS = 20_000


def _column_widths(sheet: pl.DataFrame) -> dict[str, Any]:
    """Largeur des colonnes du XLSX : mesurée cellule par cellule (`autofit`) sur une petite table ; au-delà, d'après
    l'en-tête et les 1 000 premières lignes (l'ajustement cellule par cellule coûte un dixième de l'écriture)."""
    if sheet.height <= AUTOFIT_MAX_ROWS:
        return {"autofit": True}
    sample = sheet.head(1000)
    longest = sample.select(pl.all().cast(pl.String).str.len_chars().max().fill_null(0)).row(0)
    widths = {
        column: min(60, max(len(column), int(n)) + 2)
        for column, n in zip(sheet.columns, longest, strict=True)
    }
    return {"column_widths": widths}


_TABLE_SCHEMA_TYPES: dict[Any, str] = {
    pl.String: "string",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.Datetime: "datetime",
    pl.Float64: "number",
    pl.Float32: "number",
    pl.Int64: "integer",
    pl.Int32: "integer",
    pl.UInt32: "integer",
    pl.Int8: "integer",
    pl.Int16: "integer",
    pl.UInt8: "integer",
    pl.UInt16: "integer",
    pl.UInt64: "integer",
}


def table_schema(name: str, frame: pl.DataFrame) -> dict[str, Any]:
    """Schéma Table Schema (frictionless, schema.data.gouv.fr) d'une table publiée, version tableur (CSV)."""
    sheet = spreadsheet_view(frame)
    fields = []
    for column, dtype in sheet.schema.items():
        base = dtype.base_type() if hasattr(dtype, "base_type") else dtype
        entry: dict[str, Any] = {
            "name": column,
            "type": _TABLE_SCHEMA_TYPES.get(base, "string"),
            "description": COLUMN_DESCRIPTIONS.get(column, column),
        }
        if column == "documents" and "masque_secret_statistique" in sheet.columns:
            entry["type"] = "string"
            entry["description"] += " ; « < 11 » quand le nombre est masqué (secret statistique)"
        fields.append(entry)
    return {
        "name": name,
        "title": TABLE_DESCRIPTIONS.get(name, name),
        "fields": fields,
        "missingValues": [""],
    }


def write_datapackage(tables: dict[str, pl.DataFrame], folder: Path, mois: dt.date, demo: bool) -> Path:
    package = {
        "name": "segur-numerique-mon-espace-sante",
        "title": "Alimentation de Mon espace santé — indicateurs du Ségur numérique",
        "description": f"Indicateurs au {formats.month(mois)}."
        + (" DONNÉES DE DÉMONSTRATION, non officielles." if demo else ""),
        "licenses": [
            {
                "name": "etalab-2.0",
                "title": LICENCE,
                "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            }
        ],
        "created": dt.datetime.now().replace(microsecond=0).isoformat(),
        "resources": [
            {
                "name": name,
                "path": f"csv/{name}.csv",
                "format": "csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ","},
                "schema": table_schema(name, frame),
            }
            for name, frame in tables.items()
        ],
    }
    path = folder / "datapackage.json"
    path.write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


_README_CONTENTS = [
    "## Contenu",
    "",
    "| dossier | format |",
    "|---|---|",
    "| `csv/` | CSV UTF-8, séparateur virgule, point décimal |",
    "| `csv_excel/` | « CSV Excel » : UTF-8 avec BOM, séparateur point-virgule, virgule décimale (s'ouvre tel quel "
    "dans Excel en français) |",
    "| `xlsx/` | classeurs Excel (sauf les tables de plus de 1 048 575 lignes, limite d'Excel) |",
    "| `parquet/` | Parquet typé (les comptes masqués y sont vides, avec `masque_secret_statistique`) |",
    "| `datapackage.json` | dictionnaire des données (Table Schema, comme schema.data.gouv.fr) |",
    "| `index.html` | page des chiffres clés, autonome, lisible hors ligne |",
    "| `graphiques/` | graphiques en PNG et SVG |",
    "| `api/v1/` | API JSON statique : `index.json`, `france.json`, `regions/<code>.json` (18), "
    "`departements/<code>.json` (101) ; schémas JSON dans `api/v1/schema/` |",
    "| `cartes/<niveau>/<code>.html` | carte à intégrer par territoire (page autonome, sans script) et son image "
    "`.png` |",
    "| `datagouv.json` | métadonnées pour data.gouv.fr (titre, description, licence, fréquence, couverture) |",
    "",
    "## Sources",
    "",
    "- Flux de documents : Mon espace santé (CNAM, ANS), fichiers mensuels ; chiffres publiés des COSUI du Ségur "
    "numérique.",
    "- Population : INSEE (estimations au 1er janvier ; populations légales des régions).",
    "- SONS : statistiques des commandes et soldes (ASP, ANS) ; SUN-ES : ATIH / oSIS.",
    "- Contours des cartes : IGN Admin Express 2018, via france-geojson, Licence Ouverte.",
    "",
    "## Définitions",
    "",
    "- Rythme annuel (`flux_annualise`) = documents du mois × 12 ; cumul sur 12 mois = somme des 12 derniers mois.",
    "- Documents par habitant = rythme annuel ÷ population de l'année (à défaut, de la dernière année antérieure "
    "connue).",
    "- Part d'un couloir = documents du couloir ÷ documents de tous les couloirs ; taux d'atteinte = rythme annuel ÷ "
    "cible.",
    "- Définitions complètes : `datapackage.json` et la documentation du produit (docs/INDICATEURS.md).",
    "",
]


def perimeter_suffix(figures: dict[str, Any]) -> str:
    """« , Bretagne (53) » pour un paquet régional ; rien pour la France."""
    return "" if figures.get("niveau", "pays") == "pays" else f", {figures['perimetre']}"


def target_phrase(figures: dict[str, Any]) -> str:
    """La part de la cible de 250 M quand le périmètre en a une ; sinon, dit que la cible est nationale."""
    if figures.get("cible_annuelle") is None:
        return "la cible de 250 M de documents par an est nationale : pas de cible propre à ce périmètre"
    return f"soit {formats.percent(figures['taux_atteinte_cible'])} de la cible de 250 M de documents par an"


def _readme_summary(mois: dt.date, demo: bool, figures: dict[str, Any]) -> list[str]:
    """Titre, bandeau de démonstration et chiffres clés du mois."""
    return [
        f"# Alimentation de Mon espace santé — données ouvertes{perimeter_suffix(figures)}, {formats.month(mois)}",
        "",
        *([f"> **{DEMO_BANNER}**", ""] if demo else []),
        *(
            [
                f"> **Mois provisoire** : {formats.coverage(figures['couverture'])}. Ces chiffres changeront.",
                "",
            ]
            if not figures.get("complet", True)
            else []
        ),
        f"Documents envoyés par les professionnels en {formats.month(mois)} : "
        f"{formats.integer(figures['documents_mois'])} ; rythme annuel {formats.millions(figures['flux_annualise'])}, "
        f"{target_phrase(figures)}.",
        "",
    ]


def _readme_rules() -> list[str]:
    """Règles de diffusion : secret statistique, secret secondaire, séries internes, formules neutralisées."""
    internal = ", ".join(COULOIR_LABELS.get(v, v) for v in internal_rules()["valeur"].to_list())
    return [
        "## Règles de diffusion",
        "",
        "- Secret statistique : aux niveaux département et établissement, un nombre de documents de 1 à 10 est "
        "remplacé par « < 11 » et les valeurs qui permettraient de le retrouver (rythme annuel, parts, évolutions, "
        "cumul sur 12 mois dont la fenêtre contient ce mois) sont vides.",
        "- Secret secondaire : dans chaque groupe dont la somme est publiée (couloirs d'un total, départements d'une "
        "région, régions de la France), une case masquée n'est jamais seule : la plus petite autre case est masquée "
        f"aussi (« {SECONDARY_MASK_TEXT} », colonne `masque_secondaire`), ou le total quand le groupe n'a qu'un "
        "membre.",
        f"- Les séries internes ({internal}) ne sont pas publiées, et le total « tous couloirs » publié est celui des "
        "couloirs publiés (il les exclut) : il peut donc être un peu inférieur au total suivi en interne.",
        "- Aucune cellule ne commence par =, +, - ou @ (préfixe apostrophe) : pas de formule exécutée à l'ouverture.",
        "",
    ]


def _readme_revisions(revisions: pl.DataFrame) -> list[str]:
    """Chaque mois révisé : nombre de valeurs révisées, import qui l'a révisé (sans sommes de documents :
    `diffusion.public_revisions`)."""
    revised = [
        f"- {formats.month(r['mois'])} : {formats.integer(r['valeurs_revisees'])} valeur(s) révisée(s) "
        f"(import n° {r['import_id']} du {r['accepte_le']:%d/%m/%Y})"
        for r in revisions.iter_rows(named=True)
    ]
    return [
        "## Révisions",
        "",
        "Un chiffre peut être révisé quand une source relivre un mois : la valeur courante remplace la précédente, "
        "l'historique est conservé et chaque révision est signalée sur la page HTML.",
        *(revised or ["- Aucune révision."]),
        "",
    ]


def _readme_freshness(freshness: Freshness | None) -> list[str]:
    """« Données arrêtées au … — prochaine mise à jour prévue le … », et l'alerte d'une mise à jour en retard."""
    if freshness is None:
        return []
    return [
        f"**{freshness.text}.**",
        "",
        *([f"> **{freshness.warning}**", ""] if freshness.warning else []),
    ]


def write_readme(
    folder: Path,
    mois: dt.date,
    demo: bool,
    figures: dict[str, Any],
    revisions: pl.DataFrame,
    freshness: Freshness | None = None,
) -> Path:
    """README.md du paquet : chiffres clés, contenu, sources, définitions, règles de diffusion, révisions, licence."""
    lines = [
        *_readme_summary(mois, demo, figures),
        *_readme_freshness(freshness),
        *_README_CONTENTS,
        *_readme_rules(),
        *_readme_revisions(revisions),
        "## Licence",
        "",
        f"{LICENCE}. Réutilisation libre avec mention de la source.",
    ]
    path = folder / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- Graphiques et page HTML ----------------------------------------------------------------------------------


# L'en-tête de chaque colonne dans les tableaux qui accompagnent les graphiques du paquet : une colonne se nomme de la
# même façon d'un tableau à l'autre ; un tableau en précise une au besoin (« Documents du mois »).
_CHART_HEADERS = {
    "mois": "Mois",
    "couloir": "Couloir",
    "documents": "Documents",
    "flux_annualise": "Rythme annuel",
    "cible": "Cible",
    "taux_atteinte_cible": "Part de la cible",
    "code_geo": "Code",
    "documents_par_habitant_an": "Documents par habitant et par an",
}


def _chart_table(frame: pl.DataFrame, *columns: str, **headers: str) -> pl.DataFrame:
    """Les chiffres d'un graphique : `columns` de `frame` dans cet ordre, sous leur en-tête (`headers` l'emporte sur
    `_CHART_HEADERS`), les couloirs en clair."""
    table = frame.select(columns)
    if "couloir" in columns:
        table = table.with_columns(
            pl.col("couloir").replace_strict(COULOIR_LABELS, default=pl.col("couloir"))
        )
    return table.rename({column: headers.get(column) or _CHART_HEADERS[column] for column in columns})


def public_charts(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, pl.DataFrame],
    mois: dt.date,
    figures: dict[str, Any],
    demo: bool,
    niveau: str = "pays",
    code: str = "FR",
) -> dict[str, tuple[go.Figure, str, pl.DataFrame]]:
    """Les graphiques publics du périmètre (la France, ou une région et ses départements) : (figure, texte
    alternatif, tableau des mêmes chiffres)."""
    flux = tables["indicateurs_flux"]
    own = flux.filter((pl.col("niveau") == niveau) & (pl.col("code_geo") == code))
    national = own.filter(pl.col("couloir") == ALL_COULOIRS)
    # Les chiffres publiés des COSUI (losanges) sont nationaux.
    published = queries.published_flux(con).filter(
        (pl.col("couloir") == ALL_COULOIRS) & (pl.col("mois") <= mois) & pl.lit(niveau == "pays")
    )
    # La projection publiée part des flux publiés (sans les séries internes), comme les trajectoires publiées.
    projection = (
        published_trajectories(con, flux)[1]
        .filter((pl.col("couloir") == ALL_COULOIRS) & (pl.col("code_geo") == code))
        .sort("mois")
    )
    if mois != latest_complete_month(con, niveau, code):
        projection = projection.head(0)
    place = "France" if niveau == "pays" else str(figures["perimetre"])
    annual = formats.millions(figures["flux_annualise"])
    trend_title = f"{place} : {annual} de documents par an en {formats.month(mois)}"
    if figures.get("cible_annuelle") is not None:
        trend_title += f", {formats.percent(figures['taux_atteinte_cible'], 0)} de la cible de 250 M"
    trend = charts.annualised_trend(
        national, published, queries.milestones(con), projection, figures["cible_annuelle"], trend_title
    )
    couloirs = own.filter(pl.col("couloir") != ALL_COULOIRS)
    latest = couloirs.filter(pl.col("mois") == mois)
    targets = charts.couloir_targets(latest, f"Couloirs face à leur cible, {formats.month(mois)}")
    stacked = charts.couloir_stacked(couloirs, "Documents envoyés chaque mois, par couloir")
    # La carte : les régions de la France, ou les départements de la région.
    map_level = "region" if niveau == "pays" else "departement"
    regions = flux.filter(
        (pl.col("niveau") == map_level)
        & (pl.col("couloir") == ALL_COULOIRS)
        & (pl.col("mois") == mois)
        & ((pl.col("code_region") == code) | pl.lit(niveau == "pays"))
    )
    region_map = charts.choropleth(
        dict(zip(regions["code_geo"], regions["documents_par_habitant_an"], strict=True)),
        map_level,
        f"Documents par habitant et par an, {formats.month(mois)}",
        "doc./hab./an",
        1,
        **({} if niveau == "pays" else {"only": frozenset(regions["code_geo"].to_list())}),
    )
    out = {
        "rythme_annuel": (
            trend,
            trend_title + ". Ligne : rythme annuel mensuel ; tirets : cible ; losanges : chiffres publiés.",
            _chart_table(
                national,
                "mois",
                "documents",
                "flux_annualise",
                "taux_atteinte_cible",
                documents="Documents du mois",
            ),
        ),
        "couloirs_cibles": (
            targets,
            "Rythme annuel de chaque couloir ciblé face à sa cible.",
            _chart_table(
                latest.filter(pl.col("cible").is_not_null()),
                "couloir",
                "flux_annualise",
                "cible",
                "taux_atteinte_cible",
            ),
        ),
        "couloirs_mensuels": (
            stacked,
            "Documents envoyés chaque mois, empilés par couloir.",
            _chart_table(couloirs, "mois", "couloir", "documents"),
        ),
        "carte_regions": (
            region_map,
            f"Carte des documents par habitant et par an, par {'région' if niveau == 'pays' else 'département'}.",
            _chart_table(
                regions.sort("documents_par_habitant_an", descending=True, nulls_last=True),
                "libelle_geo",
                "code_geo",
                "documents_par_habitant_an",
                libelle_geo="Région" if niveau == "pays" else "Département",
            ),
        ),
    }
    if demo:
        for fig, _, _ in out.values():
            watermark(fig)
    return out


def watermark(fig: go.Figure) -> None:
    fig.add_annotation(
        text="DÉMONSTRATION — NON OFFICIEL",
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 36, "color": "rgba(213,94,0,0.25)"},
        textangle=-20,
    )


def write_images(
    figures: dict[str, tuple[go.Figure, str, pl.DataFrame]], folder: Path, progress: Progress
) -> list[Path]:
    """Chaque graphique en PNG et SVG (kaleido avec le Chromium du système ; un seul démarrage pour la série)."""
    target = folder / "graphiques"
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with kaleido_server():
        for name, (fig, _, _) in figures.items():
            progress(f"graphique {name}…")
            layout.fit(fig, CHART_WIDTH)
            for ext in ("png", "svg"):
                path = target / f"{name}.{ext}"
                fig.write_image(
                    path,
                    width=CHART_WIDTH,
                    height=int(fig.layout.height or 500),
                    scale=2 if ext == "png" else 1,
                )
                written.append(path)
    return written


PERCENT_COLUMNS = {"Part de la cible"}


def _table_html(frame: pl.DataFrame, caption: str) -> str:
    head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(formats.percent(v) if c in PERCENT_COLUMNS and isinstance(v, float) else _cell(v))}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.iter_rows()
    )
    caption_html = f"<caption>{html.escape(caption)}</caption>"
    return f"<table>{caption_html}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return formats.integer(value)
    if isinstance(value, float):
        return formats.decimal(value, 3 if abs(value) < 10 else 0)
    if isinstance(value, dt.date):
        return formats.short_month(value) if value.day == 1 else formats.date(value)
    return str(value)


_PAGE_STYLE = """
body{font-family:"Liberation Sans",Arial,sans-serif;max-width:1100px;margin:auto;padding:1rem;color:#1a1a1a}
.cards{display:flex;flex-wrap:wrap;gap:1rem;padding:0;list-style:none}
.cards li{border:1px solid #999;padding:.8rem;min-width:12rem}
.cards strong{display:block;font-size:1.8rem} .demo{background:#fff3cd;border:2px solid #D55E00;padding:.8rem}
table{border-collapse:collapse;font-size:.85rem} td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:right}
caption{text-align:left;font-weight:bold}
.revise{border-left:4px solid #0072B2;padding-left:.8rem}
"""


PACKAGE_CARDS = (
    "documents_mois",
    "flux_annualise",
    "taux_atteinte_cible",
    "documents_par_habitant_an",
    "evolution_12_mois",
)


def _cards_html(figures: dict[str, Any]) -> str:
    """Les chiffres clés du mois, une carte chacun."""
    cards = figure_cards.cards(figures, PACKAGE_CARDS)
    items = "".join(
        f"<li>{html.escape(label)}<strong>{html.escape(value)}</strong></li>" for label, value in cards
    )
    return f'<ul class="cards">{items}</ul>'


def _chart_html(index: int, name: str, fig: go.Figure, alt: str, table: pl.DataFrame) -> str:
    """Un graphique : titre, figure avec son texte alternatif, et ses chiffres en tableau. Le premier embarque
    plotly.js, les suivants s'en servent."""
    div = pio.to_html(
        fig,
        include_plotlyjs=(index == 0),
        full_html=False,
        config={**PLOTLY_CONFIG, "responsive": True},
        div_id=f"g-{name}",
    )
    title = html.escape((fig.layout.title.text or name).replace("<br>", " "))
    # Une carte garde ses territoires atteignables au clavier : pas de rôle « img », qui rendrait ses tracés muets.
    keyboard = charts.is_map(fig)
    role = "" if keyboard else " role='img'"
    hint = f" {charts.KEYBOARD_HINT}" if keyboard else ""
    script = f"<script>{charts.KEYBOARD_SCRIPT.read_text(encoding='utf-8')}</script>" if keyboard else ""
    return (
        f"<section aria-labelledby='t-{name}'><h2 id='t-{name}'>{title}</h2>"
        f"<figure{role} aria-label='{html.escape(alt, quote=True)}'>{div}{script}"
        f"<figcaption>{html.escape(alt + hint)}</figcaption></figure>"
        f"<details><summary>Les chiffres du graphique</summary>{_table_html(table.head(400), alt)}</details>"
        "</section>"
    )


def _revisions_html(revisions: pl.DataFrame) -> str:
    """Les chiffres révisés depuis leur première publication, ou « aucun »."""
    revised = "".join(
        f"<li>{formats.month(r['mois'])} : {formats.integer(r['valeurs_revisees'])} valeur(s) révisée(s) "
        f"(révision du {r['accepte_le']:%d/%m/%Y})</li>"
        for r in revisions.iter_rows(named=True)
    )
    return (
        '<section class="revise" aria-labelledby="revisions">'
        '<h2 id="revisions">Chiffres révisés depuis leur première publication</h2>'
        f"<ul>{revised or '<li>Aucun chiffre révisé.</li>'}</ul></section>"
    )


def write_html(
    folder: Path,
    mois: dt.date,
    figures: dict[str, Any],
    demo: bool,
    chart_set: dict[str, tuple[go.Figure, str, pl.DataFrame]],
    revisions: pl.DataFrame,
    freshness: Freshness | None = None,
) -> Path:
    """Page autonome (plotly.js embarqué une fois, aucune ressource externe), texte alternatif et tableau par
    graphique."""
    sections = "".join(
        _chart_html(index, name, fig, alt, table)
        for index, (name, (fig, alt, table)) in enumerate(chart_set.items())
    )
    banner = f"<p class='demo' role='alert'><strong>{html.escape(DEMO_BANNER)}</strong></p>" if demo else ""
    if freshness is not None:
        banner += f"<p class='fraicheur'><strong>{html.escape(freshness.text)}</strong></p>"
        if freshness.warning:
            banner += f"<p class='demo' role='alert'>{html.escape(freshness.warning)}</p>"
    page = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mon espace santé — chiffres clés {formats.of_month(mois)}{perimeter_suffix(figures)}</title>
<style>{_PAGE_STYLE}</style></head><body>
<header><h1>Alimentation de Mon espace santé{perimeter_suffix(figures)} — {formats.month(mois)}</h1>{banner}</header>
<main>
<h2>Chiffres clés</h2>
{_cards_html(figures)}
{_revisions_html(revisions)}
{sections}
</main>
<footer><p>Sources : Mon espace santé (CNAM, ANS), COSUI du Ségur numérique, INSEE, IGN (contours, Licence Ouverte).
Données sous {LICENCE}. Définitions : datapackage.json.</p></footer>
</body></html>
"""
    path = folder / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def export_public(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    mois: dt.date | None = None,
    allow_demo: bool = False,
    images: bool = True,
    progress: Progress = silent,
    region: str | None = None,
) -> ExportResult:
    """Écrit tout le paquet de transparence dans `folder` pour le mois (défaut : le dernier mois complet du
    périmètre ; un mois demandé encore incomplet est publié marqué « provisoire »). `region` : le paquet d'une région
    (code INSEE), ses départements et la France pour comparaison, avec les mêmes règles de diffusion."""
    niveau, code = ("region", region) if region else ("pays", "FR")
    month = mois or latest_complete_month(con, niveau, code)
    if month is None:
        raise ExportRefused("l'entrepôt ne contient aucun mois complet de flux : rien à publier")
    demo = _warehouse_has_demo(con)
    if demo and not allow_demo:
        raise ExportRefused(
            "l'entrepôt contient des données de démonstration : elles ne peuvent pas être publiées comme officielles. "
            "Ajoutez --demo pour un export de démonstration (filigrané)."
        )
    folder.mkdir(parents=True, exist_ok=True)
    progress("tables publiques…")
    tables = public_tables(con, month)
    if region:
        departement_region = {dep: parent for dep, (_, parent) in load_reference().departements.items()}
        tables = {
            name: within_region(frame.lazy(), region, departement_region).collect()
            for name, frame in tables.items()
        }
    # Les chiffres clés du paquet sont ceux de ses tables (total sans les séries internes), comme sur le site public.
    figures = key_figures(public_database(con, month, tables), month, niveau, code)
    revisions = public_revisions(queries.revisions(con).filter(pl.col("mois") <= month))
    if demo:
        tables = {
            name: frame.with_columns(pl.lit(True).alias("export_demonstration"))
            for name, frame in tables.items()
        }
    result = ExportResult(folder, month, demo, flux=tables["indicateurs_flux"])
    result.files += write_data_files(tables, folder, progress)
    result.files.append(write_datapackage(tables, folder, month, demo))
    fresh = freshness(month, get_settings().today())
    result.files.append(write_readme(folder, month, demo, figures, revisions, fresh))
    chart_set = public_charts(con, tables, month, figures, demo, niveau, code)
    progress("page HTML…")
    result.files.append(write_html(folder, month, figures, demo, chart_set, revisions, fresh))
    if images:
        result.files += write_images(chart_set, folder, progress)
    progress("API JSON et cartes des territoires…")
    edition = Edition(fresh, demo, LICENCE)
    documents = api.write_api(folder, tables, edition)
    result.files += cards.write_cards(folder, documents, fresh.text, LICENCE, images, fresh.warning, progress)
    result.files.append(datagouv.write_metadata(folder, tables, edition))
    return result


def export_archive(
    con: duckdb.DuckDBPyConnection, mois: dt.date | None, allow_demo: bool, progress: Progress = silent
) -> tuple[str, bytes, str]:
    """Le paquet de transparence en une archive ZIP à télécharger : (nom du fichier, contenu, compte rendu).
    Lève `ExportRefused` comme `export_public`."""
    with tempfile.TemporaryDirectory(prefix="mes-export-") as tmp:
        result = export_public(con, Path(tmp) / "paquet", mois, allow_demo=allow_demo, progress=progress)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in result.files:
                archive.write(path, path.relative_to(result.folder))
    name = f"transparence_{result.mois:%Y-%m}{'_DEMO' if result.demo else ''}.zip"
    return name, buffer.getvalue(), f"Paquet prêt : {len(result.files)} fichiers"
