"""SONS : référencement → bons de commande → installations → soldes, couverture, montants, échéances de la vague 2."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages.common import chart, demo_note, labelled, read, role, selection, settings, show_table
from pipelines import formats
from pipelines.indicators.codes import DISPOSITIF_GROUPS
from pipelines.publish import charts, titles
from pipelines.publish.theme import DISPOSITIF_GROUP_LABELS, SONS_STEP_LABELS
from pipelines.warehouse import establishment_queries, queries

sel = selection()
niveau, code, shown = sel.niveau, sel.code, sel.libelle
if sel.niveau == "departement":
    # Les statistiques SONS agrégées sont livrées par région : un département montre celles de sa région, et le dit.
    parent = read(queries.geographies).filter(
        (pl.col("niveau") == "departement") & (pl.col("code_geo") == sel.code)
    )
    regions = read(queries.geographies).filter(pl.col("niveau") == "region")
    niveau, code = "region", str(parent["code_region"].item()) if parent.height else "FR"
    shown = next(
        (n for c, n in zip(regions["code_geo"], regions["libelle_geo"], strict=True) if c == code), "France"
    )
st.title(f"SONS — {shown}")
if sel.niveau == "departement":
    st.info(
        f"Les statistiques SONS agrégées sont livrées par région : cette page montre {shown}, région de "
        f"{sel.libelle}. SONS établissement par établissement (bons de commande, installations, demandes de solde) : "
        "page « Établissements ».",
        icon=":material/info:",
    )
sons = read(queries.sons, niveau, code)
if sons.height == 0:
    st.info(
        "Aucune statistique SONS pour ce périmètre : importez un fichier « sons » depuis la page Données."
    )
    st.stop()
vagues = sorted(sons["vague"].unique().to_list(), reverse=True)
vague = st.radio("Vague", vagues, horizontal=True, key="sons_vague")
wave = sons.filter(pl.col("vague") == vague)
dates = sorted(wave["date_situation"].unique().to_list(), reverse=True)
date = st.selectbox("Date de situation", dates, format_func=formats.date, key=f"sons_date_{vague}")
snapshot = wave.filter((pl.col("date_situation") == date) & ~pl.col("dispositif").is_in(DISPOSITIF_GROUPS))
demo_note(bool(snapshot["donnees_demo"].any()))

groups = wave.filter((pl.col("date_situation") == date) & pl.col("dispositif").is_in(DISPOSITIF_GROUPS))
totals = (
    read(queries.sons_wave_totals, niveau, code)
    .filter((pl.col("vague") == vague) & (pl.col("date_situation") == date))
    .row(0, named=True)
)
cols = st.columns(4)
cols[0].metric("Bons de commande", formats.integer(totals["bons_de_commande"]))
cols[1].metric("Installations", formats.integer(totals["installations"]))
cols[2].metric("Demandes de solde", formats.integer(totals["demandes_de_solde"]))
cols[3].metric("Montants versés", formats.euros(totals["montants_verses_eur"]))

dispositifs = snapshot["dispositif"].to_list()
funnel = {
    "Bons de commande": snapshot["bons_de_commande"].to_list(),
    "Installations": snapshot["installations"].to_list(),
    "Demandes de solde": snapshot["demandes_de_solde"].to_list(),
}
chart(
    charts.grouped_bars(
        dispositifs,
        funnel,
        titles.sons_leader(snapshot, f"{vague} au {formats.date(date)}"),
        "Nombre",
    ),
    "Cycle SONS : référencement → bon de commande (BDC) → installation → vérification d'aptitude → demande de solde. "
    "Source : statistiques SONS (ASP, ANS) ; vague 1 : COSUI de janvier 2024.",
    # Le cycle seul, pour tenir dans la largeur de la page : libellés, cible et couverture sont dans le tableau de la
    # couverture, juste en dessous.
    labelled(
        snapshot,
        {
            "Dispositif": "dispositif",
            "Solutions référencées": "solutions_referencees",
            "BDC": "bons_de_commande",
            "Installations": "installations",
            "Soldes": "demandes_de_solde",
            "Montants versés (€)": "montants_verses_eur",
            "Taux de solde": "taux_solde",
        },
    ),
    key="sons_cycle",
    percent=("Taux de solde",),
    digits={"Montants versés (€)": 0},
)
covered = snapshot.filter(pl.col("taux_couverture").is_not_null()).sort("taux_couverture")
if covered.height:
    chart(
        charts.rate_bars(
            covered["dispositif"].to_list(),
            covered["taux_couverture"].to_list(),
            titles.sons_lowest_coverage(covered),
            "Couverture (BDC ÷ cible)",
        ),
        "Couverture = bons de commande ÷ structures éligibles (cible).",
        labelled(
            covered,
            {
                "Dispositif": "dispositif",
                "Libellé": "libelle_dispositif",
                "Structures éligibles": "cible",
                "BDC": "bons_de_commande",
                "Couverture": "taux_couverture",
            },
        ),
        key="sons_couverture",
        percent=("Couverture",),
    )
if groups.height:
    st.caption(
        " · ".join(
            f"{DISPOSITIF_GROUP_LABELS[r['dispositif']]} : taux de solde {formats.percent(r['taux_solde'])}"
            for r in groups.iter_rows(named=True)
            if r["taux_solde"] is not None
        )
    )

st.subheader("Compte à rebours des échéances")
today = settings().today()
deadlines = read(queries.sons_deadlines, today).filter(pl.col("vague") == vague)
upcoming = deadlines.filter(pl.col("jours_restants") >= 0)
if upcoming.height:
    countdown = st.columns(min(4, upcoming.height))
    for col, row in zip(countdown, upcoming.head(4).iter_rows(named=True), strict=False):
        col.metric(
            f"{row['programme']} — {formats.date(row['date_echeance'])}",
            f"J − {row['jours_restants']}",
            help=row["libelle"],
        )
show_table(
    labelled(
        deadlines,
        {
            "Échéance": formats.date_column("date_echeance"),
            "Programme": "programme",
            "Jalon": "libelle",
            "Jours restants": "jours_restants",
        },
    ),
)

if role().sees_internal:
    # Les lignes par établissement nomment des établissements : la comparaison reste hors du site public.
    st.subheader("Statistiques agrégées et lignes par établissement")
    compared = read(establishment_queries.sons_consistency, niveau, code)
    if compared.height == 0:
        st.caption(
            f"Aucune vague ni aucun dispositif de {shown} n'est livré à la fois en statistiques agrégées et ligne par "
            "ligne (fichier « sons_etablissements ») : rien à comparer."
        )
    else:
        st.caption(
            "Chaque chiffre agrégé face au compte des lignes par établissement dont l'étape est datée au plus tard à "
            "la date de situation. Un écart dit qu'une des deux livraisons est incomplète ou en avance : il est à "
            "expliquer avec l'équipe qui les produit."
        )
        show_table(
            labelled(
                compared,
                {
                    "Situation au": formats.date_column("date_situation"),
                    "Vague": "vague",
                    "Dispositif": "dispositif",
                    "Étape": pl.col("etape").replace_strict(SONS_STEP_LABELS, default=pl.col("etape")),
                    "Statistique agrégée": "agrege",
                    "Lignes par établissement": "lignes",
                    "Écart": "ecart",
                },
            )
        )
