"""Sources des établissements : le répertoire FINESS (`etablissements`) et SONS par établissement
(`sons_etablissements`), validés comme les autres ; les établissements de démonstration de l'entrepôt par défaut."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines.intake.validation import finess_with_key
from pipelines.settings import Settings
from pipelines.warehouse import demo_etablissements as D
from pipelines.warehouse.ingest import Incoming, IngestResult, ingest
from tests.conftest import write_text


def run(settings: Settings, *paths: Path) -> list[IngestResult]:
    return ingest([Incoming(p) for p in paths], settings=settings)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


FINESS_EXTRACT = (
    "nofinesset;nofinessej;rs;categetab;libcategetab;departement;libdepartement\r\n"
    "930000013;930000104;CH Delafontaine;355;Centre Hospitalier (C.H.);93;SEINE SAINT DENIS\r\n"
    "970400016;970400107;CHU de La Réunion;101;Centre Hospitalier Régional (C.H.R.);9D;REUNION\r\n"
    "2A0000014;2A0000105;CH d'Ajaccio;355;Centre Hospitalier (C.H.);2A;CORSE DU SUD\r\n"
)


def test_public_finess_extract_is_recognised_with_its_column_names(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "etalab_finess.csv", FINESS_EXTRACT, encoding="cp1252")
    [result] = run(settings, path)
    assert result.ok, result.message
    assert result.nature == "etablissements" and result.nouvelles == 3
    assert "colonnes ignorées : libdepartement" in result.notes
    rows = query(
        settings.db_path(),
        "SELECT finess, finess_juridique, raison_sociale, categorie, code_departement, code_region "
        "FROM etablissements ORDER BY finess",
    )
    assert rows == [
        ("2A0000014", "2A0000105", "CH d'Ajaccio", "355", "2A", "94"),
        ("930000013", "930000104", "CH Delafontaine", "355", "93", "11"),
        # L'extraction code La Réunion « 9D » : c'est le département 974.
        ("970400016", "970400107", "CHU de La Réunion", "101", "974", "04"),
    ]


def test_plain_french_headers_and_a_redelivery_revises(settings: Settings, tmp_path: Path) -> None:
    first = write_text(
        tmp_path / "a.csv", "FINESS géographique;Raison sociale;Département\n930000013;CH A;93\n"
    )
    second = write_text(
        tmp_path / "b.csv", "FINESS géographique;Raison sociale;Département\n930000013;CH Delafontaine;93\n"
    )
    results = run(settings, first, second)
    assert [r.statut for r in results] == ["nouveau", "revision"]
    assert query(settings.db_path(), "SELECT raison_sociale FROM etablissements") == [("CH Delafontaine",)]


def test_a_bad_directory_is_refused_with_row_column_value_and_nothing_written(
    settings: Settings, tmp_path: Path
) -> None:
    good = write_text(tmp_path / "ok.csv", FINESS_EXTRACT)
    bad = write_text(
        tmp_path / "mauvais.csv",
        "nofinesset;rs;categetab;departement\n93000001X;CH;355;93\n930000013;;35;99\n930000013;Autre nom;355;93\n",
    )
    run(settings, good)
    before = query(settings.db_path(), "SELECT count(*), max(import_id) FROM raw_etablissements")
    [result] = run(settings, bad)
    assert not result.ok
    reasons = {(p.ligne, p.colonne, p.valeur): p.motif for p in result.problems}
    assert reasons[(2, "nofinesset", "93000001X")].startswith("numéro FINESS invalide")
    assert reasons[(3, "rs", None)] == "valeur manquante" or reasons.get((3, "rs", "")) == "valeur manquante"
    assert reasons[(3, "departement", "99")] == "code département INSEE inconnu"
    assert "trois chiffres" in reasons[(3, "categetab", "35")]
    assert query(settings.db_path(), "SELECT count(*), max(import_id) FROM raw_etablissements") == before


def test_sons_by_establishment_dates_are_checked(settings: Settings, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "sons_etab.csv",
        "FINESS PMSI;Vague;Dispositif;Date BDC;Date installation;Date VA;Montant\n"
        "930000013;V1;DPI;15/10/2021;01/03/2022;01/06/2022;30 000\n"
        "930000013;V1;RIS;15/10/2022;01/03/2022;;\n"
        "930000013;V1;SGL;;;;\n",
    )
    [result] = run(settings, path)
    assert not result.ok
    motifs = {(p.ligne, p.colonne): p.motif for p in result.problems}
    assert motifs[(3, "Date installation")] == "installation antérieure au bon de commande (15/10/2022)"
    assert motifs[(4, "Dispositif")].startswith("aucune date renseignée")
    ok = write_text(tmp_path / "ok.csv", "\n".join(path.read_text().splitlines()[:2]) + "\n")
    [accepted] = run(settings, ok)
    assert accepted.ok and accepted.nature == "sons_etablissements", accepted.message
    assert query(
        settings.db_path(), "SELECT dispositif, date_installation, montant_eur FROM sons_etablissements"
    )[0][:2] == ("DPI", dt.date(2022, 3, 1))


def test_flux_by_establishment_is_not_mistaken_for_a_directory(settings: Settings, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "flux_etab.csv",
        "mois;couloir;finess;raison_sociale;departement;documents\n2025-09;HOP;930000013;CH A;93;120\n",
    )
    [result] = run(settings, path)
    assert result.ok and result.nature == "flux", result.message


# --- Démonstration ---------------------------------------------------------------------------------------------


def test_demo_warehouse_has_labelled_establishments_everywhere(demo_warehouse_master: Path) -> None:
    [(count, departements, demo)] = query(
        demo_warehouse_master,
        "SELECT count(*), count(DISTINCT code_departement), bool_and(donnees_demo) FROM etablissements",
    )
    assert 2000 <= count <= 3500 and departements == 101 and demo
    [(couloirs, types)] = query(
        demo_warehouse_master,
        "SELECT count(DISTINCT couloir), count(DISTINCT type_document) FROM flux_mensuel "
        "WHERE niveau = 'etablissement'",
    )
    assert couloirs >= 5 and types >= 3
    # Les établissements sont une part de leur département : la valeur déclarée du département reste la sienne.
    [(worst,)] = query(
        demo_warehouse_master,
        "SELECT max(documents_ventiles / documents) FROM indicateurs_flux "
        "WHERE niveau = 'departement' AND documents > 0",
    )
    assert worst < 1


def test_demo_establishment_sons_stays_under_the_published_national_aggregates(
    demo_warehouse_master: Path,
) -> None:
    rows = query(
        demo_warehouse_master,
        "SELECT e.dispositif, count(*) FILTER (WHERE e.date_installation IS NOT NULL), max(s.installations) "
        "FROM sons_etablissements AS e JOIN sons AS s ON s.vague = e.vague AND s.dispositif = e.dispositif "
        "AND s.niveau = 'pays' WHERE s.installations IS NOT NULL GROUP BY e.dispositif",
    )
    assert rows and all(installed <= published for _, installed, published in rows)


@pytest.mark.parametrize("departement", D.ALWAYS_IN)
def test_each_planted_situation_is_in_seine_saint_denis_and_la_reunion(departement: str) -> None:
    establishments = D.directory()
    by_finess = {e.finess: e.departement for e in establishments}
    plants = D.planted(establishments)
    for kind in (plants.arret, plants.baisse):
        assert departement in {by_finess[f] for f, _ in kind}
    assert departement in {by_finess[f] for f in plants.sans_flux}


def test_finess_numbers_are_unique_and_carry_a_luhn_key() -> None:
    establishments = D.directory()
    numbers = [e.finess for e in establishments] + [e.finess_juridique for e in establishments]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 9 and finess_with_key(n[:8]) == n for n in numbers)
