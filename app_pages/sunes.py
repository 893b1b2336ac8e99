"""SUN-ES et médico-social : établissements engagés et validés par domaine et fenêtre ; commandes médico-sociales."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages.common import chart, demo_note, first_by, labelled, read, selection
from pipelines import formats
from pipelines.indicators.codes import ALL_WINDOWS
from pipelines.publish import charts, titles
from pipelines.publish.theme import DOMAINE_LABELS
from pipelines.warehouse import queries

sel = selection()
niveau, code, shown = (
    ("region", sel.code, sel.libelle) if sel.niveau == "region" else ("pays", "FR", "France")
)
if sel.niveau == "departement":
    # SUN-ES est livré par région : un département montre sa région, et le dit.
    geographies = read(queries.geographies)
    parent = geographies.filter((pl.col("niveau") == "departement") & (pl.col("code_geo") == sel.code))
    if parent.height:
        niveau, code = "region", str(parent["code_region"].item())
        shown = next(
            (
                n
                for c, n, lv in geographies.select("code_geo", "libelle_geo", "niveau").rows()
                if c == code and lv == "region"
            ),
            code,
        )
st.title(f"SUN-ES et médico-social — {shown}")
if sel.niveau == "departement":
    st.info(
        f"SUN-ES et les indicateurs médico-sociaux sont livrés par région : cette page montre {shown}, région de "
        f"{sel.libelle}.",
        icon=":material/info:",
    )

sunes = read(queries.sunes, niveau, code)
st.header("SUN-ES : usage du numérique à l'hôpital")
if sunes.height == 0:
    st.info("Aucune donnée SUN-ES pour ce périmètre.")
else:
    dates = sorted(sunes["date_situation"].unique().to_list(), reverse=True)
    date = st.selectbox("Date de situation", dates, format_func=formats.date, key="sunes_date")
    windows = [ALL_WINDOWS, *sorted(w for w in sunes["fenetre"].unique().to_list() if w != ALL_WINDOWS)]
    window = st.radio(
        "Fenêtre",
        windows,
        horizontal=True,
        key="sunes_fenetre",
        format_func=lambda w: "Toutes" if w == ALL_WINDOWS else w,
    )
    snap = sunes.filter((pl.col("date_situation") == date) & (pl.col("fenetre") == window)).sort("domaine")
    demo_note(bool(snap["donnees_demo"].any()))
    labels = [DOMAINE_LABELS.get(d, d) for d in snap["domaine"].to_list()]
    title = titles.sunes_best_domain(snap, DOMAINE_LABELS)
    chart(
        charts.grouped_bars(
            labels,
            {"ES engagés": snap["es_engages"].to_list(), "ES validés": snap["es_valides"].to_list()},
            title,
            "Établissements",
        ),
        "ES engagés : établissements de santé candidats retenus ; validés : cibles d'usage atteintes. "
        "Taux de validation = validés ÷ engagés. Source : SUN-ES (ATIH / oSIS).",
        labelled(
            snap,
            {
                "Domaine": pl.col("domaine").replace_strict(DOMAINE_LABELS, default=pl.col("domaine")),
                "ES engagés": "es_engages",
                "ES validés": "es_valides",
                "Taux de validation": "taux_validation",
            },
        ),
        key="sunes_domaines",
        percent=("Taux de validation",),
    )

st.header("Médico-social : commandes SONS face aux cibles")
latest = read(queries.sons_latest, "pays", "FR").filter(pl.col("couloir") == "MS")
if latest.height == 0:
    st.info("Aucune commande médico-sociale dans l'entrepôt.")
else:
    demo_note(bool(latest["donnees_demo"].any()))
    labels = [f"{r['vague']} {r['dispositif']}" for r in latest.iter_rows(named=True)]
    lowest = first_by(latest, "taux_couverture", highest=False)
    assert lowest is not None
    chart(
        charts.grouped_bars(
            labels,
            {
                "Cible (ESMS éligibles)": latest["cible"].to_list(),
                "Bons de commande": latest["bons_de_commande"].to_list(),
                "Demandes de solde": latest["demandes_de_solde"].to_list(),
            },
            f"{lowest['vague']} {lowest['dispositif']} : {formats.percent(lowest['taux_couverture'], 0)} de "
            "la cible commandée",
            "ESMS",
        ),
        "MS1 : personnes âgées, handicapées, domicile ; MS2 : protection de l'enfance (PDE), difficultés spécifiques "
        "(PDS). Couverture = BDC ÷ cible. Source : COSUI du 17 janvier 2024.",
        labelled(
            latest,
            {
                "Vague": "vague",
                "Dispositif": "dispositif",
                "Situation au": formats.date_column("date_situation"),
                "Cible": "cible",
                "BDC": "bons_de_commande",
                "Soldes": "demandes_de_solde",
                "Couverture": "taux_couverture",
            },
        ),
        key="ms_commandes",
        percent=("Couverture",),
    )
