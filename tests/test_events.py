"""Les événements des graphiques dans le temps : les COSUI viennent de la liste des jalons (une seule définition), et
le survol cite chaque source par son titre, jamais par un nom de fichier interne."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from pipelines.publish import events
from pipelines.settings import REFERENCE_DIR


def test_every_cosui_of_the_milestones_is_an_event_with_its_number() -> None:
    milestones = pl.read_csv(REFERENCE_DIR / "jalons.csv", schema_overrides={"date": pl.Date})
    cosui = events.events().filter(pl.col("categorie") == "COSUI")
    assert (
        cosui["date"].to_list() == milestones.filter(pl.col("programme") == "COSUI")["date"].sort().to_list()
    )
    tenth = cosui.filter(pl.col("date") == dt.date(2024, 5, 15))
    assert tenth["libelle"].to_list() == ["COSUI n° 10"]
    assert cosui["libelle"].str.contains(r"^COSUI n° \d+$").all()


def test_the_hover_cites_the_source_by_its_title() -> None:
    fig = go.Figure()
    shown = events.annotate(fig, dt.date(2024, 1, 1), dt.date(2024, 6, 30), ("COSUI",))
    assert shown["libelle"].to_list() == ["COSUI n° 9", "COSUI n° 10"]
    (trace,) = fig.data
    assert [tuple(c) for c in trace.customdata] == [
        ("COSUI n° 9", "Support du 9e COSUI Ségur numérique, 17 janvier 2024"),
        ("COSUI n° 10", "Support du 9e COSUI Ségur numérique, 17 janvier 2024"),
    ]


def test_vertical_lines_keep_the_shapes_already_drawn() -> None:
    """Chaque catégorie pose ses traits en une fois, à la suite de ceux déjà posés (cible, autre catégorie)."""
    fig = go.Figure(go.Scatter(x=[dt.date(2023, 1, 1), dt.date(2026, 1, 1)], y=[1, 2]))
    fig.add_hline(y=1)
    shown = events.annotate(fig, dt.date(2023, 1, 1), dt.date(2026, 1, 1))
    lines = [s for s in fig.layout.shapes if s.yref == "y domain"]
    assert len(fig.layout.shapes) == 1 + shown.height and len(lines) == shown.height
    assert sorted(s.x0 for s in lines) == sorted(shown["date"].to_list())
