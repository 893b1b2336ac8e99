"""Exports : le paquet de transparence publique et le dossier COSUI, à télécharger (mêmes sorties que la ligne de
commande `export` et `cosui`)."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from app_pages.common import db_path, read, selection
from pipelines import formats
from pipelines.publish.cosui import CosuiError, build_cosui
from pipelines.publish.export import ExportRefused, export_public
from pipelines.settings import get_settings
from pipelines.warehouse import queries
from pipelines.warehouse.connection import connect_read

sel = selection()
st.title("Exports")
has_demo = read(queries.has_demo)

st.header("Paquet de transparence publique")
st.write(
    "Données ouvertes (CSV, « CSV Excel », XLSX, Parquet), dictionnaire Table Schema, README, page HTML autonome et "
    "graphiques PNG/SVG. Secret statistique appliqué, séries internes retirées."
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
    with (
        st.status("Préparation du paquet…", expanded=True) as status,
        tempfile.TemporaryDirectory(prefix="mes-export-") as tmp,
    ):
        try:
            with connect_read(Path(db_path())) as con:
                result = export_public(
                    con, Path(tmp) / "paquet", month, allow_demo=allow_demo, progress=status.write
                )
        except ExportRefused as exc:
            status.update(label="Export refusé", state="error")
            st.error(str(exc))
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in result.files:
                    archive.write(path, path.relative_to(result.folder))
            st.session_state["paquet"] = (
                f"transparence_{result.mois:%Y-%m}{'_DEMO' if result.demo else ''}.zip",
                buffer.getvalue(),
            )
            status.update(label=f"Paquet prêt : {len(result.files)} fichiers", state="complete")
if "paquet" in st.session_state:
    name, payload = st.session_state["paquet"]
    st.download_button(
        f"Télécharger {name}", payload, file_name=name, mime="application/zip", key="telecharger_paquet"
    )

st.header("Dossier COSUI")
date = st.date_input("Date du COSUI", value=get_settings().today(), format="DD/MM/YYYY", key="date_cosui")
if st.button("Préparer le dossier COSUI", key="preparer_cosui"):
    with (
        st.status("Préparation des diapositives…", expanded=True) as status,
        tempfile.TemporaryDirectory(prefix="mes-cosui-") as tmp,
    ):
        try:
            with connect_read(Path(db_path())) as con:
                out = build_cosui(
                    con,
                    Path(tmp) / "cosui.pptx",
                    date if isinstance(date, dt.date) else get_settings().today(),
                    progress=status.write,
                )
        except CosuiError as exc:
            status.update(label="Dossier impossible", state="error")
            st.error(str(exc))
        else:
            st.session_state["cosui"] = (f"cosui_{date:%Y-%m-%d}.pptx", out.read_bytes())
            status.update(label="Dossier prêt", state="complete")
if "cosui" in st.session_state:
    name, payload = st.session_state["cosui"]
    st.download_button(
        f"Télécharger {name}",
        payload,
        file_name=name,
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        key="telecharger_cosui",
    )
if has_demo:
    st.caption(
        "Les diapositives portent la mention « DONNÉES DE DÉMONSTRATION » tant que l'entrepôt en contient."
    )
