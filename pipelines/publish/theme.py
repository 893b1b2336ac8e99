"""Identité visuelle et libellés : couleurs, libellés français, réglages communs des graphiques.

Palette d'Okabe et Ito (sûre pour les daltoniens) ; le sens ne repose jamais sur la couleur seule : chaque série a
aussi un motif de trait ou un symbole, et chaque graphique a un titre qui énonce le constat et un tableau équivalent.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS, MEDICO_SOCIAL, SANITAIRE
from pipelines.warehouse.reference import labels

COULOIR_COLORS = {
    "BIO": "#0072B2",
    "MDV": "#E69F00",
    "HOP": "#009E73",
    "RAD": "#CC79A7",
    "PHA": "#56B4E9",
    "MS": "#D55E00",
    "AUT": "#999999",
    ALL_COULOIRS: "#000000",
}
COULOIR_SYMBOLS = {
    "BIO": "circle",
    "MDV": "square",
    "HOP": "diamond",
    "RAD": "triangle-up",
    "PHA": "cross",
    "MS": "x",
    "AUT": "star",
    ALL_COULOIRS: "circle-open",
}
COULOIR_DASHES = {
    "BIO": "solid",
    "MDV": "dash",
    "HOP": "dot",
    "RAD": "dashdot",
    "PHA": "longdash",
    "MS": "longdashdot",
    "AUT": "solid",
    ALL_COULOIRS: "solid",
}
# Libellés : ceux des nomenclatures de `data/reference/`, seule définition ; les agrégats ajoutés par les
# indicateurs (tous couloirs) n'y figurent pas.
COULOIR_LABELS = {**labels("couloirs.csv"), ALL_COULOIRS: "Tous couloirs"}
COULOIR_ORDER = ["BIO", "MDV", "HOP", "RAD", "PHA", "MS", "AUT"]
DISPOSITIF_GROUP_LABELS = {SANITAIRE: "Sanitaire", MEDICO_SOCIAL: "Médico-social"}
DOMAINE_LABELS = {code: f"{code} – {label}" for code, label in labels("domaines_sunes.csv").items()}
RUPTURE_LABELS = labels("types_ruptures.csv")
PUBLISHED_INDICATOR_LABELS = labels("indicateurs_publies.csv")
SONS_STEP_LABELS = {
    "bons_de_commande": "Bons de commande",
    "installations": "Installations",
    "demandes_de_solde": "Demandes de solde",
}
LEVEL_LABELS = {
    "pays": "France",
    "region": "Région",
    "departement": "Département",
    "etablissement": "Établissement",
}
TARGET_COLOR = "#D55E00"
PROJECTION_COLOR = "#0072B2"
PUBLISHED_COLOR = "#000000"
SEQUENTIAL_SCALE = [
    "#f7fbff",
    "#c6dbef",
    "#6baed6",
    "#2171b5",
    "#08306b",
]  # bleus (lisibles en niveaux de gris)
DEMO_BANNER = (
    "Données de démonstration : les flux et les usages par région et département, les établissements, SONS vague 2 "
    "et SUN-ES affichés ici sont générés pour la démonstration. Ils ne sont pas officiels. Seuls les points "
    "« publié » et la vague 1 de SONS reprennent des chiffres publiés."
)
MAP_ATTRIBUTION = "Contours : IGN Admin Express 2018, via france-geojson, Licence Ouverte."
FONT_FAMILY = "Liberation Sans, Arial, sans-serif"


def couloir_label(code: str) -> str:
    return COULOIR_LABELS.get(code, code)


def apply_defaults(fig: go.Figure, title: str, height: int = 420, legend: bool = True) -> go.Figure:
    """Réglages communs : titre (le constat), séparateurs français, police, marges, légende en bas."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 18}},
        separators=", ",
        font={"family": FONT_FAMILY, "size": 14, "color": "#1a1a1a"},
        height=height,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        hoverlabel={"font": {"family": FONT_FAMILY}},
    )
    # Mois en chiffres (« 01/2024 ») : Plotly écrirait sinon les noms de mois en anglais, même hors ligne.
    fig.update_xaxes(showgrid=False, linecolor="#666", ticks="outside", tickformat="%m/%Y")
    fig.update_yaxes(gridcolor="#e5e5e5", zerolinecolor="#999")
    # Les marges s'agrandissent pour contenir graduations et titres d'axes (sinon « 250 M » devient « M »).
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def millions_axis(fig: go.Figure, title: str, max_value: float) -> None:
    """Axe en millions écrit à la française (« 250 M »), au lieu du « 0,25B » anglo-saxon de Plotly."""
    if max_value <= 0:
        fig.update_yaxes(title=title)
        return
    raw_step = max_value / 5
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    ticks = [i * step for i in range(int(max_value / step) + 2)]
    labels = [formats.millions(t, 0 if step >= 1e6 else 1) if t else "0" for t in ticks]
    fig.update_yaxes(title=title, tickvals=ticks, ticktext=labels)
