"""Établissements (usage interne) : les alertes du mois par règle, la liste des établissements du territoire choisi,
et le détail d'un établissement (séries par couloir et type de document, jalons SONS)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages.common import Formatted, chart, demo_note, establishment_series, labelled, read, selection
from pipelines import formats
from pipelines.publish.theme import RUPTURE_LABELS, couloir_label
from pipelines.warehouse import establishment_queries as Q
from pipelines.warehouse.reference import labels

DEFINITIONS = labels("types_ruptures.csv", "definition")

sel = selection()
st.title(f"Établissements — {sel.libelle}")
latest = read(Q.latest_month)
if latest is None:
    st.info(
        "Aucun flux par établissement dans l'entrepôt : importez un fichier de flux avec une colonne FINESS "
        "(page Données), et le répertoire FINESS pour afficher les noms."
    )
    st.stop()
mois = sel.mois if sel.mois is not None and sel.mois <= latest else latest
if sel.mois is not None and sel.mois > latest:
    st.info(
        f"Les établissements sont livrés jusqu'en {formats.month(latest)} : cette page montre ce mois-là."
    )
alerts = read(Q.alerts, mois, sel.niveau, sel.code)
listing = read(Q.establishments, mois, sel.niveau, sel.code)
demo_note(bool(listing["donnees_demo"].any()) if listing.height else False)


def couloir_names(codes: pl.Series) -> pl.Expr:
    return pl.col("couloir").replace_strict({c: couloir_label(c) for c in codes.unique().to_list()})


st.subheader(f"Alertes {formats.of_month(mois)}")
st.caption(
    "Mêmes listes que `python -m pipelines ruptures` ; un mois n'est examiné que s'il est complet pour le département. "
    "« Nouvelle » : absente de la liste du mois précédent. Définitions et exemples : docs/INDICATEURS.md."
)
tabs = st.tabs(
    [f"{label} ({alerts.filter(pl.col('type') == code).height})" for code, label in RUPTURE_LABELS.items()]
)
for tab, (code, label) in zip(tabs, RUPTURE_LABELS.items(), strict=True):
    with tab:
        st.caption(f"{label} : {DEFINITIONS[code]}.")
        rows = alerts.filter(pl.col("type") == code)
        if rows.height == 0:
            st.success(
                f"Aucun établissement en « {label.lower()} » {formats.of_month(mois)} dans ce territoire."
            )
            continue
        st.dataframe(
            labelled(
                rows,
                {
                    "Établissement": pl.col("raison_sociale").fill_null("(absent du répertoire)"),
                    "FINESS": "finess",
                    "Département": "nom_departement",
                    "Couloir": couloir_names(rows["couloir"]),
                    "Documents du mois": Formatted("documents_mois", formats.integer),
                    "Référence": Formatted("reference", lambda v: formats.decimal(v, 1)),
                    "Documents perdus": Formatted("documents_perdus", formats.integer),
                    "Nouvelle": pl.when(pl.col("nouvelle")).then(pl.lit("oui")).otherwise(pl.lit("non")),
                    "12 derniers mois": "serie",
                },
            ),
            hide_index=True,
            column_config={"12 derniers mois": st.column_config.LineChartColumn("12 derniers mois", y_min=0)},
            key=f"alertes_{code}",
        )

st.subheader(f"Tous les établissements — {sel.libelle}")
query = st.text_input("Rechercher (nom, FINESS, catégorie)", key="recherche_etablissement")
shown = listing
if query:
    needle = query.strip().lower()
    shown = listing.filter(
        pl.concat_str(
            [pl.col(c).fill_null("") for c in ("raison_sociale", "finess", "libelle_categorie")],
            separator=" ",
        )
        .str.to_lowercase()
        .str.contains(needle, literal=True)
    )
st.caption(f"{formats.integer(shown.height)} établissement(s) sur {formats.integer(listing.height)}.")
st.dataframe(
    labelled(
        shown,
        {
            "Établissement": pl.col("raison_sociale").fill_null("(absent du répertoire)"),
            "FINESS": "finess",
            "Catégorie": "libelle_categorie",
            "Département": "code_departement",
            "Dernier mois avec envoi": formats.month_column("dernier_mois_avec_envoi", short=False),
            "Documents du mois": Formatted("documents_mois", formats.integer),
            "Évolution sur 12 mois": Formatted(
                "evolution_12_mois", lambda v: formats.percent(v, 0, signed=True)
            ),
            "SONS": "statut_sons",
        },
    ),
    hide_index=True,
    key="liste_etablissements",
)

st.subheader("Un établissement")
if shown.height == 0:
    st.info("Aucun établissement ne correspond à la recherche.")
    st.stop()
names = dict(zip(shown["finess"], shown["raison_sociale"].fill_null("(absent du répertoire)"), strict=True))
first_alert = next((f for f in alerts["finess"].to_list() if f in names), None)
options = list(names)
finess = st.selectbox(
    "Établissement",
    options,
    index=options.index(first_alert) if first_alert else 0,
    format_func=lambda f: f"{names[f]} ({f})",
    key="etablissement_detail",
)
series = read(Q.detail_series, finess)
milestones = read(Q.sons_milestones, finess)
own_alerts = alerts.filter(pl.col("finess") == finess)
for row in own_alerts.iter_rows(named=True):
    st.warning(
        f"{RUPTURE_LABELS[row['type']]} {formats.of_month(mois)} — {couloir_label(row['couloir'])} : "
        f"{formats.integer(row['documents_mois'])} document(s), référence {formats.decimal(row['reference'], 1)} "
        f"({row['base_reference']}), {formats.integer(row['documents_perdus'])} documents perdus.",
        icon=":material/warning:",
    )
if series.height == 0:
    st.info(f"{names[finess]} n'a envoyé aucun document connu de l'entrepôt.")
chart(
    establishment_series(series, milestones, f"{names[finess]} : documents envoyés par mois"),
    "Documents envoyés à Mon espace santé chaque mois, par couloir et type de document (ligne « tous types » quand "
    "le fichier ne ventile pas). Traits verticaux : jalons SONS de l'établissement (bon de commande, installation, "
    "demande de solde).",
    labelled(
        series,
        {
            "Mois": formats.month_column("mois"),
            "Couloir": couloir_names(series["couloir"]) if series.height else "couloir",
            "Type de document": "type_document",
            "Documents": "documents",
        },
    ),
    key="serie_etablissement",
)
if milestones.height:
    st.dataframe(
        labelled(
            milestones,
            {
                "Dispositif": "dispositif",
                "Vague": "vague",
                "Bon de commande": formats.date_column("date_bon_de_commande"),
                "Installation": formats.date_column("date_installation"),
                "Demande de solde": formats.date_column("date_demande_solde"),
                "Montant": Formatted("montant_eur", lambda v: formats.euros(float(v))),
            },
        ),
        hide_index=True,
        key="sons_etablissement",
    )
else:
    st.caption("Aucune ligne SONS pour cet établissement.")
