"""Usages de Mon espace santé : activation par département, connexions, consultation par les professionnels,
MSSanté, et comparaison de territoires par habitant. Chaque graphique a son constat pour titre et son tableau."""

from __future__ import annotations

import streamlit as st

from app_pages.common import activation_map, chart, demo_note, read, selection
from pipelines import formats
from pipelines.publish import usage_charts
from pipelines.warehouse import queries

sel = selection()
st.title("Usages de Mon espace santé")
months = read(queries.usage_months)
if not months:
    st.info(
        "Aucune statistique d'usage dans l'entrepôt : importez un fichier de nature « usage » (page Données)."
    )
    st.stop()
# Le mois choisi dans la barre latérale s'il a des usages, sinon le dernier mois d'usage qui le précède.
default = next((m for m in months if sel.mois is None or m <= sel.mois), months[-1])
mois = st.selectbox(
    "Mois des usages", months, index=months.index(default), format_func=formats.month, key="usage_mois"
)
series = read(queries.usage_series, sel.niveau, sel.code)
national = read(queries.usage_series, "pays", "FR")
current = series.filter(series["mois"] == mois)
demo_note(bool(series["donnees_demo"].any()) if series.height else False)


def figure_of(code: str) -> float | None:
    row = current.filter(current["indicateur"] == code)
    return float(row["valeur"][0]) if row.height else None


st.subheader(f"{sel.libelle}, fin {formats.month(mois)}")
cards = st.columns(4)
cards[0].metric("Profils activés", formats.integer(figure_of("profils_actives")))
cards[1].metric(
    "Taux d'activation",
    formats.percent(figure_of("taux_activation")),
    help="Profils activés ÷ population INSEE",
)
cards[2].metric(
    "Activations nettes par mois",
    formats.integer(figure_of("activations_nettes_mois")),
    help="Variation des profils activés depuis le point précédent ÷ mois écoulés",
)
cards[3].metric("Utilisateurs actifs dans le mois", formats.integer(figure_of("utilisateurs_actifs")))

st.header("Activation par département")
departements = read(queries.usage_level, "taux_activation", "departement", mois)
activation = activation_map(departements, national, mois)
chart(
    activation.figure,
    activation.caption,
    activation.table,
    key="carte_activation",
)

for name, build in (
    ("Connexions", usage_charts.connections),
    ("Consultation par les professionnels", usage_charts.consultations),
    ("Messagerie sécurisée de santé (MSSanté)", usage_charts.mssante),
):
    st.header(name)
    built = build(series, sel.libelle)
    if built.table.height:
        chart(built.figure, built.caption, built.table, key=f"usage_{name}")
    else:
        st.info(f"Pas de donnée « {name} » pour {sel.libelle}.")

st.header("Comparer des territoires")
st.caption(
    f"Jusqu'à {usage_charts.MAX_COMPARED} régions ou départements sur un même graphique, par habitant."
)
level_label = st.radio("Niveau", ["Régions", "Départements"], horizontal=True, key="comparaison_niveau")
level = "region" if level_label == "Régions" else "departement"
geographies = read(queries.geographies)
choices = geographies.filter(geographies["niveau"] == level)
names = dict(zip(choices["code_geo"], choices["libelle_geo"], strict=True))
preset = [c for c in (["11", "53", "84"] if level == "region" else ["93", "75", "23"]) if c in names]
chosen = st.multiselect(
    "Territoires",
    list(names),
    default=preset,
    max_selections=usage_charts.MAX_COMPARED,
    format_func=lambda c: f"{names[c]} ({c})",
    key=f"comparaison_{level}",
)
indicateur = st.radio(
    "Indicateur",
    list(usage_charts.COMPARABLE),
    format_func=lambda c: usage_charts.COMPARABLE[c],
    horizontal=True,
    key="comparaison_indicateur",
)
if chosen:
    compared = usage_charts.comparison(
        read(queries.usage_compare, indicateur, level, tuple(chosen)), indicateur
    )
    chart(compared.figure, compared.caption, compared.table, key="comparaison")
else:
    st.info("Choisissez au moins un territoire.")
