"""Tableau de bord de pilotage du Ségur numérique : mode et rôle, pages permises, barre latérale commune, bandeaux."""

from __future__ import annotations

import streamlit as st

from app_pages import francais
from app_pages.common import Selection, month_choices, read
from app_pages.common import settings as current_settings
from app_pages.registry import pages_for
from app_pages.session import current_role, geography_from_query, signed_out_page, unknown_geography
from pipelines import formats
from pipelines.access import LOCAL_BANNER, AccessError, allowed_geographies, startup_problems
from pipelines.indicators.completeness import latest_complete_month
from pipelines.intake.parsing import normalise_label
from pipelines.publish.freshness import freshness
from pipelines.publish.theme import DEMO_BANNER
from pipelines.settings import SettingsError
from pipelines.warehouse import queries
from pipelines.warehouse.connection import WarehouseError

st.set_page_config(
    page_title="Pilotage Ségur numérique — Mon espace santé",
    page_icon=":material/description:",
    layout="wide",
)
francais.install()

try:
    settings = current_settings()
except SettingsError as exc:
    st.error(f"Démarrage refusé : {exc}.")
    st.stop()
# Le lanceur (`python -m pipelines serve`) refuse déjà de démarrer ; ceci couvre un `streamlit run` direct.
problems = startup_problems(
    settings.mode,
    st.get_option("server.address") or "127.0.0.1",
    settings.secrets_path(),
    settings.roles_path(),
)
if problems:
    for problem in problems:
        st.error(f"Démarrage refusé : {problem}.")
    st.stop()

role = current_role(settings)
if role is None:
    st.navigation([st.Page(signed_out_page, title="Connexion", icon=":material/login:")]).run()
    st.stop()

navigation = st.navigation(
    [
        st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=p.default)
        for p in pages_for(settings.mode, role)
    ]
)

try:
    geographies = allowed_geographies(role, read(queries.geographies))
    has_demo = read(queries.has_demo)
except WarehouseError as exc:
    st.error(str(exc))
    st.stop()

# L'adresse (`?region=84`, `?departement=93`, `?mois=2025-10`) n'est lue qu'au premier passage d'une session : la
# barre latérale la réécrit ensuite à chaque choix, pour qu'un lien copié reproduise la vue.
asked = None
if "adresse_lue" not in st.session_state:
    try:
        asked = geography_from_query(role, geographies)
    except AccessError as exc:
        unknown_geography(str(exc))
        st.stop()
    asked_month = st.query_params.get("mois")
    if asked_month:
        st.session_state["mois_retenu"] = asked_month
    st.session_state["adresse_lue"] = True

with st.sidebar:
    st.header("Périmètre")
    levels = ["Région", "Département"] if role.perimetre.region else ["France", "Région", "Département"]
    deps = geographies.filter(geographies["niveau"] == "departement")
    if asked is not None:
        st.session_state["niveau"] = {"region": "Région", "departement": "Département"}[asked[0]]
        st.session_state[asked[0]] = asked[1]
        if (
            asked[0] == "departement"
        ):  # la liste des départements suit la région : celle du département demandé
            st.session_state["region"] = deps.filter(deps["code_geo"] == asked[1])["code_region"].item()
    niveau_label = st.radio("Géographie", levels, key="niveau", horizontal=True)
    niveau, code, libelle = "pays", "FR", "France"
    regions = geographies.filter(geographies["niveau"] == "region")
    region_names = dict(
        sorted(
            zip(regions["code_geo"], regions["libelle_geo"], strict=True),
            key=lambda item: normalise_label(item[1]),
        )
    )
    if niveau_label in ("Région", "Département") and region_names:
        region = st.selectbox(
            "Région", list(region_names), format_func=lambda c: f"{region_names[c]} ({c})", key="region"
        )
        niveau, code, libelle = "region", region, region_names[region]
        if niveau_label == "Département":
            in_region = deps.filter(deps["code_region"] == region)
            names = dict(zip(in_region["code_geo"], in_region["libelle_geo"], strict=True))
            if st.session_state.get("departement") not in names:
                st.session_state.pop("departement", None)  # celui d'une autre région : le premier de celle-ci
            if names:
                code = st.selectbox(
                    "Département", list(names), format_func=lambda c: f"{c} – {names[c]}", key="departement"
                )
                niveau, libelle = "departement", names[code]
    months = read(queries.months, niveau, code)
    default, provisional = month_choices(niveau, code, months)
    # Le mois choisi survit au changement de géographie (s'il existe pour la nouvelle) ; sinon le mois par défaut.
    kept = next(
        (i for i, m in enumerate(months) if f"{m:%Y-%m}" == st.session_state.get("mois_retenu")), None
    )
    default = kept if kept is not None else default
    mois = (
        st.selectbox(
            "Mois",
            months,
            index=default,
            format_func=lambda m: formats.month(m) + (" (provisoire)" if m in provisional else ""),
            key=f"mois_{niveau}_{code}",
            help="Par défaut : le dernier mois complet du périmètre. Un mois « provisoire » n'a pas encore reçu "
            "toutes les contributions attendues (voir Données, « Complétude »).",
        )
        if months
        else None
    )
    coverage = provisional.get(mois) if mois is not None else None
    if mois is not None:
        st.session_state["mois_retenu"] = f"{mois:%Y-%m}"
    address = {niveau: code} if niveau in ("region", "departement") else {}
    if mois is not None:
        address["mois"] = f"{mois:%Y-%m}"
    if st.query_params.to_dict() != address:
        st.query_params.from_dict(address)
    st.session_state["selection"] = Selection(mois, niveau, code, libelle, coverage)
    st.divider()
    st.caption(
        "Sources : chiffres publiés des COSUI (voir la page Méthode), INSEE, IGN. Tous les chiffres sont "
        "recalculés à chaque import."
    )
    if settings.mode == "interne":
        st.caption(f"Connecté : {role.identite} — rôle {role.label()}")
        if st.button("Se déconnecter", key="deconnexion"):
            st.logout()

if settings.mode == "local":
    st.caption(f":material/computer: {LOCAL_BANNER}")
if has_demo:
    st.warning(DEMO_BANNER, icon=":material/warning:")
# Marque de fraîcheur sur chaque page (calendrier de data/reference/calendrier_publication.csv) : le dernier mois
# complet de la France, celui que publie le paquet.
latest = read(latest_complete_month, "pays", "FR")
if latest is not None:
    fresh = freshness(latest, settings.today())
    st.markdown(f":material/event: **{fresh.text}**")
    if fresh.warning:
        st.warning(fresh.warning, icon=":material/update:")

navigation.run()
