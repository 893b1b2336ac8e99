"""Ce que les pages partagent : lectures en cache (clé = version de l'entrepôt), sélection de la barre latérale,
rendu accessible d'un graphique (titre-constat, légende, tableau équivalent)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pipelines import formats
from pipelines.indicators import kpi as kpi_module
from pipelines.publish import charts
from pipelines.settings import get_settings
from pipelines.warehouse import queries
from pipelines.warehouse.connection import connect_read, version


@dataclass(frozen=True)
class Selection:
    mois: dt.date | None
    niveau: str  # pays / region / departement
    code: str
    libelle: str


def db_path() -> str:
    return str(get_settings().db_path())


def warehouse_version() -> tuple[int, int]:
    return version(get_settings().db_path())


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_query(name: str, db: str, stamp: tuple[int, int], args: tuple[Any, ...]) -> Any:
    from pathlib import Path

    with connect_read(Path(db)) as con:
        return getattr(queries, name)(con, *args)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_csv(name: str, db: str, stamp: tuple[int, int]) -> bytes:
    from pathlib import Path

    with connect_read(Path(db)) as con:
        return queries.raw_table(con, name).write_csv().encode("utf-8")


def csv_download(name: str) -> bytes:
    """Une vue publique en CSV, encodée une fois par version de l'entrepôt (et non à chaque affichage)."""
    return _cached_csv(name, db_path(), warehouse_version())


def load(name: str, *args: Any) -> Any:
    """Résultat de `queries.<name>(*args)`, mis en cache tant que l'entrepôt publié ne change pas."""
    return _cached_query(name, db_path(), warehouse_version(), args)


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_kpi(
    db: str, stamp: tuple[int, int], mois: dt.date | None, niveau: str, code: str
) -> dict[str, Any]:
    from pathlib import Path

    with connect_read(Path(db)) as con:
        return kpi_module.key_figures(con, mois, niveau, code)


def key_figures(selection: Selection) -> dict[str, Any]:
    """Les chiffres clés : exactement ceux de `python -m pipelines kpi --json`."""
    return _cached_kpi(db_path(), warehouse_version(), selection.mois, selection.niveau, selection.code)


def selection() -> Selection:
    chosen = st.session_state.get("selection")
    if chosen is None:
        return Selection(None, "pays", "FR", "France")
    return chosen  # type: ignore[no-any-return]


def chart(fig: go.Figure, caption: str, table: pl.DataFrame | None = None, key: str | None = None) -> None:
    """Un graphique accessible : la figure, sa légende (définition et source) et les mêmes chiffres en tableau."""
    st.plotly_chart(fig, config={"displaylogo": False, "locale": "fr"}, key=key)
    st.caption(caption)
    if table is not None:
        with st.expander("Voir les chiffres du graphique (tableau)"):
            st.dataframe(table, hide_index=True)


@st.cache_resource(show_spinner=False, max_entries=32)
def _choropleth(
    items: tuple[tuple[str, float | None], ...], level: str, title: str, unit: str, digits: int
) -> go.Figure:
    return charts.choropleth(dict(items), level, title, unit, digits)


def choropleth(
    values: dict[str, float | None], level: str, title: str, unit: str, digits: int = 2
) -> go.Figure:
    """`charts.choropleth`, gardée d'un passage à l'autre : une centaine de tracés Plotly à valider coûtent 0,15 s
    par carte, et la même carte sert tant que les chiffres ne changent pas (la figure n'est jamais modifiée)."""
    return _choropleth(tuple(sorted(values.items())), level, title, unit, digits)


def month_label(iso_month: str | None, preposition: bool = False) -> str:
    """« 2024-05 » → « mai 2024 » (libellés des indicateurs) ; avec la préposition, « de mai 2024 », « d'août 2024 »."""
    value = dt.date.fromisoformat(f"{iso_month}-01") if iso_month else None
    if preposition:
        return formats.of_month(value)
    return formats.month(value) if value else "—"


def demo_note(is_demo: bool) -> None:
    if is_demo:
        st.info(
            "Les chiffres de cette page comprennent des données de démonstration.", icon=":material/info:"
        )
