"""Événements datés et sourcés portés sur les graphiques dans le temps, pour qu'un creux s'explique là où il se voit :
échéances et incidents (grève des envois en biologie de novembre 2024) de `data/reference/evenements.csv`, et les
COSUI tels que les donne la liste des jalons (`jalons.csv`), la seule qui les date."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import plotly.graph_objects as go
import polars as pl

from pipelines import formats
from pipelines.publish.citations import source_title
from pipelines.settings import REFERENCE_DIR

# Symbole et couleur par catégorie : le sens ne repose pas sur la couleur seule.
STYLES = {
    "COSUI": ("triangle-up", "#555555", "dot"),
    "Échéance": ("square", "#0072B2", "dash"),
    "Incident": ("x", "#D55E00", "solid"),
}


@lru_cache(maxsize=1)
def events() -> pl.DataFrame:
    """Les événements : date, catégorie, libellé, description, source ; un COSUI s'appelle « COSUI n° 10 » d'après
    son jalon « 10e Comité de suivi… »."""
    dated = pl.read_csv(REFERENCE_DIR / "evenements.csv", schema_overrides={"date": pl.Date})
    cosui = (
        pl.read_csv(REFERENCE_DIR / "jalons.csv", schema_overrides={"date": pl.Date})
        .filter(pl.col("programme") == "COSUI")
        .select(
            "date",
            pl.lit("COSUI").alias("categorie"),
            pl.format("COSUI n° {}", pl.col("jalon").str.extract(r"^(\d+)e ")).alias("libelle"),
            pl.col("jalon").alias("description"),
            "source",
        )
    )
    return pl.concat([dated, cosui]).sort("date")


def in_range(first: dt.date | None, last: dt.date | None, table: pl.DataFrame | None = None) -> pl.DataFrame:
    """Les événements entre deux dates (incluses), dans l'ordre chronologique."""
    table = events() if table is None else table
    if first is None or last is None:
        return table.head(0)
    return table.filter(pl.col("date").is_between(first, last)).sort("date")


def annotate(
    fig: go.Figure, first: dt.date | None, last: dt.date | None, categories: tuple[str, ...] = tuple(STYLES)
) -> pl.DataFrame:
    """Ajoute au graphique un trait vertical par événement de la période et un repère survolable (libellé, source),
    un nom court écrit au-dessus des incidents ; « (prévu) » après la date du jour. Rend les événements portés (pour
    le texte alternatif)."""
    shown = in_range(first, last).filter(pl.col("categorie").is_in(categories))
    today = dt.date.today()
    for category, (symbol, color, dash) in STYLES.items():
        part = shown.filter(pl.col("categorie") == category)
        if not part.height:
            continue
        add_vertical_lines(fig, part["date"].to_list(), {"color": color, "dash": dash, "width": 1})
        for row in part.iter_rows(named=True):
            if category == "Incident":
                fig.add_annotation(
                    x=row["date"],
                    y=1,
                    yref="paper",
                    text=row["libelle"],
                    showarrow=False,
                    yanchor="bottom",
                    font={"size": 11, "color": color},
                )
        fig.add_trace(
            go.Scatter(
                x=part["date"].to_list(),
                y=[0] * part.height,
                mode="markers",
                marker={"symbol": symbol, "size": 11, "color": color},
                name=category if category != "Échéance" else "Échéance réglementaire ou SONS",
                customdata=[_hover(row, today) for row in part.iter_rows(named=True)],
                hovertemplate="%{x|%d/%m/%Y} : %{customdata[0]}<br>Source : %{customdata[1]}<extra></extra>",
            )
        )
    return shown


def add_vertical_lines(fig: go.Figure, days: list[dt.date], line: dict[str, object]) -> None:
    """Un trait vertical sur toute la hauteur du graphique à chaque date, posés en une fois : les mêmes formes que
    `add_vline`, qui revalide toute la mise en page à chaque trait (0,4 à 0,6 s par courbe sous charge).

    Les formes sont affectées, non fusionnées : `update_layout(shapes=…)` met à jour une à une les formes déjà posées
    en vérifiant chaque chemin (0,15 s par appel pour une quinzaine de traits), l'affectation les recopie (5 ms)."""
    shapes = [
        {
            "type": "line",
            "x0": day,
            "x1": day,
            "xref": "x",
            "y0": 0,
            "y1": 1,
            "yref": "y domain",
            "line": line,
        }
        for day in days
    ]
    if shapes:
        fig.layout.shapes = (*fig.layout.shapes, *shapes)


def _hover(row: dict[str, object], today: dt.date) -> tuple[str, str]:
    """Libellé (« (prévu) » après aujourd'hui) et source citée par son titre."""
    label = str(row["libelle"])
    when = row["date"]
    planned = isinstance(when, dt.date) and when > today
    return (f"{label} (prévu)" if planned else label, source_title(str(row["source"])))


def describe(shown: pl.DataFrame) -> str:
    """Les événements portés, en une phrase (texte alternatif du graphique)."""
    if not shown.height:
        return ""
    items = [f"{formats.date(r['date'])} : {r['libelle']}" for r in shown.iter_rows(named=True)]
    return " Événements repérés sur le graphique — " + " ; ".join(items) + "."
