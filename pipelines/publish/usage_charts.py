"""Graphiques des usages de Mon espace santé et de la comparaison de territoires : chaque fonction rend la figure,
son titre-constat, sa légende et le tableau des mêmes chiffres. Aucune ne calcule d'indicateur : elles lisent
`indicateurs_usage` (ou `indicateurs_flux`) et choisissent quoi dire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import plotly.graph_objects as go
import polars as pl

from pipelines import formats
from pipelines.publish import charts, events
from pipelines.publish.theme import MAP_ATTRIBUTION, apply_defaults, millions_axis
from pipelines.sources.usage import nomenclature

# Jusqu'à cinq séries distinguables sans la couleur : trait et symbole propres à chacune.
SERIES_STYLES = [
    ("#0072B2", "solid", "circle"),
    ("#E69F00", "dash", "square"),
    ("#009E73", "dot", "diamond"),
    ("#CC79A7", "dashdot", "triangle-up"),
    ("#D55E00", "longdash", "x"),
]
MAX_COMPARED = 5
COMPARABLE = {
    "taux_activation": "Taux d'activation de Mon espace santé (part des habitants)",
    "documents_par_habitant_an": "Documents envoyés par habitant et par an",
}


@dataclass(frozen=True)
class Chart:
    figure: go.Figure
    title: str
    caption: str
    table: pl.DataFrame


@lru_cache(maxsize=1)
def labels() -> dict[str, str]:
    """Code → libellé des indicateurs d'usage, livrés et dérivés."""
    from pipelines.indicators.usage import DERIVED

    out = dict(zip(nomenclature()["code"], nomenclature()["libelle"], strict=True))
    out.update({code: label for code, (label, _) in DERIVED.items()})
    return out


def label(code: str) -> str:
    return labels().get(code, code)


def _pick(series: pl.DataFrame, indicateur: str) -> pl.DataFrame:
    return series.filter(pl.col("indicateur") == indicateur).sort("mois")


def _last(frame: pl.DataFrame) -> dict | None:
    return frame.row(frame.height - 1, named=True) if frame.height else None


def _lines(
    parts: list[tuple[str, pl.DataFrame]], title: str, y_title: str, percent: bool = False
) -> tuple[go.Figure, pl.DataFrame]:
    """Séries dans le temps (trait et symbole propres à chacune) et les événements de la période."""
    fig = go.Figure()
    for index, (name, frame) in enumerate(parts):
        color, dash, symbol = SERIES_STYLES[index % len(SERIES_STYLES)]
        hover = f"{name} — %{{x|%m/%Y}} : %{{y:{'.1%' if percent else ',.0f'}}}<extra></extra>"
        charts.add_month_series(
            fig,
            frame,
            "valeur",
            name,
            hover,
            mode="lines+markers",
            line={"color": color, "dash": dash, "width": 2.5},
            marker={"symbol": symbol, "size": 5},
        )
    months = [m for _, f in parts for m in f["mois"].to_list()]
    shown = events.annotate(fig, min(months) if months else None, max(months) if months else None)
    apply_defaults(fig, title, height=440)
    highest = max([v for _, f in parts for v in f["valeur"].to_list() if v is not None] + [0])
    if percent:
        fig.update_yaxes(title=y_title, tickformat=".0%", rangemode="tozero")
    elif highest >= 1e6:
        millions_axis(fig, y_title, highest)
    else:
        fig.update_yaxes(title=y_title, tickformat=",d", rangemode="tozero")
    return fig, shown


def _table(
    parts: list[tuple[str, pl.DataFrame]],
    kind: str = "integer",
    extra: list[tuple[str, pl.DataFrame, str]] | None = None,
) -> pl.DataFrame:
    """Le tableau des mêmes chiffres : une colonne par série (entiers, décimaux ou pourcentages), mois en clair."""
    columns = [(name, frame, kind) for name, frame in parts] + (extra or [])
    table: pl.DataFrame | None = None
    for name, frame, column_kind in columns:
        value = {
            "integer": pl.col("valeur").round(0).cast(pl.Int64).alias(name),
            "decimal": pl.col("valeur").round(1).alias(name),
            "percent": (pl.col("valeur") * 100).round(1).alias(f"{name} (%)"),
        }[column_kind]
        column = frame.select("mois", value)
        table = column if table is None else table.join(column, on="mois", how="full", coalesce=True)
    if table is None:
        return pl.DataFrame()
    return (
        table.sort("mois").with_columns(formats.month_column("mois").alias("mois")).rename({"mois": "Mois"})
    )


def _series_chart(
    parts: list[tuple[str, pl.DataFrame]],
    title: str,
    y_title: str,
    caption: str,
    kind: str = "integer",
    extra: list[tuple[str, pl.DataFrame, str]] | None = None,
) -> Chart:
    """Courbes dans le temps, légende suivie des événements de la période, tableau des mêmes chiffres (`extra` : des
    colonnes du tableau sans courbe). Un pourcentage (`kind`) se montre en pourcentage sur l'axe aussi."""
    figure, shown = _lines(parts, title, y_title, percent=kind == "percent")
    return Chart(figure, title, caption + events.describe(shown), _table(parts, kind, extra))


def activation_map(departements: pl.DataFrame, national: pl.DataFrame, mois: dt.date) -> Chart:
    """Carte du taux d'activation par département, le mois donné ; titre : la France, le plus haut, le plus bas."""
    rates = departements.filter(pl.col("indicateur") == "taux_activation")
    values = dict(zip(rates["code_geo"], rates["valeur"], strict=True))
    france = _last(_pick(national, "taux_activation").filter(pl.col("mois") == mois))
    if rates.height:
        ordered = rates.sort("valeur", descending=True)
        top, bottom = ordered.row(0, named=True), ordered.row(ordered.height - 1, named=True)
        title = (
            (
                f"France : {formats.percent(france['valeur'], 0)} des habitants ont activé leur profil"
                if france
                else "Profils activés"
            )
            + f" fin {formats.month(mois)} ; de {formats.percent(bottom['valeur'], 0)} ({bottom['libelle_geo']}) "
            f"à {formats.percent(top['valeur'], 0)} ({top['libelle_geo']})"
        )
    else:
        title = f"Taux d'activation par département, {formats.month(mois)} : pas de donnée"
    figure = charts.choropleth(
        {k: v * 100 for k, v in values.items() if v is not None}, "departement", title, "%", 0
    )
    caption = (
        "Taux d'activation = profils Mon espace santé activés ÷ population INSEE du département (populations "
        f"légales 2021), fin {formats.month(mois)}. Classes de quantiles. {MAP_ATTRIBUTION}"
    )
    table = rates.sort("code_geo").select(
        pl.col("code_geo").alias("Code"),
        pl.col("libelle_geo").alias("Département"),
        (pl.col("valeur") * 100).round(1).alias("Taux d'activation (%)"),
    )
    return Chart(figure, title, caption, table)


def connections(series: pl.DataFrame, territory: str) -> Chart:
    """Connexions mensuelles, web et application."""
    web, app = _pick(series, "connexions_web"), _pick(series, "connexions_application")
    last_web, last_app = _last(web), _last(app)
    if last_web and last_app and last_web["mois"] == last_app["mois"]:
        total = last_web["valeur"] + last_app["valeur"]
        title = (
            f"{territory} : {formats.millions(total)} de connexions en {formats.month(last_web['mois'])}, "
            f"dont {formats.percent(last_app['valeur'] / total, 0)} par l'application"
        )
    else:
        title = f"{territory} : connexions mensuelles"
    return _series_chart(
        [("Connexions web", web), ("Connexions application", app)],
        title,
        "Connexions par mois",
        "Connexions à Mon espace santé pendant le mois, sur le site et dans l'application mobile.",
    )


def consultations(series: pl.DataFrame, territory: str) -> Chart:
    """Consultation par les professionnels : professionnels ayant consulté, documents consultés par professionnel."""
    users = _pick(series, "professionnels_ayant_consulte")
    per_user = _pick(series, "documents_consultes_par_utilisateur")
    last, last_ratio = _last(users), _last(per_user)
    title = (
        f"{territory} : {formats.integer(last['valeur'])} professionnels libéraux ont consulté au moins un DMP "
        f"en 36 mois (fin {formats.month(last['mois'])})"
        + (f", {formats.decimal(last_ratio['valeur'], 1)} documents chacun" if last_ratio else "")
        if last
        else f"{territory} : consultation par les professionnels"
    )
    return _series_chart(
        [("Professionnels ayant consulté (36 mois)", users)],
        title,
        "Professionnels",
        "Professionnels de santé libéraux ayant consulté au moins un DMP au cours des 36 derniers mois ; documents "
        "consultés par professionnel = documents consultés ÷ professionnels ayant consulté.",
        extra=[("Documents consultés par professionnel", per_user, "decimal")],
    )


def mssante(series: pl.DataFrame, territory: str) -> Chart:
    """Messagerie sécurisée de santé : messages émis chaque mois (boîtes aux lettres dans le tableau)."""
    messages, boxes = _pick(series, "messages_mssante"), _pick(series, "bal_mssante")
    last, last_boxes = _last(messages), _last(boxes)
    title = (
        f"{territory} : {formats.millions(last['valeur'])} de messages MSSanté en {formats.month(last['mois'])}"
        + (f", {formats.integer(last_boxes['valeur'])} boîtes aux lettres" if last_boxes else "")
        if last
        else f"{territory} : messagerie sécurisée de santé"
    )
    return _series_chart(
        [("Messages MSSanté émis", messages)],
        title,
        "Messages par mois",
        "Messages émis par messagerie sécurisée de santé (MSSanté) pendant le mois ; boîtes aux lettres ouvertes "
        "à la fin du mois dans le tableau.",
        extra=[("Boîtes aux lettres MSSanté", boxes, "integer")],
    )


def comparison(frame: pl.DataFrame, indicateur: str) -> Chart:
    """Jusqu'à cinq territoires d'un même niveau, par habitant, dans le temps."""
    percent = indicateur == "taux_activation"
    names = dict(zip(frame["code_geo"], frame["libelle_geo"], strict=True))
    parts = [
        (f"{names[code]} ({code})", frame.filter(pl.col("code_geo") == code).sort("mois"))
        for code in list(dict.fromkeys(frame["code_geo"].to_list()))[:MAX_COMPARED]
    ]
    latest = [(name, part.row(part.height - 1, named=True)) for name, part in parts if part.height]
    latest = [(name, row) for name, row in latest if row["valeur"] is not None]
    if latest:
        name, row = max(latest, key=lambda item: item[1]["valeur"])
        value = formats.percent(row["valeur"], 0) if percent else formats.decimal(row["valeur"], 1)
        unit = "des habitants ont activé leur profil" if percent else "documents par habitant et par an"
        title = f"{name} en tête : {value} {unit} en {formats.month(row['mois'])}"
    else:
        title = COMPARABLE[indicateur]
    chart = _series_chart(
        parts,
        title,
        "Part des habitants" if percent else "Documents par habitant et par an",
        "Taux d'activation = profils activés ÷ population INSEE du territoire."
        if percent
        else "Documents par habitant et par an = documents du mois × 12 ÷ population INSEE du territoire.",
        kind="percent" if percent else "decimal",
    )
    if not percent:
        chart.figure.update_yaxes(tickformat=".1f")
    return chart
