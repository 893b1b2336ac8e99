"""Modes, rôles et périmètres : le fichier des rôles, la borne de chaque lecture, le lanceur qui refuse un
démarrage dangereux, les pages de chaque mode (AppTest)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from app_pages.registry import PAGES, pages_for
from pipelines.access import (
    LOCAL,
    PUBLIC,
    AccessError,
    Role,
    bound_frame,
    load_roles,
    parse_role,
    role_for,
    startup_problems,
)

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
ROLES = (
    "identite,role,motif\nchef@sante.gouv.fr,national,\n@ars-ara.sante.fr,region:84,\n"
    "ADMIN@sante.gouv.fr,administrateur,\n"
)


@pytest.fixture
def roles(tmp_path: Path) -> Path:
    path = tmp_path / "roles.csv"
    path.write_text(ROLES, encoding="utf-8")
    return path


def test_roles_come_from_the_address_then_the_domain(roles: Path) -> None:
    rules = load_roles(roles)
    assert role_for("chef@sante.gouv.fr", rules) == Role("national", identite="chef@sante.gouv.fr")
    assert role_for("Admin@Sante.gouv.fr", rules) == Role("administrateur", identite="admin@sante.gouv.fr")
    assert role_for("quelquun@ars-ara.sante.fr", rules) == Role("region", "84", "quelquun@ars-ara.sante.fr")
    assert role_for("autre@sante.gouv.fr", rules) is None
    assert role_for(None, rules) is None


def test_a_bad_roles_file_says_where(tmp_path: Path) -> None:
    path = tmp_path / "roles.csv"
    path.write_text("identite,role\nchef@sante.gouv.fr,region:ARA\n", encoding="utf-8")
    with pytest.raises(AccessError, match=r"ligne 2, colonne role : rôle « region:ARA » inconnu"):
        load_roles(path)
    with pytest.raises(AccessError, match="inconnu"):
        parse_role("superviseur")


def test_a_region_reads_its_rows_and_the_national_total_only() -> None:
    frame = pl.DataFrame(
        {
            "niveau": ["pays", "region", "region", "departement", "departement", "etablissement"],
            "code_geo": ["FR", "84", "11", "69", "75", "690000001"],
            "code_region": ["", "84", "11", "84", "11", "84"],
            "documents": [100, 40, 60, 40, 60, 5],
        }
    )
    assert_frame_equal(
        bound_frame(Role("region", "84"), frame),
        frame.filter(pl.col("code_geo").is_in(["FR", "84", "69", "690000001"])),
    )
    assert_frame_equal(bound_frame(Role("national"), frame), frame)
    # Sans colonne de région : les départements d'après le référentiel INSEE.
    sons = pl.DataFrame({"niveau": ["departement", "departement"], "code_geo": ["69", "75"], "n": [1, 2]})
    assert bound_frame(Role("region", "84"), sons)["code_geo"].to_list() == ["69"]
    listing = pl.DataFrame({"finess": ["690000001", "750000001"], "code_departement": ["69", "75"]})
    assert bound_frame(Role("region", "84"), listing)["finess"].to_list() == ["690000001"]


def test_startup_refusals(tmp_path: Path, roles: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    assert startup_problems("local", "127.0.0.1", secrets, roles) == []
    assert "n'écoute que sur ce poste" in startup_problems("local", "0.0.0.0", secrets, roles)[0]
    assert startup_problems("public", "0.0.0.0", secrets, roles) == []
    assert "section [auth]" in startup_problems("interne", "127.0.0.1", secrets, roles)[0]
    secrets.write_text(
        '[auth]\nredirect_uri="http://127.0.0.1:8501/oauth2callback"\ncookie_secret="x"\nclient_id="c"\n'
        'client_secret="s"\nserver_metadata_url="http://127.0.0.1:9/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    assert startup_problems("interne", "127.0.0.1", secrets, roles) == []
    assert "inconnu" in startup_problems("ouvert", "127.0.0.1", secrets, roles)[0]


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", "serve", *args],
        cwd=REPO,
        env={
            **os.environ,
            "MES_DB": str(tmp_path / "w.duckdb"),
            "MES_SECRETS": str(tmp_path / "absent.toml"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_launcher_refuses_in_french_before_starting(tmp_path: Path) -> None:
    interne = _serve(tmp_path, MES_MODE="interne")
    assert interne.returncode == 2
    assert "Démarrage refusé : le mode interne exige la connexion OpenID Connect" in interne.stderr
    local = _serve(tmp_path, "--address", "0.0.0.0", MES_MODE="local")
    assert local.returncode == 2 and "adresse « 0.0.0.0 » refusée" in local.stderr
    assert "Traceback" not in interne.stderr + local.stderr


def test_pages_per_mode_and_role() -> None:
    titles = {p.path: p.title for p in PAGES}

    def names(mode: str, role: Role) -> set[str]:
        return {titles[p.path] for p in pages_for(mode, role)}

    assert {"Données", "Exports"} <= names("local", LOCAL)
    public = names("public", PUBLIC)
    assert "Données ouvertes" in public and not {"Données", "Exports"} & public
    assert "Exports" not in names("interne", Role("region", "84"))
    assert "Données ouvertes" not in names("interne", Role("national"))


def test_public_mode_renders_every_page_from_the_published_tables(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MES_MODE", "public")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    for page in pages_for("public", PUBLIC):
        at.switch_page(page.path).run()
        assert not at.exception, (page.path, [e.value for e in at.exception])
        assert not any("mode local" in c.value for c in at.caption)
    at.switch_page("app_pages/vue_ensemble.py").run()
    shown = {m.label: m.value for m in at.metric}
    # Le total publié exclut la série interne « Autres émetteurs » : 42 800 000 − 428 000 en octobre 2025.
    assert shown["Documents envoyés dans le mois"].replace("\u202f", " ").startswith("42 372 000")


def test_interne_mode_without_sign_in_configuration_shows_only_the_refusal(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MES_MODE", "interne")
    monkeypatch.setenv("MES_SECRETS", str(tmp_path / "absent.toml"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert [e.value for e in at.error][0].startswith("Démarrage refusé : le mode interne exige")
    assert len(at.metric) == 0 and len(at.get("plotly_chart")) == 0


def test_an_unreadable_setting_stops_the_app_with_a_french_refusal(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MES_MODE", "prive")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        "Démarrage refusé : réglage MES_MODE « prive » refusé : valeurs admises : local, public, interne."
    ]
    assert len(at.metric) == 0 and len(at.get("plotly_chart")) == 0
    served = _serve(tmp_path, MES_MODE="prive")
    assert served.returncode == 2 and "Traceback" not in served.stderr
    assert "réglage MES_MODE « prive » refusé" in served.stderr
