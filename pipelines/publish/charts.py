"""Graphiques Plotly de l'application et des exports. Chaque fonction reçoit des tables déjà calculées et rend une
figure dont le titre énonce le constat ; aucune ne calcule d'indicateur.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl

from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.publish import citations, events, layout
from pipelines.publish.theme import (
    COULOIR_COLORS,
    COULOIR_DASHES,
    COULOIR_ORDER,
    COULOIR_SYMBOLS,
    PROJECTION_COLOR,
    PUBLISHED_COLOR,
    SEQUENTIAL_SCALE,
    TARGET_COLOR,
    apply_defaults,
    couloir_label,
    millions_axis,
)
from pipelines.settings import GEO_DIR

MILESTONE_PROGRAMMES = ("COSUI",)


def add_month_series(
    fig: go.Figure, frame: pl.DataFrame, column: str, name: str, hover: str, **style: Any
) -> None:
    """Ajoute la série `column` de `frame` au fil des mois (`mois` en abscisse) sous le nom `name`, `hover` au survol ;
    `style` : mode, trait, symboles. Les courbes mensuelles des graphiques du produit passent toutes par ici."""
    fig.add_trace(
        go.Scatter(
            x=frame["mois"].to_list(), y=frame[column].to_list(), name=name, hovertemplate=hover, **style
        )
    )


def _projection_traces(fig: go.Figure, projection: pl.DataFrame) -> None:
    """La projection de la tendance des 12 derniers mois et son intervalle à 90 %."""
    fig.add_trace(
        go.Scatter(
            x=projection["mois"].to_list() + projection["mois"].reverse().to_list(),
            y=projection["flux_annualise_haut"].to_list()
            + projection["flux_annualise_bas"].reverse().to_list(),
            fill="toself",
            fillcolor="rgba(0,114,178,0.12)",
            line={"width": 0},
            name="Intervalle de projection à 90 %",
            hoverinfo="skip",
        )
    )
    add_month_series(
        fig,
        projection,
        "flux_annualise_projete",
        "Projection (tendance des 12 derniers mois)",
        "%{x|%m/%Y} : %{y:,.0f} documents/an projetés<extra></extra>",
        mode="lines",
        line={"color": PROJECTION_COLOR, "dash": "dot", "width": 2},
    )


def _published_trace(fig: go.Figure, published: pl.DataFrame) -> None:
    """Les chiffres publiés, chacun avec sa remarque et sa source au survol."""
    sources = [citations.source_title(s) for s in published["source"].to_list()]
    add_month_series(
        fig,
        published,
        "flux_annualise",
        "Chiffre publié",
        "Publié : %{y:,.0f} documents/an (%{x|%m/%Y})<br>%{customdata[1]}<br>Source : %{customdata[0]}<extra></extra>",
        mode="markers",
        marker={"symbol": "diamond-open", "size": 12, "color": PUBLISHED_COLOR, "line": {"width": 2}},
        customdata=list(zip(sources, published["remarque"].fill_null("").to_list(), strict=True)),
    )


def _milestone_marks(
    fig: go.Figure, milestones: pl.DataFrame, x_min: dt.date, x_max: dt.date, today: dt.date | None = None
) -> None:
    """Les COSUI de la période : un trait vertical et un triangle (le jalon au survol, « (prévu) » s'il est
    postérieur à `today`)."""
    visible = milestones.filter(
        pl.col("programme").is_in(MILESTONE_PROGRAMMES)
        & (pl.col("date") >= x_min)
        & (pl.col("date") <= x_max)
    )
    events.add_vertical_lines(fig, visible["date"].to_list(), {"color": "#777", "dash": "dot", "width": 1})
    if visible.height:
        fig.add_trace(
            go.Scatter(
                x=visible["date"].to_list(),
                y=[0] * visible.height,
                mode="markers",
                marker={"symbol": "triangle-up", "size": 11, "color": "#555"},
                name="COSUI",
                text=[
                    f"{jalon} (prévu)" if today is not None and day > today else jalon
                    for jalon, day in zip(visible["jalon"].to_list(), visible["date"].to_list(), strict=True)
                ],
                hovertemplate="%{x|%d/%m/%Y} : %{text}<extra></extra>",
            )
        )


def annualised_trend(
    series: pl.DataFrame,
    published: pl.DataFrame,
    milestones: pl.DataFrame,
    projection: pl.DataFrame,
    target: float | None,
    title: str,
    selected_month: dt.date | None = None,
    today: dt.date | None = None,
) -> go.Figure:
    """Rythme annuel (mois × 12) dans le temps, cible, points publiés (avec leur source), COSUI et projection.
    Un COSUI postérieur à `today` est marqué « (prévu) »."""
    fig = go.Figure()
    add_month_series(
        fig,
        series,
        "flux_annualise",
        "Rythme annuel (mois × 12)",
        "%{x|%m/%Y} : %{y:,.0f} documents/an<extra></extra>",
        mode="lines+markers",
        line={"color": COULOIR_COLORS[ALL_COULOIRS], "width": 3},
        marker={"size": 5},
    )
    if projection.height:
        _projection_traces(fig, projection)
    if published.height:
        _published_trace(fig, published)
    if target:
        fig.add_hline(
            y=target,
            line={"color": TARGET_COLOR, "dash": "dash", "width": 2},
            annotation_text=f"Cible : {formats.millions(target, 0)} documents/an",
            annotation_position="top left",
        )
    if series.height:
        last = projection["mois"].max() if projection.height else series["mois"].max()
        _milestone_marks(fig, milestones, series["mois"].min(), last, today)  # type: ignore[arg-type]
        # Échéances et incidents (grève des envois en biologie de novembre 2024) : un creux s'explique où il se voit.
        events.annotate(fig, series["mois"].min(), last, ("Échéance", "Incident"))  # type: ignore[arg-type]
    if selected_month is not None:
        fig.add_vline(x=selected_month, line={"color": "#000", "width": 1})
    apply_defaults(fig, title, height=460)
    highest = max(
        [v for v in series["flux_annualise"].to_list() if v is not None]
        + (projection["flux_annualise_haut"].to_list() if projection.height else [])
        + [target or 0]
    )
    millions_axis(fig, "Documents par an", highest)
    fig.update_yaxes(rangemode="tozero")
    return fig


def couloir_stacked(series: pl.DataFrame, title: str) -> go.Figure:
    """Documents envoyés chaque mois, empilés par couloir (motifs de remplissage en plus des couleurs)."""
    fig = go.Figure()
    patterns = ["", "/", ".", "x", "-", "|", "+"]
    for i, code in enumerate(c for c in COULOIR_ORDER if c in series["couloir"].unique().to_list()):
        part = series.filter(pl.col("couloir") == code)
        fig.add_trace(
            go.Bar(
                x=part["mois"].to_list(),
                y=part["documents"].to_list(),
                name=couloir_label(code),
                marker={"color": COULOIR_COLORS[code], "pattern": {"shape": patterns[i % len(patterns)]}},
                hovertemplate=f"{couloir_label(code)} — %{{x|%m/%Y}} : %{{y:,.0f}} documents<extra></extra>",
            )
        )
    if series.height:
        events.annotate(fig, series["mois"].min(), series["mois"].max())  # type: ignore[arg-type]
    apply_defaults(fig, title, height=440)
    fig.update_layout(barmode="stack", bargap=0.1)
    monthly_totals = series.group_by("mois").agg(pl.col("documents").sum())["documents"].to_list()
    millions_axis(fig, "Documents par mois", float(max(monthly_totals, default=0)))
    return fig


def couloir_shares(series: pl.DataFrame, title: str) -> go.Figure:
    """Part de chaque couloir dans les documents du mois (trait et symbole propres à chaque couloir)."""
    fig = go.Figure()
    for code in (c for c in COULOIR_ORDER if c in series["couloir"].unique().to_list()):
        name = couloir_label(code)
        add_month_series(
            fig,
            series.filter(pl.col("couloir") == code),
            "part_couloir",
            name,
            f"{name} — %{{x|%m/%Y}} : %{{y:.1%}}<extra></extra>",
            mode="lines+markers",
            line={"color": COULOIR_COLORS[code], "dash": COULOIR_DASHES[code], "width": 2},
            marker={"symbol": COULOIR_SYMBOLS[code], "size": 6},
        )
    apply_defaults(fig, title, height=420)
    fig.update_yaxes(title="Part des documents du mois", tickformat=".0%", rangemode="tozero")
    return fig


def couloir_targets(
    latest: pl.DataFrame, title: str, font_size: float = 14, plot_width: float = 640
) -> go.Figure:
    """Rythme annuel de chaque couloir ciblé face à sa cible (trait orange par-dessus la barre), le taux d'atteinte
    écrit au bout de la barre ; l'axe s'étend assez pour que ce texte tienne dans `plot_width` pixels."""
    rows = latest.filter(pl.col("cible").is_not_null() & (pl.col("couloir") != ALL_COULOIRS)).sort(
        "taux_atteinte_cible"
    )
    labels = [couloir_label(c) for c in rows["couloir"].to_list()]
    texts = [formats.percent(v, 0) + " de la cible" for v in rows["taux_atteinte_cible"].to_list()]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=rows["flux_annualise"].to_list(),
            orientation="h",
            name="Rythme annuel",
            marker={"color": PROJECTION_COLOR},
            text=texts,
            textposition="outside",
            cliponaxis=False,
            hovertemplate="Rythme annuel : %{x:,.0f} documents/an<extra></extra>",
        )
    )
    # La cible se dessine après la barre : un couloir qui la dépasse ne la cache pas.
    fig.add_trace(
        go.Scatter(
            x=rows["cible"].to_list(),
            mode="markers",
            name="Cible",
            marker={"symbol": "line-ns", "size": 34, "line": {"color": TARGET_COLOR, "width": 4}},
            hovertemplate="Cible : %{x:,.0f} documents/an<extra></extra>",
        )
    )
    # La barre et sa cible se lisent sur la même ligne : un seul axe des couloirs pour les deux.
    fig.update_traces(y=labels)
    apply_defaults(fig, title, height=max(300, 90 + 70 * rows.height))
    fig.update_layout(barmode="overlay", font={"size": font_size})
    # Le bout de chaque barre et son texte tiennent dans la zone de tracé : x / étendue × largeur + texte ≤ largeur.
    reach = [
        value / max(0.2, 1 - (layout.text_width(text, font_size) + 12) / plot_width)
        for value, text in zip(rows["flux_annualise"].to_list(), texts, strict=True)
        if value is not None
    ]
    highest = max(reach + [c * 1.05 for c in rows["cible"].to_list()] + [0])
    millions_axis(fig, "Documents par an", highest)
    fig.update_xaxes(
        showgrid=True,
        gridcolor="#e5e5e5",
        title="Documents par an",
        tickvals=fig.layout.yaxis.tickvals,
        ticktext=fig.layout.yaxis.ticktext,
        range=[0, highest],
    )
    fig.update_yaxes(tickvals=None, ticktext=None, title=None, range=None)
    return fig


def index_vs_national(
    region: pl.DataFrame, national: pl.DataFrame, region_label: str, title: str, parent_label: str = "France"
) -> go.Figure:
    """Documents par habitant et par an : un territoire face à son parent (la France, ou la région d'un
    département)."""
    fig = go.Figure()
    for frame, name, color, dash in (
        (national, parent_label, COULOIR_COLORS[ALL_COULOIRS], "dash"),
        (region, region_label, COULOIR_COLORS["BIO"], "solid"),
    ):
        hover = f"{name} — %{{x|%m/%Y}} : %{{y:.2f}} documents/habitant/an<extra></extra>"
        line = {"color": color, "dash": dash, "width": 3}
        add_month_series(fig, frame, "documents_par_habitant_an", name, hover, mode="lines", line=line)
    apply_defaults(fig, title, height=380)
    fig.update_yaxes(title="Documents par habitant et par an", rangemode="tozero")
    return fig


def grouped_bars(
    categories: list[str], series: dict[str, list[float | None]], title: str, axis_title: str
) -> go.Figure:
    """Barres groupées (SONS : BDC, installations, soldes ; SUN-ES : engagés, validés), motifs distincts."""
    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
    patterns = ["", "/", ".", "x"]
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_trace(
            go.Bar(
                x=categories,
                y=values,
                name=name,
                marker={"color": palette[i % 4], "pattern": {"shape": patterns[i % 4]}},
                hovertemplate=f"{name} — %{{x}} : %{{y:,.0f}}<extra></extra>",
            )
        )
    apply_defaults(fig, title, height=420)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=axis_title, tickformat=",d")
    return fig


def rate_bars(categories: list[str], rates: list[float | None], title: str, axis_title: str) -> go.Figure:
    """Taux (0–1) par catégorie, la valeur écrite sur chaque barre."""
    fig = go.Figure(
        go.Bar(
            x=categories,
            y=rates,
            marker={"color": "#0072B2"},
            text=[formats.percent(r, 1) for r in rates],
            textposition="outside",
            hovertemplate="%{x} : %{y:.1%}<extra></extra>",
            name=axis_title,
        )
    )
    apply_defaults(fig, title, height=380, legend=False)
    fig.update_yaxes(title=axis_title, tickformat=".0%", rangemode="tozero")
    return fig


# --- Cartes hors ligne ----------------------------------------------------------------------------------------

# Encarts des outre-mer, à gauche de la métropole : (x, y) du centre de l'encart, en degrés « métropole ».
_INSETS = {
    "971": (-8.0, 50.0),
    "972": (-8.0, 48.2),
    "973": (-8.0, 46.2),
    "974": (-8.0, 44.2),
    "976": (-8.0, 42.4),
    "01": (-8.0, 50.0),
    "02": (-8.0, 48.2),
    "03": (-8.0, 46.2),
    "04": (-8.0, 44.2),
    "06": (-8.0, 42.4),
}
_INSET_SIZE = 1.5


def _rings(geometry: dict) -> list[list[list[float]]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [polygon[0] for polygon in polygons]


@lru_cache(maxsize=2)
def map_shapes(level: str) -> dict[str, tuple[str, list[float | None], list[float | None]]]:
    """code → (nom, x, y) des contours, outre-mer déplacés en encarts ; anneaux séparés par None (un seul tracé)."""
    path = GEO_DIR / ("regions.geojson" if level == "region" else "departements.geojson")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    shapes: dict[str, tuple[str, list[float | None], list[float | None]]] = {}
    for feature in features:
        code, name = feature["properties"]["code"], feature["properties"]["nom"]
        rings = _rings(feature["geometry"])
        if code in _INSETS:
            xs = [p[0] for r in rings for p in r]
            ys = [p[1] for r in rings for p in r]
            scale = _INSET_SIZE / max(max(xs) - min(xs), (max(ys) - min(ys)) * 1.45)
            cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
            tx, ty = _INSETS[code]
            rings = [[[tx + (x - cx) * scale, ty + (y - cy) * scale] for x, y in r] for r in rings]
        x: list[float | None] = []
        y: list[float | None] = []
        for ring in rings:
            x.extend(p[0] for p in ring)
            y.extend(p[1] for p in ring)
            x.append(None)
            y.append(None)
        shapes[code] = (name, x, y)
    return shapes


@lru_cache(maxsize=2)
def _outline_arrays(level: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Les contours de `map_shapes` en tableaux numpy, anneaux séparés par NaN (une coupure du trait pour Plotly,
    comme None) : Plotly vérifie une liste point par point et un tableau d'un coup (une carte des départements,
    29 000 points, se construit deux fois plus vite)."""
    return {
        code: (np.array(x, dtype=float), np.array(y, dtype=float))
        for code, (_, x, y) in map_shapes(level).items()
    }


@lru_cache(maxsize=2)
def _centres(level: str) -> dict[str, tuple[float, float]]:
    """Le centre de chaque contour de `map_shapes`, calculé une fois par niveau (les contours ne changent pas)."""
    return {code: _centre(x, y) for code, (_, x, y) in map_shapes(level).items()}


def _centre(x: list[float | None], y: list[float | None]) -> tuple[float, float]:
    """Centre de la boîte du plus grand anneau d'un contour (où écrire sa valeur)."""
    rings: list[list[tuple[float, float]]] = [[]]
    for px, py in zip(x, y, strict=True):
        if px is None or py is None:
            rings.append([])
        else:
            rings[-1].append((px, py))
    largest = max(rings, key=len)
    xs, ys = [p[0] for p in largest], [p[1] for p in largest]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def _bins(values: list[float]) -> list[float]:
    ordered = sorted(values)
    if not ordered:
        return []
    cuts = [ordered[min(len(ordered) - 1, int(len(ordered) * q / 5))] for q in range(1, 5)]
    return sorted(set(cuts))


def choropleth(
    values: dict[str, float | None],
    level: str,
    title: str,
    unit: str,
    digits: int = 2,
    only: frozenset[str] | None = None,
) -> go.Figure:
    """Carte par aplats (tracés Plotly ordinaires, sans fond de carte téléchargé) ; classes de quantiles en légende.
    Avec `only`, seuls ces territoires sont dessinés : la carte est cadrée sur eux (une région et ses départements)."""
    shapes = {code: shape for code, shape in map_shapes(level).items() if only is None or code in only}
    known = [v for v in values.values() if v is not None]
    cuts = _bins(known)
    edges = [min(known) if known else 0.0, *cuts, max(known) if known else 0.0]

    def klass(v: float) -> int:
        return sum(v > c for c in cuts)

    fig = go.Figure()
    shown: set[str] = set()
    outlines = _outline_arrays(level)
    territories: list[dict[str, object]] = []
    for code, (name, _, _) in shapes.items():
        value = values.get(code)
        if value is None:
            color, legend, group = "#ffffff", "Pas de donnée", "nd"
        else:
            k = klass(value)
            color = SEQUENTIAL_SCALE[min(k, len(SEQUENTIAL_SCALE) - 1)]
            legend = f"{formats.decimal(edges[k], digits)} – {formats.decimal(edges[k + 1], digits)} {unit}"
            group = str(k)
        first = group not in shown
        shown.add(group)
        shown_value = f"{formats.decimal(value, digits)} {unit}" if value is not None else "pas de donnée "
        x, y = outlines[code]
        territories.append(
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "fill": "toself",
                "fillcolor": color,
                "mode": "lines",
                "line": {"color": "#555", "width": 0.6},
                "name": legend,
                "legendgroup": group,
                "showlegend": first,
                "legendrank": int(group) if group != "nd" else 99,
                "hoveron": "fills",
                "text": f"{name} ({code}) : {shown_value}",
                "hoverinfo": "text",
            }
        )
    # En une fois, et en dictionnaires : chaque `add_trace` revérifie la liste des tracés déjà posés, et un
    # `go.Scatter` passé à `add_traces` y est vérifié une seconde fois, recopié.
    fig.add_traces(territories)
    if level == "region":
        # La valeur écrite sur chaque région : la carte se lit sans les couleurs (RGAA 3.1).
        centres = [(code, _centres(level)[code]) for code in shapes if values.get(code) is not None]
        fig.add_trace(
            go.Scatter(
                x=[c[0] for _, c in centres],
                y=[c[1] for _, c in centres],
                mode="text",
                text=[formats.decimal(values[code], digits) for code, _ in centres],
                # Blanc sur les deux classes les plus foncées, noir ailleurs : contraste d'au moins 4,5:1.
                textfont={
                    "size": 12,
                    "color": ["#ffffff" if klass(values[code]) >= 3 else "#000000" for code, _ in centres],  # type: ignore[arg-type]
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
    apply_defaults(fig, title, height=620)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.45)
    fig.update_layout(
        legend={"orientation": "h", "y": 0.0, "yanchor": "top", "x": 0.0},
        margin={"l": 0, "r": 0, "t": 60, "b": 0},
        # Marque lue par carte_clavier.js : chaque territoire devient atteignable au clavier (RGAA 7.1).
        meta={"carte": True},
    )
    return fig


KEYBOARD_SCRIPT = Path(__file__).with_name("carte_clavier.js")
KEYBOARD_HINT = "Au clavier : Tab atteint la carte, les flèches passent d'un territoire à l'autre."


def is_map(fig: go.Figure) -> bool:
    """Vrai pour une carte par aplats de `choropleth` (elle porte la marque lue par le script du clavier)."""
    meta = fig.layout.meta
    return isinstance(meta, dict) and meta.get("carte") is True
