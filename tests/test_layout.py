"""L'arborescence suit le chemin d'un fichier (issue 14) : peu de modules à la racine de `pipelines/`, le reste dans un
sous-paquet nommé d'après l'étape qu'il sert ; le SQL rangé par rôle ; les pages sans préfixe numérique."""

from __future__ import annotations

import re

from pipelines.settings import REPO_ROOT

PIPELINES = REPO_ROOT / "pipelines"
STAGES = {"cli", "sources", "intake", "warehouse", "indicators", "publish"}


def test_the_root_of_pipelines_keeps_at_most_eight_modules() -> None:
    modules = sorted(p.name for p in PIPELINES.glob("*.py") if p.name not in {"__init__.py", "__main__.py"})
    assert len(modules) <= 8, modules


def test_every_subpackage_is_named_after_a_stage() -> None:
    packages = {p.name for p in PIPELINES.iterdir() if (p / "__init__.py").is_file()}
    assert packages == STAGES


def test_sql_files_sit_in_their_role_folder() -> None:
    sql = PIPELINES / "warehouse" / "sql"
    roles = {p.relative_to(sql).parts[0] for p in sql.rglob("*/*.sql")}
    assert roles == {"schema", "migrations", "load", "queries"}
    # Seul à la racine : l'identifiant de publication, que la connexion crée, écrit et lit à chaque publication.
    assert [p.name for p in sql.glob("*.sql")] == ["publication.sql"]
    assert not list(PIPELINES.glob("*.sql"))


def test_pages_have_no_numeric_prefix() -> None:
    pages = [p.name for p in (REPO_ROOT / "app_pages").glob("*.py")]
    assert pages and not [name for name in pages if re.match(r"^\d", name)]
    assert not (
        REPO_ROOT / "pages"
    ).exists()  # le dossier de la découverte automatique, que st.navigation remplace
