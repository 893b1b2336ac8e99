"""L'interface en français là où Streamlit et Plotly écrivent en anglais : `lang="fr"` sur le document, textes et
étiquettes d'accessibilité des composants traduits (francais.js), barre d'outils des graphiques réduite et traduite,
contrastes suffisants, cartes parcourables au clavier (carte_clavier.js) (RGAA)."""

from __future__ import annotations

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


def install() -> None:
    """À appeler une fois par passage dans app.py : style et script (le script ne s'installe qu'une fois par onglet)."""
    st.html(_STYLE)
    st.html(
        f'<div id="mes-francais"></div><script>{_SCRIPT.read_text(encoding="utf-8")}\n'
        f"{KEYBOARD_SCRIPT.read_text(encoding='utf-8')}</script>",
        unsafe_allow_javascript=True,
    )
