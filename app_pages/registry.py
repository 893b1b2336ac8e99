"""Les pages de l'application, et pour chacune les modes et les rôles qui la voient.

Ajouter une page = une ligne dans `PAGES`. Une page absente d'un mode (ou interdite au rôle) n'est pas déclarée à
`st.navigation` : son adresse répond comme une page inconnue.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.access import Role

TOUS_MODES = frozenset({"local", "public", "interne"})
INTERNE = frozenset({"local", "interne"})  # jamais en mode public
TOUS_ROLES = frozenset({"local", "public", "national", "region", "administrateur"})
ADMINISTRATION = frozenset({"local", "administrateur"})


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str | None = None
    modes: frozenset[str] = TOUS_MODES
    roles: frozenset[str] = TOUS_ROLES
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/vue_ensemble.py", "Vue d'ensemble", ":material/monitoring:", default=True),
    PageSpec("app_pages/couloirs.py", "Couloirs", ":material/stacked_bar_chart:", "couloirs"),
    PageSpec("app_pages/territoires.py", "Territoires", ":material/map:", "territoires"),
    PageSpec("app_pages/usages.py", "Usages de Mon espace santé", ":material/group:", "usages"),
    PageSpec("app_pages/sons.py", "SONS", ":material/build:", "sons"),
    PageSpec("app_pages/sunes.py", "SUN-ES et médico-social", ":material/local_hospital:", "sunes"),
    PageSpec(
        "app_pages/etablissements.py",
        "Établissements",
        ":material/domain:",
        "etablissements",
        modes=INTERNE,
        roles=frozenset({"local", "national", "region", "administrateur"}),
    ),
    PageSpec("app_pages/donnees.py", "Données", ":material/database:", "donnees", modes=INTERNE),
    PageSpec(
        "app_pages/donnees_ouvertes.py",
        "Données ouvertes",
        ":material/download:",
        "donnees-ouvertes",
        modes=frozenset({"public"}),
    ),
    # Le dossier COSUI et le paquet national : pour l'équipe nationale, pas pour une région.
    PageSpec(
        "app_pages/exports.py",
        "Exports",
        ":material/download:",
        "exports",
        modes=INTERNE,
        roles=frozenset({"local", "national", "administrateur"}),
    ),
    PageSpec("app_pages/methode.py", "Méthode", ":material/menu_book:", "methode"),
)


def pages_for(mode: str, role: Role, pages: tuple[PageSpec, ...] = PAGES) -> list[PageSpec]:
    """Les pages que ce mode et ce rôle voient, dans l'ordre du menu."""
    return [page for page in pages if mode in page.modes and role.key in page.roles]
