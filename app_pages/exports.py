"""Exports : le paquet de transparence publique et le dossier COSUI, à télécharger (mêmes sorties que la ligne de
commande `export` et `cosui`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import db_path, read, selection, settings
from pipelines import formats
from pipelines.publish.cosui import CosuiError, cosui_file
from pipelines.publish.export import ExportRefused, export_archive
from pipelines.warehouse import queries
from pipelines.warehouse.connection import connect_read


def prepare(
    key: str,
    running: str,
    failed: str,
    refusal: type[Exception],
    build: Callable[..., tuple[str, Any, str]],
) -> None:
    """Prépare un fichier à télécharger, étape par étape ; gardé dans la session sous `key` (nom, contenu), ou la
    raison du refus affichée."""
    with st.status(running, expanded=True) as status:
        try:
            with connect_read(Path(db_path())) as con:
                name, payload, done = build(con, progress=status.write)
        except refusal as exc:
            status.update(label=failed, state="error")
            st.error(str(exc))
        else:
            st.session_state[key] = (name, payload)
            status.update(label=done, state="complete")


sel = selection()
st.title("Exports")
has_demo = read(queries.has_demo)

st.header("Paquet de transparence publique")
st.write(
    "Données ouvertes (CSV, « CSV Excel », XLSX, Parquet), dictionnaire Table Schema, README, page HTML autonome et "
    "graphiques PNG/SVG. Secret statistique appliqué, séries internes retirées. L'archive téléchargée ici est un "
    "aperçu : le paquet que l'on publie se fait par `python -m pipelines export`, qui inscrit ses chiffres dans "
    "l'entrepôt (une révision ultérieure de l'un d'eux sera signalée comme révision d'un chiffre publié)."
)
month = sel.mois if sel.niveau == "pays" else None
st.caption(
    f"Mois publié : {formats.month(month) if month else 'le dernier mois connu'} (choisi dans la barre "
    "latérale, périmètre France)."
)
allow_demo = False
if has_demo:
    allow_demo = st.checkbox(
        "L'entrepôt contient des données de démonstration : produire un export de démonstration filigrané",
        key="export_demo",
    )
if st.button("Préparer le paquet", key="preparer_export", disabled=has_demo and not allow_demo):
    archive = partial(export_archive, mois=month, allow_demo=allow_demo)
    prepare("paquet", "Préparation du paquet…", "Export refusé", ExportRefused, archive)
if "paquet" in st.session_state:
    name, payload = st.session_state["paquet"]
    st.download_button(
        f"Télécharger {name}", payload, file_name=name, mime="application/zip", key="telecharger_paquet"
    )

st.header("Dossier COSUI")
date = st.date_input("Date du COSUI", value=settings().today(), format="DD/MM/YYYY", key="date_cosui")
if st.button("Préparer le dossier COSUI", key="preparer_cosui"):
    cosui_date = date if isinstance(date, dt.date) else settings().today()
    dossier = partial(cosui_file, date=cosui_date)
    prepare("cosui", "Préparation des diapositives…", "Dossier impossible", CosuiError, dossier)
if "cosui" in st.session_state:
    name, (pptx, pdf) = st.session_state["cosui"]
    left, right = st.columns(2)
    left.download_button(
        f"Télécharger {name}.pptx",
        pptx,
        file_name=f"{name}.pptx",
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        key="telecharger_cosui",
    )
    right.download_button(
        f"Télécharger {name}.pdf (mêmes diapositives)",
        pdf,
        file_name=f"{name}.pdf",
        mime="application/pdf",
        key="telecharger_cosui_pdf",
    )
if has_demo:
    st.caption(
        "Les diapositives portent la mention « DONNÉES DE DÉMONSTRATION » tant que l'entrepôt en contient."
    )
