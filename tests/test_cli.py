"""La ligne de commande comme un utilisateur la lance : `python -m pipelines …` dans un vrai processus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TODAY, write_text

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, db: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MES_DB": str(db), "MES_AUJOURDHUI": TODAY.isoformat()}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_kpi_json_gives_the_latest_month_of_the_demo(demo_db: Path) -> None:
    result = cli("kpi", "--json", db=demo_db)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["mois"] == "2025-10"
    assert figures["documents_mois"] == 42_800_000
    assert figures["flux_annualise"] == 513_600_000
    assert figures["cible_annuelle"] == 250_000_000
    assert figures["taux_atteinte_cible"] == pytest.approx(513.6 / 250)
    assert figures["population"] == 68_606_000 and figures["annee_population"] == 2025
    assert figures["documents_par_habitant_an"] == pytest.approx(513_600_000 / 68_606_000)
    assert sum(figures["parts_couloir"].values()) == pytest.approx(1.0)
    assert figures["statut_cible"] == "atteinte" and figures["projection_atteinte_cible"] is None
    assert figures["donnees_demo"] is True
    for key in ("evolution_1_mois", "evolution_12_mois", "projection_atteinte_cible"):
        assert key in figures


def test_ingesting_a_new_month_changes_the_key_figures(demo_db: Path, tmp_path: Path) -> None:
    november = write_text(
        tmp_path / "novembre.csv",
        "Mois;Couloir;Nombre de documents\nnov. 2025;BIO;16 000 000\nnov. 2025;MDV;14 000 000\nnov. "
        "2025;HOP;7 000 000\n"
        "nov. 2025;RAD;4 000 000\nnov. 2025;PHA;2 000 000\nnov. 2025;MS;500 000\nnov. 2025;AUT;500 000\n",
        encoding="cp1252",
    )
    ingest = cli("ingest", str(november), db=demo_db)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert "7 valeur(s) nouvelle(s)" in ingest.stdout
    figures = json.loads(cli("kpi", "--json", db=demo_db).stdout)
    assert figures["mois"] == "2025-11"
    assert figures["documents_mois"] == 44_000_000
    assert figures["flux_annualise"] == 528_000_000
    assert figures["evolution_1_mois"] == pytest.approx(44.0 / 42.8 - 1)
    assert figures["parts_couloir"]["BIO"] == pytest.approx(16 / 44)
    table = cli("kpi", db=demo_db).stdout
    assert "novembre 2025" in table and "44\u202f000\u202f000" in table and "528,0 M" in table
    # Les parts des couloirs par leur libellé (data/reference/couloirs.csv), pas par leur code.
    assert "  Biologie médicale" in table and "36,4\u202f%" in table and "  BIO " not in table


def test_help_and_usage_errors_are_in_french(tmp_path: Path) -> None:
    """L'aide, l'usage et les erreurs de la ligne de commande, en français ; une commande mal formée sort avec 2."""
    db = tmp_path / "absent.duckdb"
    english = ("usage:", "show this help", "positional arguments", "error:", "required", "invalid choice")
    for args in ([], ["ingest"], ["kpi"], ["export"]):
        shown = cli(*args, "--help", db=db).stdout
        assert "utilisation : python -m pipelines" in shown and "afficher cette aide et quitter" in shown
        assert not [word for word in english if word in shown], shown
    missing = cli("ingest", db=db)
    assert missing.returncode == 2
    assert "erreur : arguments obligatoires manquants : FICHIER" in missing.stderr
    wrong = cli("ingest", "--kind", "rien", "x.csv", db=db)
    assert wrong.returncode == 2 and "choix invalide : 'rien'" in wrong.stderr
    assert not [word for word in english if word in missing.stderr + wrong.stderr]


def test_kpi_for_a_region_and_a_departement(demo_db: Path) -> None:
    region = json.loads(cli("kpi", "--json", "--region", "Bretagne", "--mois", "2023-12", db=demo_db).stdout)
    assert (region["niveau"], region["code_geo"], region["perimetre"]) == ("region", "53", "Bretagne (53)")
    assert region["population"] == 3_394_567 and region["cible_annuelle"] is None
    departements = [
        json.loads(cli("kpi", "--json", "--departement", d, "--mois", "2023-12", db=demo_db).stdout)
        for d in ("22", "29", "35", "56")
    ]
    assert sum(d["documents_mois"] for d in departements) == region["documents_mois"]
    # Populations légales 2021 des départements (data/reference/population_departements.csv) : elles font la région.
    assert sum(d["population"] for d in departements) == region["population"]
    assert all(d["annee_population"] == 2021 and d["documents_par_habitant_an"] for d in departements)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mois", "2030-01"], "aucune donnée pour janvier 2030"),
        (["--region", "Atlantide"], "code région INSEE inconnu"),
        (["--mois", "13/2024"], "le mois 13 n'existe pas"),
    ],
)
def test_kpi_without_data_is_a_clear_error(demo_db: Path, args: list[str], message: str) -> None:
    result = cli("kpi", *args, db=demo_db)
    assert result.returncode == 1 and message in result.stderr and result.stdout == ""


def test_missing_warehouse_is_explained(tmp_path: Path) -> None:
    result = cli("kpi", db=tmp_path / "absent.duckdb")
    assert (
        result.returncode == 3
        and "Entrepôt introuvable" in result.stderr
        and "pipelines demo" in result.stderr
    )


def test_ingest_exit_codes_and_messages(demo_db: Path, tmp_path: Path) -> None:
    bad = write_text(tmp_path / "mauvais.csv", "mois;couloir;documents\n2024-01;BIO;-3\n2024-02;XYZ;4\n")
    result = cli("ingest", str(bad), db=demo_db)
    assert result.returncode == 1
    assert "mauvais.csv, ligne 2, colonne « documents » : nombre négatif (valeur « -3 »)" in result.stdout
    assert (
        "mauvais.csv, ligne 3, colonne « couloir » : couloir inconnu (codes admis : HOP, BIO, RAD, MDV, PHA, "
        "MS, AUT) (valeur « XYZ »)" in result.stdout
    )
    good = write_text(tmp_path / "bon.csv", "mois;couloir;documents\n2024-01;BIO;3\n")
    first = cli("ingest", str(good), db=demo_db)
    assert first.returncode == 0 and "lignes lues" in first.stderr  # progression sur la sortie d'erreur
    again = cli("ingest", str(good), db=demo_db)
    assert again.returncode == 0 and "rien n'a changé" in again.stdout
    # Les octets du dernier import : réponse sans relecture ni validation.
    assert "rien n'a changé" in again.stderr and "lignes lues" not in again.stderr


def test_demo_refuses_to_overwrite_without_force(demo_db: Path) -> None:
    result = cli("demo", db=demo_db)
    assert result.returncode == 3 and "--force" in result.stderr


def test_the_kinds_of_the_command_line_are_the_declared_sources() -> None:
    from pipelines.sources import SOURCES
    from pipelines.warehouse.connection import loaded_kinds

    assert loaded_kinds() == sorted(SOURCES)


QUICK = """
import sys
from pipelines.cli import main
code = main(sys.argv[1:])
print("modules lourds :", sorted(m for m in ("polars", "numpy", "pydantic", "pipelines.warehouse.ingest")
                                 if m in sys.modules))
raise SystemExit(code)
"""


def test_an_identical_redelivery_is_answered_before_the_heavy_imports(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    month = write_text(
        tmp_path / "octobre.csv", "mois;couloir;documents\n2025-10;BIO;1000\n2025-10;HOP;2000\n"
    )
    assert cli("ingest", str(month), db=db).returncode == 0
    published = db.read_bytes()

    def quick(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MES_DB": str(db), "MES_AUJOURDHUI": TODAY.isoformat()}
        return subprocess.run(
            [sys.executable, "-c", QUICK, *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    again = quick("ingest", "--kind", "flux", str(month))
    assert again.returncode == 0, again.stderr
    line, modules = again.stdout.strip().splitlines()
    assert line.startswith("octobre.csv (flux) : fichier identique à l'import n° 1 du ")
    assert line.endswith(" : rien n'a changé")
    assert modules == "modules lourds : []"
    assert db.read_bytes() == published
    # Autres octets sous le même nom : le chemin ordinaire, qui reprend l'empreinte déjà lue, compare et révise.
    write_text(month, "mois;couloir;documents\n2025-10;BIO;1500\n2025-10;HOP;2000\n")
    revised = quick("ingest", str(month))
    assert revised.returncode == 0, revised.stderr
    assert "import n° 2 : 0 valeur(s) nouvelle(s), 1 révisée(s), 1 inchangée(s)" in revised.stdout
    assert "pipelines.warehouse.ingest" in revised.stdout.splitlines()[-1]
    # Un réglage illisible est refusé comme par le chemin ordinaire, même quand --db désigne l'entrepôt.
    env = {**os.environ, "MES_MAX_PROBLEMES": "beaucoup"}
    refused = subprocess.run(
        [sys.executable, "-m", "pipelines", "ingest", "--db", str(db), str(month)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 2 and "MES_MAX_PROBLEMES « beaucoup » refusé" in refused.stderr
    # Une nature inconnue reste une commande mal formée (code 2), en français.
    unknown = quick("ingest", "--kind", "inconnue", str(month))
    assert unknown.returncode == 2 and "choix invalide" in unknown.stderr, unknown.stderr
