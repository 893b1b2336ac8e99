"""Données ouvertes (site public) : les tables du paquet de transparence, en CSV, avec leurs règles de diffusion."""

from __future__ import annotations

import streamlit as st

from app_pages.common import PUBLIC_DOWNLOADS, public_csv
from pipelines import formats
from pipelines.publish.diffusion import MASK_TEXT, SECONDARY_MASK_TEXT

st.title("Données ouvertes")
st.write(
    "Les tables publiées chaque mois dans le paquet de transparence, sous Licence Ouverte 2.0 (Etalab). Ce sont "
    "exactement les chiffres affichés sur ce site."
)
st.markdown(
    f"- Secret statistique : un nombre de documents de 1 à 10 (département) s'écrit « {MASK_TEXT} » ; pour qu'aucune "
    f"soustraction ne le retrouve, une autre case du même total est masquée aussi (« {SECONDARY_MASK_TEXT} »).\n"
    "- Les séries de suivi interne ne sont pas publiées : le total « tous couloirs » est celui des couloirs publiés.\n"
    "- Aucune cellule ne commence par =, +, - ou @ : rien ne s'exécute à l'ouverture dans un tableur."
)
choice = st.selectbox(
    "Table", list(PUBLIC_DOWNLOADS), format_func=lambda t: PUBLIC_DOWNLOADS[t], key="table_publique"
)
payload, rows = public_csv(choice)
st.download_button(
    f"Télécharger « {PUBLIC_DOWNLOADS[choice]} » (CSV, {formats.integer(rows)} lignes)",
    payload,
    file_name=f"{choice}.csv",
    mime="text/csv",
    key="telecharger_public",
)
