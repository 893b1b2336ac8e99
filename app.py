"""Tableau de bord de pilotage du Ségur numérique : pages, barre latérale commune, bandeau de démonstration."""

from __future__ import annotations

import streamlit as st

from app_pages.common import Selection, load
from pipelines import formats
from pipelines.intake.parsing import normalise_label
from pipelines.publish.theme import DEMO_BANNER
from pipelines.warehouse.connection import WarehouseError

st.set_page_config(
    page_title="Pilotage Ségur numérique — Mon espace santé",
    page_icon=":material/description:",
    layout="wide",
)

PAGES = [
    st.Page("app_pages/vue_ensemble.py", title="Vue d'ensemble", icon=":material/monitoring:", default=True),
    st.Page(
        "app_pages/couloirs.py", url_path="couloirs", title="Couloirs", icon=":material/stacked_bar_chart:"
    ),
    st.Page("app_pages/territoires.py", url_path="territoires", title="Territoires", icon=":material/map:"),
    st.Page("app_pages/sons.py", url_path="sons", title="SONS", icon=":material/build:"),
    st.Page(
        "app_pages/sunes.py",
        url_path="sunes",
        title="SUN-ES et médico-social",
        icon=":material/local_hospital:",
    ),
    st.Page("app_pages/donnees.py", url_path="donnees", title="Données", icon=":material/database:"),
    st.Page("app_pages/exports.py", url_path="exports", title="Exports", icon=":material/download:"),
]
navigation = st.navigation(PAGES)

try:
    geographies = load("geographies")
    has_demo = load("has_demo")
except WarehouseError as exc:
    st.error(str(exc))
    st.stop()

with st.sidebar:
    st.header("Périmètre")
    niveau_label = st.radio("Géographie", ["France", "Région", "Département"], key="niveau", horizontal=True)
    niveau, code, libelle = "pays", "FR", "France"
    if niveau_label == "Région":
        regions = geographies.filter(geographies["niveau"] == "region")
        names = dict(
            sorted(
                zip(regions["code_geo"], regions["libelle_geo"], strict=True),
                key=lambda item: normalise_label(item[1]),
            )
        )
        if names:
            code = st.selectbox(
                "Région", list(names), format_func=lambda c: f"{names[c]} ({c})", key="region"
            )
            niveau, libelle = "region", names[code]
    elif niveau_label == "Département":
        deps = geographies.filter(geographies["niveau"] == "departement")
        names = dict(zip(deps["code_geo"], deps["libelle_geo"], strict=True))
        if names:
            code = st.selectbox(
                "Département", list(names), format_func=lambda c: f"{c} – {names[c]}", key="departement"
            )
            niveau, libelle = "departement", names[code]
    months = load("months", niveau, code)
    mois = (
        st.selectbox(
            "Mois",
            months,
            format_func=formats.month,
            key=f"mois_{niveau}_{code}",
            help="Par défaut : le dernier mois connu",
        )
        if months
        else None
    )
    st.session_state["selection"] = Selection(mois, niveau, code, libelle)
    st.divider()
    st.caption(
        "Sources : chiffres publiés des COSUI (voir la page Données), INSEE, IGN. Tous les chiffres sont recalculés à chaque import."
    )

if has_demo:
    st.warning(DEMO_BANNER, icon=":material/warning:")

navigation.run()
