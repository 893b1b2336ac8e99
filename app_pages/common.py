"""Ce que les pages partagent : lectures en cache (clé = identifiant de la publication lue par la connexion même
qui sert la page), sélection de la barre latérale,
rendu accessible d'un graphique (titre-constat, légende, tableau équivalent)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import duckdb

# Importés ici, sous le verrou d'import de ce module, avant toute page : Polars importe pandas et pyarrow à la demande
# (`to_pandas`) et rend `sys.modules[...]` tel quel, même à moitié initialisé ; vingt sessions ouvertes ensemble sur un
# serveur neuf recevaient « partially initialized module 'pandas' » (benchmarks/load.py).
import pandas  # noqa: F401
import plotly.graph_objects as go
import polars as pl
import pyarrow  # noqa: F401
import streamlit as st

from app_pages.francais import PLOTLY_CONFIG
from pipelines import formats
from pipelines.access import LOCAL, PUBLIC, AccessError, Role, bound_frame
from pipelines.indicators import kpi as kpi_module
from pipelines.indicators.completeness import current_month
from pipelines.publish import charts, establishment_charts, usage_charts
from pipelines.publish import layout as chart_layout
from pipelines.publish.citations import source_title
from pipelines.settings import PREFIX as SETTINGS_PREFIX
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import queries
from pipelines.warehouse.connection import (
    WarehouseUnavailable,
    connect_read,
    connect_snapshot,
    describe_failure,
    publication_id,
    snapshot_cursor,
    version,
)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Selection:
    mois: dt.date | None
    niveau: str  # pays / region / departement
    code: str
    libelle: str
    # Mois incomplet : sa couverture (`completude`, docs/INDICATEURS.md) ; None pour un mois complet.
    couverture: dict[str, Any] | None = None

    @property
    def provisoire(self) -> bool:
        return self.couverture is not None

    def mark(self) -> str:
        """« » pour un mois complet ; « (provisoire : 1 région sur 18, 4 couloirs sur 7…) » sinon."""
        return f" (provisoire : {formats.coverage(self.couverture)})" if self.couverture is not None else ""


def month_choices(niveau: str, code: str, months: list[dt.date]) -> tuple[int, dict[dt.date, dict[str, Any]]]:
    """Position du mois par défaut (le dernier mois complet du périmètre, sinon le plus récent) dans `months` (du plus
    récent au plus ancien), et la couverture de chaque mois provisoire."""
    statuses = read(queries.month_completeness, niveau, code)
    current = current_month()
    provisional = {
        row["mois"]: row
        for row in statuses.iter_rows(named=True)
        if not (row["complet"] and row["mois"] < current)
    }
    if statuses.height == 0:  # entrepôt antérieur à la complétude : tous les mois sont tenus pour complets
        return 0, {}
    index = next((i for i, m in enumerate(months) if m not in provisional), 0)
    return index, provisional


def settings() -> Settings:
    """Les réglages de `get_settings` pour l'environnement présent : relus quand une variable `MES_*` change (les
    tests changent `MES_DB`), sinon ceux déjà lus ; une page les demande des dizaines de fois par passage."""
    return _settings_for(_mes_environment())


def db_path() -> str:
    """Le chemin de l'entrepôt, lien symbolique résolu à chaque appel : un lien repointé vers un autre fichier est
    suivi sans redémarrer le serveur."""
    return str(settings().db_path())


def _mes_environment() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(SETTINGS_PREFIX)))


@lru_cache(maxsize=8)
def _settings_for(environment: tuple[tuple[str, str], ...]) -> Settings:
    """Les réglages lus dans ces variables (`SettingsError` n'est pas gardée)."""
    return get_settings(dict(environment))


def warehouse_version() -> str:
    """L'identifiant de la publication servie en ce moment (lu par une connexion ouverte sur elle)."""
    con, stamp = _opened()
    con.close()
    return stamp


@st.cache_resource(show_spinner=False, max_entries=2)
def _snapshot(db: str, file_version: tuple[int, int]) -> tuple[duckdb.DuckDBPyConnection, str]:
    """Une connexion sur le fichier publié présent à l'ouverture, gardée tant que le fichier ne change pas, et
    l'identifiant de publication lu par elle (une fois : il ne change pas tant que la connexion sert le même fichier).

    `duckdb.connect` rendrait l'ancienne version tant qu'une autre connexion du processus y reste ouverte : la clé
    des caches viendrait alors d'un fichier et les données d'un autre (voir `connection.connect_snapshot`)."""
    con = connect_snapshot(Path(db))
    cursor = snapshot_cursor(con)
    try:
        return con, publication_id(cursor)
    finally:
        cursor.close()


def _opened() -> tuple[duckdb.DuckDBPyConnection, str]:
    """(curseur, identifiant de publication) : la clé du cache et la lecture viennent de la même version ouverte."""
    db = db_path()
    con, stamp = _snapshot(db, version(Path(db)))
    return snapshot_cursor(con), stamp


@st.cache_resource(show_spinner=False, max_entries=2)
def _public_database(db: str, stamp: str, _con: duckdb.DuckDBPyConnection | None = None) -> Any:
    """La base du site public (tables publiées seulement), construite une fois par version de l'entrepôt."""
    from pipelines.publish.public_warehouse import public_database

    if _con is not None:
        return public_database(_con)
    with connect_read(Path(db)) as con:
        return public_database(con)


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_read(
    _query: Callable[..., Any],
    name: str,
    db: str,
    stamp: str,
    mode: str,
    args: tuple[Any, ...],
    _con: duckdb.DuckDBPyConnection,
) -> Any:
    # La fonction elle-même n'entre pas dans la clé du cache (`_query`) : son nom complet la désigne. La connexion
    # (`_con`) non plus : c'est elle qui a donné `stamp`.
    if mode == "public":
        return _query(_public_database(db, stamp, _con).cursor(), *args)
    return _query(_con, *args)


def role() -> Role:
    """Le rôle de la session (posé par app.py) ; hors application, celui du mode."""
    chosen = st.session_state.get("role")
    if isinstance(chosen, Role):
        return chosen
    if settings().mode == "local":
        return LOCAL
    if settings().mode == "public":
        return PUBLIC
    raise AccessError("session sans rôle")


def read(
    query: Callable[Concatenate[duckdb.DuckDBPyConnection, P], R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """`query(con, *args)` (une lecture de `warehouse.queries`), mise en cache tant que l'entrepôt publié ne change
    pas, bornée au périmètre du rôle de la session. Le typage suit la requête : arguments et résultat sont vérifiés
    par mypy."""
    if kwargs:
        raise TypeError("read : arguments positionnels seulement (ils forment la clé du cache)")
    name = f"{query.__module__}.{query.__qualname__}"
    db = db_path()
    con, stamp = _opened()
    try:
        with con:
            result = _cached_read(query, name, db, stamp, settings().mode, args, con)
    except duckdb.Error as exc:  # fichier abîmé au-delà de son en-tête : la cause en français, pas une trace
        raise WarehouseUnavailable(f"Entrepôt illisible ({db}) : {describe_failure(exc)}.") from exc
    return cast(R, bound_frame(role(), result))


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_kpi(
    db: str,
    stamp: str,
    mode: str,
    mois: dt.date | None,
    niveau: str,
    code: str,
    _con: duckdb.DuckDBPyConnection,
) -> dict[str, Any]:
    if mode == "public":
        return kpi_module.key_figures(_public_database(db, stamp, _con).cursor(), mois, niveau, code)
    return kpi_module.key_figures(_con, mois, niveau, code)


def key_figures(selection: Selection) -> dict[str, Any]:
    """Les chiffres clés : exactement ceux de `python -m pipelines kpi --json`."""
    if selection.niveau not in ("pays", "region") and role().perimetre.region is not None:
        geographies = read(queries.geographies)
        if selection.code not in geographies["code_geo"].to_list():
            raise AccessError(f"géographie « {selection.code} » inconnue")
    elif selection.niveau == "region" and not role().perimetre.allows("region", selection.code):
        raise AccessError(f"géographie « {selection.code} » inconnue")
    con, stamp = _opened()
    with con:
        return _cached_kpi(
            db_path(), stamp, settings().mode, selection.mois, selection.niveau, selection.code, con
        )


def with_parents(sel: Selection) -> list[tuple[str, dict[str, Any]]]:
    """Les chiffres clés du territoire choisi puis de ses parents, le même mois : un département, sa région et la
    France ; une région et la France ; la France seule. Chaque nom porte « (provisoire) » si son mois l'est."""
    scopes = [sel]
    if sel.niveau == "departement":
        geographies = read(queries.geographies)
        own = geographies.filter((pl.col("niveau") == "departement") & (pl.col("code_geo") == sel.code))
        region = str(own["code_region"].item()) if own.height else ""
        names = geographies.filter((pl.col("niveau") == "region") & (pl.col("code_geo") == region))
        if names.height:
            scopes.append(Selection(sel.mois, "region", region, str(names["libelle_geo"].item())))
    if sel.niveau != "pays":
        scopes.append(Selection(sel.mois, "pays", "FR", "France"))
    figures = []
    for scope in scopes:
        try:
            found = key_figures(scope)
        except kpi_module.NoData:
            continue
        figures.append((scope.libelle + ("" if found.get("complet", True) else " (provisoire)"), found))
    return figures


def selection() -> Selection:
    chosen = st.session_state.get("selection")
    if chosen is None:
        return Selection(None, "pays", "FR", "France")
    return cast(Selection, chosen)


def feed_page(page: str, when_empty: str, territory: bool = True) -> tuple[Selection, dt.date]:
    """Le titre d'une page des flux (« page — territoire » si `territory`) et la sélection avec son mois ; sans aucun
    flux pour le périmètre, `when_empty` et la page s'arrête."""
    sel = selection()
    st.title(f"{page} — {sel.libelle}" if territory else page)
    if sel.mois is None:
        st.info(when_empty)
        st.stop()
    return sel, sel.mois


def chart(
    fig: go.Figure,
    caption: str,
    table: pl.DataFrame | None = None,
    *,
    key: str,
    percent: tuple[str, ...] = (),
    digits: dict[str, int] | None = None,
) -> None:
    """Un graphique accessible : la figure, sa légende (définition et source) et les mêmes chiffres en tableau. Sur le
    site public, des données de démonstration portent le filigrane du paquet de transparence.

    Le tableau n'est construit que lorsque son volet est ouvert (`tableau_<key>` dans l'état de la session) : mis en
    forme à la française cellule par cellule, il prenait à chaque passage, volet fermé, 28 % du temps où le serveur
    tient le verrou de Python sous vingt sessions, le ramasse-miettes complet retiré (docs/PERFORMANCE.md)."""
    if settings().mode == "public" and read(queries.has_demo):
        fig = _watermarked(fig)
    title = fig.layout.title.text
    if title:
        # Le constat s'écrit au-dessus du graphique, en texte : il se replie à toute largeur, les lecteurs d'écran le
        # lisent, et la barre d'outils de Plotly ne le recouvre plus.
        st.markdown(f"**{_escape(title)}**")
    st.plotly_chart(_Ready(_display_spec(fig)), config=PLOTLY_CONFIG, theme=None, key=key)
    st.caption(f"{caption} {charts.KEYBOARD_HINT}" if charts.is_map(fig) else caption)
    if table is not None:
        table_shelf(
            "Voir les chiffres du graphique (tableau)", f"{TABLE_KEY_PREFIX}{key}", table, percent, digits
        )


def table_shelf(
    label: str,
    key: str,
    table: pl.DataFrame,
    percent: tuple[str, ...] = (),
    digits: dict[str, int] | None = None,
) -> None:
    """Un tableau dans un volet repliable, construit seulement volet ouvert (`st.session_state[key]` vrai) : ouvrir
    le volet relance la page, servie par le cache, qui le construit alors (`show_table`)."""
    with st.expander(label, key=key, on_change="rerun") as shelf:
        if shelf.open:
            show_table(table, percent=percent, digits=digits)


class _Ready(go.Figure):
    """Une figure déjà validée par Plotly, à passer à `st.plotly_chart` sans qu'il la revalide ni la recopie.

    `st.plotly_chart` reconstruit et revalide un dictionnaire (2,3 s pour une carte d'une centaine de tracés) et
    recopie une figure (`to_dict`) ; les figures de `pipelines.publish` sont validées à leur construction, et leur
    dictionnaire d'affichage est gardé avec elles (`_display_spec`) : celle-ci le rend tel quel, sans copie."""

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self._spec = spec

    def to_dict(self) -> dict[str, Any]:
        return self._spec


def _display_spec(fig: go.Figure) -> dict[str, Any]:
    """Le dictionnaire que l'application affiche pour `fig` : sans titre (écrit au-dessus), la légende au pied de la
    figure. Calculé une fois par figure et gardé avec elle : une figure en cache (`kept`) ne le recalcule pas, et
    n'est jamais modifiée (la page ne touche qu'à ce dictionnaire, dont rien ne modifie le contenu)."""
    known: dict[str, Any] | None = getattr(fig, "_mes_affichage", None)
    if known is not None:
        return known
    title = fig.layout.title.text
    spec = fig.to_plotly_json()
    layout = {**spec["layout"], "title": None}
    margin = {**layout.get("margin", {}), "t": 36 if title else layout.get("margin", {}).get("t", 36)}
    # La légende se pose au pied de la figure, sous le titre de l'axe : place calculée pour une colonne de 800 px.
    below = chart_layout.legend_below(fig, APP_CHART_WIDTH)
    if below:
        layout["legend"] = {**layout.get("legend", {}), **chart_layout.LEGEND_AT_BOTTOM}
        margin["b"] = int(margin.get("b", 10) + below)
        layout["height"] = int((layout.get("height") or 450) + below / 2)
    layout["margin"] = margin
    shown = {"data": spec["data"], "layout": layout}
    fig._mes_affichage = shown  # un attribut privé : Plotly laisse passer les noms en « _ »
    return shown


def _watermarked(fig: go.Figure) -> go.Figure:
    """`fig` avec le filigrane du paquet de transparence : une copie (la figure d'origine peut venir d'un cache
    partagé), faite une fois par figure et gardée avec elle."""
    known: go.Figure | None = getattr(fig, "_mes_filigrane", None)
    if known is None:
        from pipelines.publish.export import watermark

        known = go.Figure(fig)
        watermark(known)
        fig._mes_filigrane = known
    return known


def kept(builder: Callable[P, R]) -> Callable[P, R]:
    """Une figure de `pipelines.publish` gardée d'un passage à l'autre et d'une session à l'autre tant que ses
    arguments ne changent pas : construire une figure coûte jusqu'à 0,7 s (les repères `add_vline` de Plotly), la
    même sert à toutes les sessions qui lisent les mêmes chiffres. La clé est faite des arguments eux-mêmes (les
    tableaux déjà bornés au périmètre du rôle) : deux publics ne partagent une figure que s'ils lui ont donné
    exactement les mêmes chiffres. La figure rendue n'est jamais modifiée."""
    return cast(Callable[P, R], st.cache_resource(show_spinner=False, max_entries=128)(builder))


def _display(value: Any, percent: bool, digits: int) -> str:
    """Une cellule écrite à la française : milliers séparés, virgule décimale, « — » pour une valeur absente."""
    if value is None or (isinstance(value, float) and value != value):
        return formats.MISSING
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return formats.integer(value)
    if isinstance(value, float):
        return formats.percent(value, 1) if percent else formats.decimal(value, digits)
    if isinstance(value, dt.datetime):
        return f"{formats.date(value.date())} à {value:%H:%M}"
    if isinstance(value, dt.date):
        return formats.date(value)
    return str(value)


@dataclass(frozen=True)
class Formatted:
    """Une colonne écrite valeur par valeur par une fonction Python (titre d'une source, nombre à la française).

    La fonction est appliquée ici, hors de Polars : `map_elements` la ferait appeler depuis les fils de calcul de
    Polars, qui attendent alors le verrou global de Python ; vingt sessions en même temps y restaient bloquées
    (serveur figé, benchmarks/load.py)."""

    column: str
    function: Callable[[Any], str]

    def series(self, frame: pl.DataFrame, name: str) -> pl.Series:
        """La colonne écrite ; une valeur absente reste absente, et `labelled` l'écrit « — ». Chaque valeur distincte
        n'est écrite qu'une fois (la liste des établissements en a 33 000, aux comptes souvent répétés)."""
        values = frame[self.column]
        distinct = values.drop_nulls().unique().to_list()
        if values.dtype.is_numeric() or values.dtype == pl.String:
            written = {value: self.function(value) for value in distinct}
            return values.replace_strict(written, default=None, return_dtype=pl.String).alias(name)
        return pl.Series(
            name, [None if v is None else self.function(v) for v in values.to_list()], dtype=pl.String
        )


def labelled(frame: pl.DataFrame, columns: Mapping[str, str | pl.Expr | Formatted]) -> pl.DataFrame:
    """Les colonnes de `frame` qu'une page montre, dans l'ordre de `columns`, sous leur libellé : libellé → nom de
    colonne, expression (date, mois, nomenclature écrits à la française) ou `Formatted`. Une seule forme pour tous les
    tableaux, où chaque libellé se lit à côté de sa colonne. Une valeur absente d'une colonne de texte s'écrit « — » :
    `st.dataframe` écrirait « None »."""
    shown = frame.select(
        [
            source.series(frame, label)
            if isinstance(source, Formatted)
            else (pl.col(source) if isinstance(source, str) else source).alias(label)
            for label, source in columns.items()
        ]
    )
    return shown.with_columns(pl.col(pl.String).fill_null(formats.MISSING))


def show_table(
    frame: pl.DataFrame,
    percent: tuple[str, ...] = (),
    digits: dict[str, int] | None = None,
    *,
    empty: str | None = None,
) -> None:
    """Un tableau dont les colonnes restent numériques (tri, téléchargement) mais s'affichent à la française.

    `percent` : colonnes de parts (0–1) affichées en « 2,6 % » ; `digits` : décimales par colonne (2 par défaut) ;
    `empty` : la phrase montrée à la place d'un tableau sans ligne (un tableau vide ne dit pas pourquoi il l'est)."""
    if empty is not None and frame.height == 0:
        st.caption(empty)
        return
    places = digits or {}

    def formatter(column: str) -> Any:
        is_percent, decimals = column in percent, places.get(column, 2)
        return lambda value: _display(value, is_percent, decimals)

    styler = frame.to_pandas().style.format({column: formatter(column) for column in frame.columns})
    st.dataframe(styler, hide_index=True)


# Le volet « Voir les chiffres » d'un graphique de clé `key` : `st.session_state[TABLE_KEY_PREFIX + key]` vrai quand il
# est ouvert.
TABLE_KEY_PREFIX = "tableau_"

APP_CHART_WIDTH = (
    800  # px : largeur d'un graphique pleine page, barre latérale ouverte, sur un écran de 1400 px
)


def _escape(text: str) -> str:
    """Le texte tel quel en Markdown (les titres viennent des données : un « * » ne doit rien mettre en forme)."""
    return "".join("\\" + c if c in "\\`*_{}[]<>()#+-.!|$~" else c for c in text)


# Les figures des pages, gardées (`kept`) : une carte (une centaine de tracés Plotly à valider) coûte 0,15 s, une
# courbe avec ses repères de jalons et d'événements jusqu'à 0,7 s ; la même sert tant que les chiffres ne changent pas.
choropleth = kept(charts.choropleth)
annualised_trend = kept(charts.annualised_trend)
couloir_stacked = kept(charts.couloir_stacked)
couloir_shares = kept(charts.couloir_shares)
couloir_targets = kept(charts.couloir_targets)
index_vs_national = kept(charts.index_vs_national)
establishment_series = kept(establishment_charts.establishment_series)
activation_map = kept(usage_charts.activation_map)


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


PUBLIC_DOWNLOADS = {
    "indicateurs_flux": "Indicateurs de flux (couloirs publiés, secret statistique appliqué)",
    "trajectoires": "Trajectoires face aux cibles",
    "indicateurs_sons": "Indicateurs SONS",
    "indicateurs_sunes": "Indicateurs SUN-ES",
    "chiffres_publies": "Chiffres publiés et leurs sources",
}


@st.cache_data(show_spinner=False, max_entries=8)
def _public_csv(name: str, db: str, stamp: str, _con: duckdb.DuckDBPyConnection) -> tuple[bytes, int]:
    from pipelines.publish.diffusion import neutralise_formulas, spreadsheet_view

    frame = _public_database(db, stamp, _con).cursor().sql(f'SELECT * FROM "{name}"').pl()
    return neutralise_formulas(spreadsheet_view(frame)).write_csv().encode("utf-8"), frame.height


def public_csv(name: str) -> tuple[bytes, int]:
    """Une table publiée, en CSV exactement comme dans le paquet de transparence (`csv/<table>.csv`)."""
    if name not in PUBLIC_DOWNLOADS:
        raise AccessError(f"table « {name} » inconnue")
    con, stamp = _opened()
    with con:
        return _public_csv(name, db_path(), stamp, con)


def first_by(frame: pl.DataFrame, column: str, highest: bool = True) -> dict[str, Any] | None:
    """La ligne de plus forte (ou de plus faible) valeur de `column`, valeurs manquantes en dernier ; `None` sans
    ligne. Sert aux titres-constats (« X en tête »)."""
    if not frame.height:
        return None
    return frame.sort(column, descending=highest, nulls_last=True).row(0, named=True)


def source_titles(column: str) -> Formatted:
    """Les sources de `column` sous leur titre (`citations.source_title`), comme dans les pages qui les citent."""
    return Formatted(column, source_title)


def errata_view(errata: pl.DataFrame) -> pl.DataFrame:
    """Les errata publiés (`queries.errata`) tels que les pages Données et Méthode les montrent : libellés français,
    source par son titre."""
    return labelled(
        errata,
        {
            "Corrigé le": formats.date_column("date_correction"),
            "Mois concerné": "mois_concerne",
            "Valeur affichée": "valeur_affichee",
            "Valeur corrigée": "valeur_corrigee",
            "Explication": "explication",
            "Source": source_titles("source"),
        },
    )
