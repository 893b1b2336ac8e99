"""Application Streamlit : chiffres clés du dernier mois, lus dans l'entrepôt."""

from __future__ import annotations

import streamlit as st

from pipelines import formats
from pipelines.settings import get_settings
from pipelines.warehouse import WarehouseError, connect_read

st.set_page_config(page_title="Pilotage Ségur numérique", layout="wide")
st.title("Alimentation de Mon espace santé")
try:
    with connect_read(get_settings().db_path()) as con:
        row = con.execute(
            "SELECT mois, sum(documents), bool_or(donnees_demo) FROM flux_mensuel "
            "GROUP BY mois ORDER BY mois DESC LIMIT 1"
        ).fetchone()
except WarehouseError as exc:
    st.error(str(exc))
    st.stop()
if row is None:
    st.info("L'entrepôt ne contient encore aucun flux.")
else:
    month, documents, demo = row
    if demo:
        st.warning("Données de démonstration : ces chiffres ne sont pas officiels.")
    st.metric(f"Documents envoyés en {formats.month(month)}", formats.integer(documents))
