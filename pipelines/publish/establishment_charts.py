"""Graphique d'un établissement : documents par mois, couloir et type de document, jalons SONS sur l'axe du temps.
Reçoit des tables déjà lues ; ne calcule rien."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from pipelines import formats
from pipelines.indicators.sons_etablissements import STEP_LABELS
from pipelines.publish.charts import add_month_series
from pipelines.publish.theme import COULOIR_COLORS, COULOIR_DASHES, apply_defaults, couloir_label

MILESTONE_COLUMNS = {
    "date_bon_de_commande": STEP_LABELS["commande"],
    "date_installation": STEP_LABELS["installe"],
    "date_demande_solde": STEP_LABELS["solde_demande"],
}
MILESTONE_DASH = {"date_bon_de_commande": "dot", "date_installation": "solid", "date_demande_solde": "dash"}


def establishment_series(series: pl.DataFrame, milestones: pl.DataFrame, title: str) -> go.Figure:
    """Une courbe par couloir × type de document (« Hôpital — CRH ») ; un trait vertical par jalon SONS daté
    (bon de commande, installation, demande de solde), libellé « DPI V1 installé »."""
    fig = go.Figure()
    for (couloir, type_document), rows in series.sort("mois").group_by(
        ["couloir", "type_document"], maintain_order=True
    ):
        name = couloir_label(str(couloir)) + (f" — {type_document}" if type_document else "")
        add_month_series(
            fig,
            rows,
            "documents",
            name,
            f"{name}<br>%{{x|%m/%Y}} : %{{y:,.0f}} documents<extra></extra>",
            mode="lines+markers",
            line={"color": COULOIR_COLORS.get(str(couloir)), "dash": COULOIR_DASHES.get(str(couloir))},
        )
    for row in milestones.iter_rows(named=True):
        for column, label in MILESTONE_COLUMNS.items():
            date = row[column]
            if not isinstance(date, dt.date):
                continue
            fig.add_vline(
                x=dt.datetime.combine(date, dt.time()).timestamp() * 1000,
                line={"color": "#555", "dash": MILESTONE_DASH[column], "width": 1},
                annotation={
                    "text": f"{row['dispositif']} {row['vague']} {label} ({formats.date(date)})",
                    "textangle": -90,
                },
            )
    apply_defaults(fig, title, height=440)
    fig.update_yaxes(title="Documents par mois", rangemode="tozero")
    return fig
