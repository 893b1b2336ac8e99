"""La session : le rôle de la personne (selon le mode), la page de connexion, les géographies demandées dans
l'adresse (`?region=84`, `?departement=69`), bornées au périmètre du rôle."""

from __future__ import annotations

import polars as pl
import streamlit as st

from pipelines.access import LOCAL, PUBLIC, AccessError, Role, load_roles, role_for
from pipelines.settings import Settings

QUERY_LEVELS = {"region": "region", "departement": "departement"}


def _identity_email() -> str | None:
    email = st.user.get("email")
    return str(email) if email else None


def current_role(settings: Settings) -> Role | None:
    """Le rôle de la session ; `None` en mode interne tant que la personne n'est pas connectée avec un rôle."""
    if settings.mode == "local":
        role = LOCAL
    elif settings.mode == "public":
        role = PUBLIC
    elif not st.user.is_logged_in:
        role = None
    else:
        # Relu à chaque passage : un rôle retiré du fichier l'est à la prochaine interaction.
        role = role_for(_identity_email(), load_roles(settings.roles_path()))
    st.session_state["role"] = role
    return role


def signed_out_page() -> None:
    """Seule page d'une session interne sans rôle : se connecter, ou savoir pourquoi on ne voit rien."""
    st.title("Pilotage Ségur numérique — accès réservé")
    if not st.user.is_logged_in:
        st.write(
            "Ce tableau de bord est réservé à l'équipe ministérielle et aux équipes régionales. Connectez-vous avec "
            "votre compte d'agent."
        )
        if st.button("Se connecter", type="primary", key="connexion"):
            st.login()
        st.caption("Les chiffres publics sont dans le paquet de transparence et sur le site public.")
        return
    st.warning(
        f"Votre identité ({_identity_email() or 'adresse inconnue'}) n'a pas de rôle dans ce tableau de bord. "
        "Demandez-en un à l'administrateur (voir docs/DEPLOIEMENT.md).",
        icon=":material/lock:",
    )
    if st.button("Se déconnecter", key="deconnexion"):
        st.logout()


def geography_from_query(role: Role, geographies: pl.DataFrame) -> tuple[str, str] | None:
    """La géographie demandée dans l'adresse, si elle existe dans le périmètre ; une géographie hors périmètre
    reçoit la même réponse qu'une géographie qui n'existe pas. Le paramètre est lu une fois puis retiré."""
    for parameter, niveau in QUERY_LEVELS.items():
        if parameter not in st.query_params:
            continue
        code = st.query_params[parameter]
        del st.query_params[parameter]
        known = geographies.filter((pl.col("niveau") == niveau) & (pl.col("code_geo") == code))
        if known.height == 0:
            raise AccessError(f"{'région' if niveau == 'region' else 'département'} « {code} » inconnu")
        return niveau, code
    return None


def unknown_geography(message: str) -> None:
    st.title("Page introuvable")
    st.error(f"Cette adresse ne correspond à aucune page : {message}.", icon=":material/search_off:")
    st.markdown("[Revenir à la vue d'ensemble](./)")
