"""Mode interne dans un vrai navigateur, avec un vrai fournisseur OpenID Connect sur 127.0.0.1 : connexion par
`st.login`, rôles lus dans un fichier, périmètre tenu même en modifiant l'adresse, auteur des imports au registre."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app_pages.registry import pages_for
from pipelines.access import parse_role
from tests.browser.conftest import free_port, serve_demo
from tests.browser.test_francais import serious_violations, settle
from tests.oidc_provider import ROLES_CSV, ProviderServer

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
CHART = '[data-testid="stPlotlyChart"]'


@pytest.fixture(scope="session")
def interne_server(
    demo_warehouse_master: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """Le fournisseur de test et l'application en mode interne (section [auth] et rôles de test)."""
    folder = tmp_path_factory.mktemp("interne")
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    provider = ProviderServer(0, {f"{app_url}/oauth2callback"}).start()
    secrets = folder / "secrets.toml"
    secrets.write_text(provider.secrets_toml(app_url), encoding="utf-8")
    roles = folder / "roles.csv"
    roles.write_text(ROLES_CSV, encoding="utf-8")
    try:
        with serve_demo(
            demo_warehouse_master,
            folder,
            port,
            MES_MODE="interne",
            MES_SECRETS=str(secrets),
            MES_ROLES=str(roles),
        ) as served:
            yield served
    finally:
        provider.stop()


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Se connecter").click(timeout=TIMEOUT)
    page.get_by_role("button", name=email, exact=False).click(timeout=TIMEOUT)
    expect(page.get_by_text(f"Connecté : {email}")).to_be_visible(timeout=TIMEOUT)


def test_signed_out_sees_only_the_sign_in_page(page: Page, interne_server: tuple[str, Path]) -> None:
    url, _ = interne_server
    for path in ("", "territoires", "donnees", "territoires?region=84"):
        page.goto(f"{url}/{path}")
        expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=TIMEOUT)
        page.wait_for_timeout(1500)
        expect(page.locator(CHART)).to_have_count(0)
        expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
        expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(0)
        expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)


def test_regional_user_sees_its_region_only_even_through_the_address(
    page: Page, interne_server: tuple[str, Path], screenshots: Path
) -> None:
    url, _ = interne_server
    sign_in(page, url, "agent@ars-ara.sante.fr")
    expect(page.get_by_text("rôle région 84")).to_be_visible()
    expect(page.locator("h1").first).to_contain_text("Auvergne-Rhône-Alpes", timeout=TIMEOUT)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("France", exact=True)).to_have_count(0)
    # Le classement des régions et la carte ne montrent que la sienne.
    page.goto(f"{url}/territoires")
    expect(page.locator(CHART).first).to_be_visible(timeout=TIMEOUT)
    page.wait_for_timeout(1500)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Auvergne-Rhône-Alpes" in body
    assert "Île-de-France" not in body and "Bretagne" not in body
    page.screenshot(path=str(screenshots / "interne-region.png"), full_page=True)
    # Une autre région, un département d'ailleurs, un code qui n'existe pas : la même réponse.
    answers = []
    for query in ("region=11", "departement=75", "departement=99"):
        page.goto(f"{url}/?{query}")
        expect(page.get_by_text("Cette adresse ne correspond à aucune page")).to_be_visible(timeout=TIMEOUT)
        expect(page.locator(CHART)).to_have_count(0)
        expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
        answers.append(page.locator("h1").first.inner_text())
    assert len(set(answers)) == 1
    # Les établissements proposés sont ceux de la région (numéro FINESS : département en tête), même par l'adresse.
    page.goto(f"{url}/etablissements")
    expect(page.locator("h1").first).to_contain_text("Établissements", timeout=TIMEOUT)
    expect(page.locator("h1").first).to_contain_text("Auvergne-Rhône-Alpes")
    expect(page.get_by_role("heading", name="Un établissement")).to_be_visible(timeout=TIMEOUT)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Paris" not in main and "Île-de-France" not in main
    page.goto(f"{url}/etablissements?departement=75")
    expect(page.get_by_text("Cette adresse ne correspond à aucune page")).to_be_visible(timeout=TIMEOUT)
    # Un département de la région, par l'adresse : accepté.
    page.goto(f"{url}/?departement=69")
    expect(page.locator("h1").first).to_contain_text("Rhône", timeout=TIMEOUT)


def test_national_user_reads_everything_but_cannot_import(
    page: Page, interne_server: tuple[str, Path]
) -> None:
    url, _ = interne_server
    sign_in(page, url, "national@sante.gouv.fr")
    expect(page.locator("h1").first).to_contain_text("France", timeout=TIMEOUT)
    page.goto(f"{url}/donnees")
    expect(page.get_by_role("heading", name="Registre des imports")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
    # Le titre de la section d'import (la documentation affichée plus bas cite ces mots dans ses phrases).
    expect(page.get_by_role("heading", name="Importer un fichier")).to_have_count(0)


def test_administrator_imports_and_the_register_names_them(
    page: Page, interne_server: tuple[str, Path], tmp_path: Path, screenshots: Path
) -> None:
    url, _ = interne_server
    sign_in(page, url, "admin@sante.gouv.fr")
    page.goto(f"{url}/donnees")
    expect(page.locator('[data-testid="stFileUploader"]')).to_be_visible(timeout=TIMEOUT)
    good = tmp_path / "population_2a.csv"
    good.write_text("annee;niveau;code;population\n2024;departement;2A;160 000\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    page.get_by_role("button", name="Importer dans l'entrepôt").click(timeout=TIMEOUT)
    expect(page.get_by_text("L'entrepôt est à jour")).to_be_visible(timeout=TIMEOUT)
    page.reload()
    expect(page.get_by_text("population_2a.csv, population")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("par admin@sante.gouv.fr.")).to_be_visible()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshots / "interne-registre.png"), full_page=True)


@pytest.mark.parametrize("identity", ["agent@ars-ara.sante.fr", "admin@sante.gouv.fr"])
def test_every_interne_page_is_accessible(
    page: Page, interne_server: tuple[str, Path], identity: str
) -> None:
    """axe-core sur la page de connexion et sur chaque page du mode interne que le rôle voit (registre de
    l'application) : aucune violation grave ou critique."""
    url, _ = interne_server
    page.goto(url)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_timeout(1000)
    found = {"connexion": serious_violations(page)}
    sign_in(page, url, identity)
    role = parse_role("region:84" if "ars" in identity else "administrateur", identity)
    for spec in pages_for("interne", role):
        page.goto(f"{url}/{'' if spec.default else spec.url_path or ''}")
        settle(page)
        found[spec.title] = serious_violations(page)
    assert {title: v for title, v in found.items() if v} == {}
