"""Plotly en français, dans l'application comme dans la page HTML du paquet : barre d'outils réduite et traduite,
noms de mois et séparateurs français."""

from __future__ import annotations

from typing import Any

from pipelines import formats

# Plotly traduit sa barre d'outils par `config.locales` : seuls les boutons gardés ici apparaissent.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "locale": "fr",
    "locales": {
        "fr": {
            "dictionary": {
                "Download plot as a PNG": "Télécharger le graphique (PNG)",
                "Download plot": "Télécharger le graphique",
                "Preparing image - this may take a few seconds": "Préparation de l'image…",
                "Image download succeeded": "Image téléchargée",
                "Sorry, there was a problem downloading your image!": "Le téléchargement de l'image a échoué.",
                "Zoom": "Zoomer",
                "Pan": "Déplacer",
                "Zoom in": "Agrandir",
                "Zoom out": "Réduire",
                "Autoscale": "Échelle automatique",
                "Reset axes": "Réinitialiser les axes",
                "Double-click to zoom back out": "Double-cliquez pour revenir à la vue d'ensemble",
                "Click to enter Plot title": "Titre du graphique",
                "Click to enter X axis title": "Titre de l'axe horizontal",
                "Click to enter Y axis title": "Titre de l'axe vertical",
                "Show closest data on hover": "Valeur la plus proche au survol",
                "Compare data on hover": "Comparer au survol",
                "Toggle Spike Lines": "Lignes de repère",
            },
            "format": {
                "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
                "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
                "months": list(formats.MOIS),
                "shortMonths": list(formats.MOIS_COURTS),
                "date": "%d/%m/%Y",
                "decimal": ",",
                "thousands": formats.THIN_NBSP,
            },
        }
    },
    "modeBarButtonsToRemove": [
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "select2d",
        "lasso2d",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
        "toggleSpikelines",
    ],
}
