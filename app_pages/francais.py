"""L'interface en français là où Streamlit et Plotly écrivent en anglais : `lang="fr"` sur le document, textes et
étiquettes d'accessibilité des composants traduits (francais.js), barre d'outils des graphiques réduite et traduite,
contrastes suffisants, cartes parcourables au clavier (carte_clavier.js) (RGAA)."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from pipelines.publish.charts import KEYBOARD_SCRIPT
from pipelines.publish.plotly_fr import PLOTLY_CONFIG

__all__ = ["PLOTLY_CONFIG", "install"]

_SCRIPT = Path(__file__).with_name("francais.js")

# Les légendes (st.caption) sont grises et à demi transparentes par défaut (contraste de 3:1) : #4a4f57 opaque sur
# blanc donne 8:1 (RGAA 3.2 demande 4,5:1).
_STYLE = """
<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #4a4f57 !important;
  opacity: 1 !important; }
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
.stElementContainer:has(#mes-francais) { display: none; }
</style>
"""


def _plotly_bundle() -> str | None:
    """Le nom du module JavaScript des graphiques Plotly de Streamlit (4,7 Mo), ou `None` s'il n'est pas trouvé."""
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return found[0].name if found else None


def _preload(bundle: str | None) -> str:
    """Le navigateur ne charge le module Plotly qu'à l'arrivée du premier graphique, à la fin du passage du script,
    puis passe ~1 s à l'évaluer avant de dessiner : l'importer dès le premier message (même adresse, donc le même
    module que celui qu'importera Streamlit) fait ce travail pendant que le serveur calcule la page."""
    if bundle is None:
        return ""
    return (
        "(() => { if (window.__mesPlotly) return; window.__mesPlotly = true;"
        ' const index = document.querySelector(\'script[type="module"][src*="/static/js/index."]\');'
        f' if (index) import(new URL("{bundle}", index.src).href).catch(() => {{}}); }})();'
    )


@functools.cache
def _scripts() -> str:
    """Les scripts de l'interface, lus une fois par processus."""
    return "\n".join(
        (
            _preload(_plotly_bundle()),
            _SCRIPT.read_text(encoding="utf-8"),
            KEYBOARD_SCRIPT.read_text(encoding="utf-8"),
        )
    )


def install() -> None:
    """À appeler une fois par passage dans app.py : style et script (le script ne s'installe qu'une fois par onglet)."""
    st.html(_STYLE)
    st.html(f'<div id="mes-francais"></div><script>{_scripts()}</script>', unsafe_allow_javascript=True)
