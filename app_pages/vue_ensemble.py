"""Vue d'ensemble : chiffres clés du mois et rythme annuel face à la cible de 250 M."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages.common import (
    annualised_trend,
    chart,
    demo_note,
    feed_page,
    key_figures,
    labelled,
    read,
    settings,
    show_table,
    source_titles,
    table_shelf,
    with_parents,
)
from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.kpi import NoData
from pipelines.indicators.target_status import target_status
from pipelines.publish import figure_cards
from pipelines.warehouse import queries

sel, mois = feed_page(
    "Vue d'ensemble", "Aucun flux pour ce périmètre : importez un fichier depuis la page Données."
)
try:
    k = key_figures(sel)
except NoData as exc:
    st.error(str(exc))
    st.stop()

st.subheader(f"Chiffres clés {formats.of_month(mois)}" + (" (provisoire)" if sel.provisoire else ""))
if sel.provisoire:
    st.warning(
        f"Mois provisoire : {formats.coverage(sel.couverture or {})}. Ces chiffres ne sont pas ceux d'un mois "
        "complet ; "
        "la trajectoire et la projection partent du dernier mois complet.",
        icon=":material/hourglass_top:",
    )
row1 = st.columns(4)
row1[0].metric(
    *figure_cards.card(k, "documents_mois"), delta=formats.change(k["evolution_1_mois"], "sur 1 mois")
)
row1[1].metric(
    *figure_cards.card(k, "flux_annualise"), delta=formats.change(k["evolution_12_mois"], "sur 12 mois")
)
row1[2].metric(*figure_cards.card(k, "taux_atteinte_cible"))
row1[3].metric(
    *figure_cards.card(k, "documents_par_habitant_an"),
    help=f"Population INSEE {k['annee_population']}"
    if k["annee_population"]
    else "Population inconnue pour ce périmètre",
)
row2 = st.columns(4)
for column, code in zip(
    row2, ("evolution_depuis_cosui", "cumul_12_mois", "multiplicateur_depuis_base"), strict=False
):
    column.metric(*figure_cards.card(k, code))
status = target_status(k)
row2[3].metric(status.label, status.value, help=status.detail)
if k["statut_cible"]:
    st.caption(f"Trajectoire : {status.detail}")
if k["non_ventile"]:
    st.caption(
        f"Dont non ventilé entre les niveaux géographiques : {formats.integer(k['non_ventile'])} documents."
    )
demo_note(k["donnees_demo"])

if sel.niveau != "pays":
    # Un territoire se lit face à ses parents : le département face à sa région et à la France, la région face à la
    # France, le même mois.
    figures = with_parents(sel)
    st.subheader(f"{sel.libelle} face à {' et à '.join(name for name, _ in figures[1:])}")
    show_table(
        pl.DataFrame(
            {
                "Périmètre": [name for name, _ in figures],
                "Documents du mois": [f["documents_mois"] for _, f in figures],
                "Rythme annuel": [f["flux_annualise"] for _, f in figures],
                "Documents par habitant et par an": [f["documents_par_habitant_an"] for _, f in figures],
                "Évolution sur 12 mois": [f["evolution_12_mois"] for _, f in figures],
            },
            schema_overrides={
                "Documents par habitant et par an": pl.Float64,
                "Évolution sur 12 mois": pl.Float64,
            },
        ),
        percent=("Évolution sur 12 mois",),
    )

series = read(queries.flux_series, sel.niveau, sel.code).filter(pl.col("couloir") == ALL_COULOIRS)
national = sel.niveau == "pays"
published = (
    read(queries.published_flux).filter(pl.col("couloir") == ALL_COULOIRS)
    if national
    else read(queries.published_flux).head(0)
)
projection = (
    read(queries.projections, ALL_COULOIRS) if national else read(queries.projections, ALL_COULOIRS).head(0)
)
milestones = read(queries.milestones)
target = k["cible_annuelle"]
finding = (
    f"{sel.libelle} : {formats.millions(k['flux_annualise'])} de documents par an "
    f"au rythme {formats.of_month(mois)}{' (provisoire)' if sel.provisoire else ''}"
)
if target:
    finding += (
        f", soit {formats.percent(k['taux_atteinte_cible'], 0)} de la cible de {formats.millions(target, 0)}"
    )
fig = annualised_trend(
    series, published, milestones, projection, target, finding, mois, today=settings().today()
)
table = labelled(
    series,
    {
        "Mois": formats.month_column("mois"),
        "Documents du mois": "documents",
        "Rythme annuel": "flux_annualise",
        "Part de la cible": "taux_atteinte_cible",
        "Démonstration": "donnees_demo",
    },
)
chart(
    fig,
    "Rythme annuel = documents envoyés dans le mois × 12 (définition du programme). Losanges : chiffres publiés "
    "(source au survol). Triangles : COSUI. Pointillés bleus : projection de la tendance des 12 derniers mois, "
    "corrigée des saisons quand 24 mois existent, avec l'intervalle à 90 %. Sources : COSUI, INSEE ; voir Données.",
    table,
    key="tendance",
    percent=("Part de la cible",),
)
if national and published.height:
    table_shelf(
        "Chiffres publiés repris sur le graphique",
        "chiffres_publies",
        labelled(
            published,
            {
                "Mois": formats.month_column("mois"),
                "Indicateur publié": "indicateur",
                "Valeur publiée": "valeur",
                "Rythme annuel": "flux_annualise",
                "Remarque": "remarque",
                "Source": source_titles("source"),
            },
        ),
    )
