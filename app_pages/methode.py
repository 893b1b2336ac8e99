"""Méthode, pour les citoyens : ce que compte chaque indicateur, la cible de 250 M et la formulation retenue,
les sources, la politique de révision et le journal public des révisions, le secret statistique, le calendrier."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages.common import errata_view, labelled, read, settings, show_table, source_titles
from pipelines import formats
from pipelines.indicators.usage import DERIVED
from pipelines.publish.diffusion import MASK_MAX, MASK_MIN, MASK_TEXT
from pipelines.publish.freshness import calendar
from pipelines.sources.usage import nomenclature
from pipelines.warehouse import queries

st.title("Méthode")
st.markdown(
    "Cette page explique, sans jargon, ce que comptent les chiffres du tableau de bord, d'où ils viennent et comment "
    "ils peuvent changer. Ce tableau de bord n'est pas une source officielle : les seuls chiffres officiels sont "
    "ceux publiés par le programme (COSUI, communiqués), repris avec leur source."
)

st.header("Les documents envoyés à Mon espace santé")
st.markdown(
    """
- **Documents envoyés dans le mois** : documents de santé (comptes rendus de biologie et de radiologie, lettres de
  sortie d'hôpital, ordonnances…) que les logiciels des professionnels ont déposés dans le profil Mon espace santé
  (DMP) de leurs patients pendant le mois calendaire.
- **Rythme annuel** : documents du mois **× 12**. C'est la mesure du programme : « 18,8 M de documents en décembre
  2023 » font un rythme de 225,6 M par an (publié « 226 M »). Ce n'est pas le total d'une année.
- **Cumul des 12 derniers mois** : la somme des 12 derniers mois (vide s'il en manque un).
- **Par habitant** : rythme annuel ÷ population INSEE du territoire (estimation au 1er janvier pour la France,
  populations légales 2021 pour les régions et les départements).
- **Part de la cible** : rythme annuel ÷ cible annuelle.
"""
)

st.header("La cible de 250 millions : quelle formulation ce produit retient")
st.markdown(
    """
La cible a été écrite de trois façons : documents **« échangés »** (« passer de 10 millions à 250 millions de
documents médicaux échangés d'ici fin 2023 », annonce d'avril 2023), **« envoyés »** vers Mon espace santé
(« 1 document de santé sur 2 envoyé vers Mon espace santé, soit un rythme de 250 M de documents / an », COSUI
n° 9 du 17 janvier 2024) ou **« stockés »** dans le dossier.

**Ce produit retient « envoyés »** : 250 millions de documents **envoyés par les professionnels vers Mon espace
santé, en rythme annuel** (documents du mois × 12), comme le COSUI n° 9. « Échangés » comprendrait aussi les messages
entre professionnels par MSSanté, que ce produit compte à part (page Usages) ; « stockés » compterait aussi les
documents ajoutés par les patients eux-mêmes, qui n'entrent pas dans la cible.
"""
)

st.header("Les usages de Mon espace santé")
definitions = labelled(
    nomenclature(),
    {
        "Indicateur": "libelle",
        "Ce qui est compté": "definition",
        "Unité": "unite",
        "Période": pl.col("nature").replace_strict(
            {"stock": "compté à la fin du mois", "mois": "compté pendant le mois"}
        ),
    },
)
derived = pl.DataFrame(
    {
        "Indicateur": [label for label, _ in DERIVED.values()],
        "Ce qui est compté": [
            "Profils activés ÷ population INSEE du territoire.",
            "Variation des profils activés depuis le point connu précédent ÷ nombre de mois écoulés (profils "
            "clôturés déduits).",
            "Documents consultés ÷ professionnels ayant consulté au moins un DMP, sur les 36 derniers mois.",
        ],
        "Unité": [unit for _, unit in DERIVED.values()],
        "Période": ["calculé", "calculé", "calculé"],
    }
)
show_table(pl.concat([definitions, derived]))
st.caption(
    "Une région vaut la valeur livrée pour elle, sinon la somme de tous ses départements ; il en manque un, elle "
    "reste vide : une somme partielle n'est jamais montrée comme un total."
)

st.header("Sources")
st.markdown(
    """
- **Comités de suivi (COSUI) du Ségur numérique** : supports du 5 avril 2023 (n° 7) et du 17 janvier 2024 (n° 9),
  communiqués des COSUI n° 11 (10 décembre 2024) et n° 12 (2 avril 2025).
- **Assurance maladie (Cnam) et Agence du numérique en santé (ANS)** : communiqués sur Mon espace santé et MSSanté.
- **INSEE** : population au 1er janvier (France), populations légales 2021 (régions, départements).
- **IGN** : contours des régions et départements (Admin Express, Licence Ouverte).
- Chaque chiffre publié repris ici garde sa source, ligne à ligne :
"""
)
show_table(
    labelled(
        read(queries.published_usage),
        {
            "Mois": formats.month_column("mois", short=False),
            "Indicateur": "indicateur",
            "Valeur publiée": "valeur",
            "Source": source_titles("source"),
        },
    ),
)

st.header("Révisions")
st.markdown(
    """
Un chiffre peut être **révisé** quand une source relivre un mois (une livraison tardive, une correction) : la valeur
courante remplace la précédente, l'ancienne reste dans l'historique et la révision est inscrite ci-dessous. Un mois
encore incomplet n'est jamais présenté comme complet. Une erreur publiée est corrigée ouvertement (erratum).
"""
)
st.subheader("Errata")
show_table(
    errata_view(read(queries.errata)),
)
st.subheader("Journal des révisions")
revisions = read(queries.revision_log)
if revisions.height:
    show_table(
        labelled(
            revisions,
            {
                "Révisé le": formats.date_column("date_revision"),
                "Mois révisé": formats.month_column("mois", short=False),
                "Valeurs révisées": "valeurs_revisees",
                "Démonstration": "donnees_demo",
            },
        ),
    )
    st.caption(
        "Le journal dit quand un mois a été révisé et combien de valeurs ont changé ; les nouvelles valeurs sont "
        "celles des pages et des fichiers publiés."
    )
else:
    st.caption("Aucune valeur n'a été révisée.")

st.header("Secret statistique")
st.markdown(
    f"""
Aux niveaux du département et de l'établissement, un nombre compris entre {MASK_MIN} et {MASK_MAX} est remplacé par
« {MASK_TEXT} » dans tout ce qui est publié (pages publiques, fichiers, API), et les valeurs qui permettraient de le
retrouver (rythme annuel, parts, évolutions, taux) sont laissées vides. Les séries internes ne sont pas publiées.
"""
)

st.header("Calendrier de publication")
today = settings().today()
upcoming = calendar().filter(pl.col("publication_prevue") >= today).head(6)
st.markdown(
    "Les données d'un mois sont arrêtées à la fin du mois et publiées le 20 du mois suivant (le jour ouvré suivant "
    "si le 20 tombe un samedi ou un dimanche). Chaque page publique indique la date d'arrêt des données et la "
    "prochaine mise à jour prévue, et signale quand une mise à jour prévue n'a pas eu lieu."
)
show_table(
    labelled(
        upcoming,
        {
            "Données du mois": formats.month_column("mois", short=False),
            "Arrêtées au": formats.date_column("donnees_arretees_au"),
            "Publication prévue le": formats.date_column("publication_prevue"),
        },
    ),
)

st.header("Données de démonstration")
st.markdown(
    "L'entrepôt par défaut contient des données **générées pour la démonstration** (flux et usages par région et "
    "département, SONS vague 2, SUN-ES). Elles passent par les chiffres publiés mais ne sont pas officielles ; elles "
    "sont signalées par un bandeau sur chaque page et la colonne `donnees_demo` (ou `export_demonstration`) dans "
    "chaque fichier."
)
