"""Import : formats reçus, règles de refus, idempotence, révisions, atomicité. Entrepôts DuckDB réels."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
import xlsxwriter

from pipelines.settings import Settings
from pipelines.warehouse.connection import WarehouseBusy, write_session, writer_lock
from pipelines.warehouse.ingest import Incoming, IngestResult, ingest, load_validated, validate_file
from pipelines.warehouse.reference import install_reference_tables
from tests.conftest import write_text


def run(
    settings: Settings, *paths: Path, kind: str | None = None, sheet: str | None = None, dry_run: bool = False
) -> list[IngestResult]:
    return ingest([Incoming(p) for p in paths], kind=kind, settings=settings, sheet=sheet, dry_run=dry_run)


def one(settings: Settings, path: Path, **kwargs: object) -> IngestResult:
    [result] = run(settings, path, **kwargs)  # type: ignore[arg-type]
    return result


def query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


# --- Formats acceptés -----------------------------------------------------------------------------------------


def test_windows_1252_semicolon_french_months_and_spaced_thousands(
    settings: Settings, tmp_path: Path
) -> None:
    text = (
        "Mois;Couloir;Région;Nombre de documents\r\n"
        "déc. 2023;Biologie médicale;Île-de-France;1 234 567\r\n"
        "décembre 2023;HOP;84;2\u00a0000\u00a0000\r\n"
        "12/2023;Médecins de ville;11;3\u202f000\r\n"
        "2023-11;RAD;11;1.234.000\r\n"
    )
    path = write_text(tmp_path / "envoi_ars.csv", text.replace("\u202f", " "), encoding="cp1252")
    result = one(settings, path)
    assert result.ok, result.message
    assert result.nature == "flux" and result.nouvelles == 4
    rows = query(
        settings.db_path(),
        "SELECT mois, couloir, niveau, code_geo, documents FROM flux_mensuel ORDER BY documents",
    )
    assert rows == [
        (dt.date(2023, 12, 1), "MDV", "region", "11", 3000),
        (dt.date(2023, 11, 1), "RAD", "region", "11", 1234000),
        (dt.date(2023, 12, 1), "BIO", "region", "11", 1234567),
        (dt.date(2023, 12, 1), "HOP", "region", "84", 2000000),
    ]
    assert any("Windows-1252" in note for note in result.notes)


@pytest.mark.parametrize(
    ("separator", "encoding"),
    [(",", "utf-8"), (";", "utf-8-sig"), ("\t", "utf-8"), (";", "cp1252")],
)
def test_separators_and_encodings(settings: Settings, tmp_path: Path, separator: str, encoding: str) -> None:
    header = separator.join(["MOIS", "couloir", "Département", "documents"])
    lines = [
        header,
        separator.join(["2024-01-01", "Hôpital", "2A", "10"]),
        separator.join(["2024-01", "PHA", "971", "5"]),
    ]
    path = write_text(tmp_path / "f.csv", "\n".join(lines) + "\n", encoding)
    result = one(settings, path)
    assert result.ok, result.message
    rows = query(
        settings.db_path(),
        "SELECT couloir, code_geo, code_region, documents FROM flux_mensuel ORDER BY couloir",
    )
    assert rows == [("HOP", "2A", "94", 10), ("PHA", "971", "01", 5)]


def test_narrow_no_break_space_thousands_in_utf8(settings: Settings, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "f.csv",
        "mois;couloir;documents\n2024-01;BIO;12\u202f345\u202f678\n2024-01;HOP;1\u00a0000\n",
    )
    assert one(settings, path).ok
    assert query(settings.db_path(), "SELECT couloir, documents FROM flux_mensuel ORDER BY couloir") == [
        ("BIO", 12345678),
        ("HOP", 1000),
    ]


def test_xlsx_excel_dates_numbers_and_chosen_sheet(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "classeur.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Notes").write(0, 0, "feuille de commentaires")
    sheet = book.add_worksheet("Données")
    month_format = book.add_format({"num_format": "mmm yyyy"})
    sheet.write_row(0, 0, ["Mois", "Couloir", "Nombre de documents"])
    sheet.write_datetime(1, 0, dt.datetime(2024, 3, 1), month_format)
    sheet.write(1, 1, "Radiologie")
    sheet.write_number(1, 2, 4567)
    sheet.write(2, 0, "févr. 2024")
    sheet.write(2, 1, "MDV")
    sheet.write(2, 2, "12 000")
    book.close()
    result = one(settings, path, sheet="Données")
    assert result.ok, result.message
    rows = query(
        settings.db_path(), "SELECT mois, couloir, niveau, documents FROM flux_mensuel ORDER BY mois"
    )
    assert rows == [(dt.date(2024, 2, 1), "MDV", "pays", 12000), (dt.date(2024, 3, 1), "RAD", "pays", 4567)]


def test_xlsx_unknown_sheet_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "classeur.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Feuil1").write_row(0, 0, ["mois", "couloir", "documents"])
    book.close()
    result = one(settings, path, sheet="Absente")
    assert not result.ok and "feuille « Absente » absente" in result.message


def test_wide_layout_one_column_per_month(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "large.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    month_format = book.add_format({"num_format": "mmm-yy"})
    sheet.write_row(0, 0, ["Couloir", "Département"])
    sheet.write_datetime(0, 2, dt.datetime(2024, 1, 1), month_format)
    sheet.write(0, 3, "févr. 2024")
    sheet.write(0, 4, "2024-03")
    sheet.write_row(1, 0, ["BIO", "35", 100, 110, 120])
    sheet.write_row(2, 0, ["HOP", "35", 50, None, 70])
    book.close()
    result = one(settings, path)
    assert result.ok, result.message
    rows = query(
        settings.db_path(), "SELECT couloir, mois, documents FROM flux_mensuel ORDER BY couloir, mois"
    )
    assert rows == [
        ("BIO", dt.date(2024, 1, 1), 100),
        ("BIO", dt.date(2024, 2, 1), 110),
        ("BIO", dt.date(2024, 3, 1), 120),
        ("HOP", dt.date(2024, 1, 1), 50),
        ("HOP", dt.date(2024, 3, 1), 70),
    ]


def test_parquet_with_typed_columns(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pl.DataFrame(
        {
            "mois": [dt.date(2024, 5, 1)],
            "couloir": ["BIO"],
            "finess": ["750712184"],
            "departement": ["75"],
            "type_document": ["CR de biologie"],
            "documents": [321],
        }
    ).write_parquet(path)
    result = one(settings, path)
    assert result.ok, result.message
    rows = query(
        settings.db_path(),
        "SELECT niveau, code_geo, code_departement, code_region, type_document, documents FROM flux_mensuel",
    )
    assert rows == [("etablissement", "750712184", "75", "11", "CR de biologie", 321)]


def test_sons_sunes_population_cibles_detected_from_columns(settings: Settings, tmp_path: Path) -> None:
    sons = write_text(
        tmp_path / "sons.csv",
        "Date de situation;Vague;Dispositif;Cible;BDC;Demandes de solde;Montants versés (€)\n"
        "15/01/2024;V1;MS1;18 900;11 518;1 282;1 234 567,89\n",
    )
    sunes = write_text(
        tmp_path / "sunes.csv",
        "date_situation,fenetre,domaine,es_engages,es_valides,region\n2024-01-17,F1,D1,100,80,53\n",
    )
    population = write_text(
        tmp_path / "pop.csv", "annee;niveau;code;population\n2024;departement;2A;160 000\n"
    )
    cibles = write_text(
        tmp_path / "cibles.csv",
        "indicateur;perimetre;echeance;valeur\nflux_annualise;national;31/12/2027;300 000 000\n",
    )
    results = run(settings, sons, sunes, population, cibles)
    assert [r.nature for r in results] == ["sons", "sunes", "population", "cibles"]
    assert all(r.ok for r in results), [r.message for r in results]
    db = settings.db_path()
    assert query(
        db,
        "SELECT vague, dispositif, cible, bons_de_commande, demandes_de_solde, montants_verses_eur FROM sons",
    ) == [("V1", "MS1", 18900, 11518, 1282, Decimal("1234567.89"))]
    assert query(db, "SELECT fenetre, domaine, niveau, code_geo, es_engages, es_valides FROM sunes") == [
        ("F1", "D1", "region", "53", 100, 80)
    ]
    assert query(db, "SELECT annee, niveau, code, population FROM population") == [
        (2024, "departement", "2A", 160000)
    ]
    assert query(db, "SELECT perimetre, echeance, valeur FROM cibles") == [
        ("FR", dt.date(2027, 12, 31), 300e6)
    ]


# --- Refus : message précis et entrepôt inchangé ------------------------------------------------------------

REFUSALS = [
    ("mois;couloir\n2024-01;BIO\n", 1, "documents", "colonne obligatoire absente"),
    ("mois;couloir;documents\n2024-01;BIO;douze\n", 2, "documents", "nombre illisible"),
    ("mois;couloir;documents\n2024-01;BIO;-5\n", 2, "documents", "nombre négatif"),
    ("mois;couloir;documents\n2024-01;BIO;12,5\n", 2, "documents", "nombre décimal"),
    ("mois;couloir;documents\n2024-13;BIO;5\n", 2, "mois", "le mois 13 n'existe pas"),
    ("mois;couloir;documents\n2027-01;BIO;5\n", 2, "mois", "mois futur"),
    ("mois;couloir;documents\n2024-01;DENTISTES;5\n", 2, "couloir", "couloir inconnu"),
    ("mois;couloir;documents\n2024-01;BIO;5\n2024-02;;6\n", 3, "couloir", "valeur manquante"),
    (
        "mois;couloir;finess;documents\n2024-01;BIO;;5\n2024-01;RAD;35A000001;6\n",
        3,
        "finess",
        "numéro FINESS invalide",
    ),
    ("mois;couloir;region;documents\n2024-01;BIO;99;5\n", 2, "region", "code région INSEE inconnu"),
    (
        "mois;couloir;departement;documents\n2024-01;BIO;96;5\n",
        2,
        "departement",
        "code département INSEE inconnu",
    ),
    (
        "mois;couloir;documents\n2024-01;BIO;5\n2024-01;Biologie;6\n",
        3,
        "documents",
        "clé livrée plusieurs fois",
    ),
    (
        "date_situation;vague;dispositif;bons_de_commande;demandes_de_solde\n2024-01-15;V1;MS1;10;11\n",
        2,
        "demandes_de_solde",
        "demandes de solde supérieures aux bons de commande",
    ),
    (
        "date_situation;vague;dispositif;bons_de_commande\n2024-01-15;V1;XYZ;10\n",
        2,
        "dispositif",
        "dispositif inconnu",
    ),
    (
        "date_situation;fenetre;domaine;es_engages;es_valides\n2024-01-17;F1;D1;10;12\n",
        2,
        "es_valides",
        "validés supérieurs aux engagés",
    ),
]


@pytest.mark.parametrize(("content", "row", "column", "reason"), REFUSALS)
def test_bad_file_is_refused_with_row_and_column_and_changes_nothing(
    demo_db: Path, settings: Settings, tmp_path: Path, content: str, row: int, column: str, reason: str
) -> None:
    before = file_digest(demo_db)
    path = write_text(tmp_path / "mauvais.csv", content)
    result = one(settings, path)
    assert not result.ok
    assert any(p.ligne == row and p.colonne == column and reason in p.motif for p in result.problems), (
        result.message
    )
    assert f"mauvais.csv, ligne {row}, colonne « {column} »" in result.message
    assert file_digest(demo_db) == before


def test_every_problem_is_reported_at_once_with_a_cap(settings: Settings, tmp_path: Path) -> None:
    lines = ["mois;couloir;documents"] + [f"2024-01;BIO{i};x" for i in range(300)]
    result = one(settings, write_text(tmp_path / "f.csv", "\n".join(lines)))
    assert not result.ok
    assert result.total_problems == 600  # couloir inconnu + nombre illisible, sur chaque ligne
    assert len(result.problems) == settings.max_problemes
    assert "et 400 autre(s) problème(s)" in result.message


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        ("vide.csv", b"", "fichier vide"),
        ("entete.csv", b"mois;couloir;documents\n", "aucune ligne de données"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "fichier binaire"),
        ("texte.csv", b"Bonjour,\nvoici les chiffres du mois.\n", "ne ressemble pas à un tableau"),
        ("autre.csv", "nom;prénom\nDupont;Jean\n".encode(), "nature du fichier non reconnue"),
        ("note.pdf", b"%PDF-1.4", "extension « .pdf » non prise en charge"),
        ("faux.xlsx", b"pas un classeur", "classeur Excel illisible"),
    ],
)
def test_empty_or_non_tabular_files_are_refused(
    settings: Settings, tmp_path: Path, name: str, payload: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    result = one(settings, path)
    assert not result.ok and reason in result.message
    assert not settings.db_path().exists(), "un fichier refusé ne crée pas même un entrepôt vide"


def test_dry_run_validates_without_writing(demo_db: Path, settings: Settings, tmp_path: Path) -> None:
    before = file_digest(demo_db)
    result = one(
        settings, write_text(tmp_path / "ok.csv", "mois;couloir;documents\n2024-01;BIO;5\n"), dry_run=True
    )
    assert result.statut == "verifie" and "rien n'a encore été écrit" in result.message
    assert file_digest(demo_db) == before


# --- Idempotence et révisions ---------------------------------------------------------------------------------


def test_reimport_of_identical_file_is_a_no_op(settings: Settings, tmp_path: Path) -> None:
    path = write_text(tmp_path / "f.csv", "mois;couloir;documents\n2024-01;BIO;5\n")
    assert one(settings, path).statut == "nouveau"
    before = file_digest(settings.db_path())
    again = one(settings, path)
    assert again.statut == "identique" and "identique à l'import n° 1" in again.message
    assert file_digest(settings.db_path()) == before
    same_values = write_text(tmp_path / "copie.csv", "Mois,Couloir,Documents\r\n2024-01,Biologie,5\r\n")
    assert one(settings, same_values).message == "aucune valeur nouvelle ni modifiée : rien n'a changé"
    assert query(settings.db_path(), "SELECT count(*) FROM imports") == [(1,)]


def test_revision_keeps_history_and_current_view_shows_latest(settings: Settings, tmp_path: Path) -> None:
    shown = write_text(
        tmp_path / "cosui.csv", "mois;couloir;documents\n2023-12;BIO;19250000\n2023-11;BIO;17000000\n"
    )
    corrected = write_text(tmp_path / "erratum.csv", "mois;couloir;documents\n2023-12;BIO;18800000\n")
    assert one(settings, shown).statut == "nouveau"
    result = one(settings, corrected)
    assert (result.statut, result.revisees, result.nouvelles) == ("revision", 1, 0)
    db = settings.db_path()
    assert query(db, "SELECT mois, documents FROM flux_mensuel ORDER BY mois") == [
        (dt.date(2023, 11, 1), 17000000),
        (dt.date(2023, 12, 1), 18800000),
    ]
    history = query(
        db,
        "SELECT documents, import_id, fichier, est_revision, documents_precedent FROM flux_historique "
        "WHERE mois = DATE '2023-12-01' ORDER BY import_id",
    )
    assert history == [(19250000, 1, "cosui.csv", False, None), (18800000, 2, "erratum.csv", True, 19250000)]
    assert query(db, "SELECT id, statut FROM imports ORDER BY id") == [(1, "nouveau"), (2, "revision")]


def test_new_month_skips_the_comparison_and_a_mixed_file_still_compares(
    settings: Settings, tmp_path: Path
) -> None:
    """Un lot dont aucun mois n'a de valeur courante est entièrement nouveau (comparaison sautée) ; dès qu'un mois
    du lot en a, les clés sont comparées une à une, révisions et remplacements notés comme avant."""
    first = write_text(tmp_path / "a.csv", "mois;couloir;documents\n2024-01;BIO;5\n2024-01;RAD;7\n")
    new_month = write_text(tmp_path / "b.csv", "mois;couloir;documents\n2024-02;BIO;6\n2024-02;RAD;8\n")
    mixed = write_text(
        tmp_path / "c.csv", "mois;couloir;documents\n2024-02;BIO;60\n2024-02;RAD;8\n2024-03;BIO;9\n"
    )
    one(settings, first)
    added = one(settings, new_month)
    assert (added.statut, added.nouvelles, added.revisees, added.inchangees) == ("nouveau", 2, 0, 0)
    db = settings.db_path()
    assert query(db, "SELECT count(*) FROM flux_remplacees") == [(0,)]
    revised = one(settings, mixed)
    assert (revised.statut, revised.nouvelles, revised.revisees, revised.inchangees) == ("revision", 1, 1, 1)
    assert query(db, "SELECT import_id, ligne FROM flux_remplacees ORDER BY ligne") == [(2, 2), (2, 3)]
    assert query(db, "SELECT mois, couloir, documents_avant, documents_apres FROM revisions_flux") == [
        (dt.date(2024, 2, 1), "BIO", 6, 60)
    ]
    assert query(db, "SELECT mois, couloir, documents FROM flux_mensuel ORDER BY mois, couloir") == [
        (dt.date(2024, 1, 1), "BIO", 5),
        (dt.date(2024, 1, 1), "RAD", 7),
        (dt.date(2024, 2, 1), "BIO", 60),
        (dt.date(2024, 2, 1), "RAD", 8),
        (dt.date(2024, 3, 1), "BIO", 9),
    ]


# --- Atomicité et concurrence -------------------------------------------------------------------------------


def test_failure_mid_file_leaves_previous_state(demo_db: Path, settings: Settings, tmp_path: Path) -> None:
    before = file_digest(demo_db)
    path = write_text(tmp_path / "f.csv", "mois;couloir;documents\n2024-01;BIO;5\n")
    source, frame, ctx = validate_file(Incoming(path), None, settings)
    [(last_id,)] = query(demo_db, "SELECT max(id) FROM imports")

    def fail_after_rows_are_written(con: duckdb.DuckDBPyConnection, import_id: int, new_keys: bool) -> None:
        assert con.execute("SELECT count(*) FROM raw_flux WHERE import_id = ?", [last_id + 1]).fetchone() == (
            1,
        )
        raise RuntimeError("panne simulée pendant le recalcul")

    with pytest.raises(RuntimeError, match="panne simulée"), write_session(demo_db) as writer:
        install_reference_tables(writer.con)
        load_validated(writer.con, Incoming(path), source, frame, ctx, "abc", fail_after_rows_are_written)
        writer.changed = True
    assert file_digest(demo_db) == before
    assert query(demo_db, "SELECT max(id) FROM imports") == [(last_id,)]
    assert not list(demo_db.parent.glob(".*.tmp*")), "la copie de travail doit être effacée"


def test_reader_keeps_working_while_an_ingest_publishes(
    demo_db: Path, settings: Settings, tmp_path: Path
) -> None:
    reader = duckdb.connect(str(demo_db), read_only=True)
    total_before = reader.execute("SELECT sum(documents) FROM flux_mensuel").fetchone()
    assert total_before is not None
    result = one(settings, write_text(tmp_path / "f.csv", "mois;couloir;documents\n2024-01;BIO;5\n"))
    assert result.ok
    # L'ancien lecteur voit toujours l'ancienne version entière ; un nouveau lecteur voit l'import entier.
    assert reader.execute("SELECT sum(documents) FROM flux_mensuel").fetchone() == total_before
    reader.close()
    after = query(demo_db, "SELECT sum(documents) FROM flux_mensuel")[0][0]
    assert after == total_before[0] + 5


def test_second_writer_waits_then_is_refused_clearly(
    demo_db: Path, settings: Settings, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "f.csv", "mois;couloir;documents\n2024-01;BIO;5\n")
    with writer_lock(demo_db, 1), pytest.raises(WarehouseBusy, match="Un autre import est en cours"):
        one(settings, path)


# --- Entrepôt de démonstration ------------------------------------------------------------------------------


def test_demo_national_totals_pass_through_published_points(demo_warehouse_master: Path) -> None:
    from pipelines.warehouse.demo import NATIONAL_ANCHORS

    # Les établissements de démonstration sont une part de leur département : seuls les départements font le total.
    rows = dict(
        query(
            demo_warehouse_master,
            "SELECT mois, sum(documents) FROM flux_mensuel WHERE niveau = 'departement' GROUP BY mois",
        )
    )
    for month, (value, _) in NATIONAL_ANCHORS.items():
        assert rows[month] == value, month
    assert min(rows) == dt.date(2021, 7, 1) and max(rows) == dt.date(2025, 10, 1)


def test_demo_rows_are_labelled_and_reference_rows_are_not(demo_warehouse_master: Path) -> None:
    db = demo_warehouse_master
    assert query(
        db,
        "SELECT bool_and(donnees_demo), count(DISTINCT code_geo) FILTER (WHERE niveau = 'departement') "
        "FROM flux_mensuel",
    ) == [(True, 101)]
    assert query(db, "SELECT bool_or(donnees_demo) FROM population") == [(False,)]
    assert query(db, "SELECT bool_or(donnees_demo) FROM cibles") == [(False,)]
    assert query(db, "SELECT donnees_demo, count(*) FROM sons WHERE vague = 'V1' GROUP BY 1") == [(False, 12)]
    assert query(db, "SELECT bool_and(donnees_demo) FROM sons WHERE vague = 'V2'") == [(True,)]


def test_demo_replays_the_january_2024_erratum(demo_warehouse_master: Path) -> None:
    revised = query(
        demo_warehouse_master,
        "SELECT sum(documents_precedent), sum(documents), count(*) FROM flux_historique WHERE est_revision",
    )
    assert revised == [(19_250_000, 18_800_000, 707)]


def test_reference_tables_are_reinstalled_only_when_their_files_change(tmp_path: Path) -> None:
    """Le schéma et les tables de référence portent l'empreinte des fichiers qui les ont produits : une écriture
    ne les réinstalle que si ces fichiers ont changé ; un erratum ajouté au CSV arrive à l'écriture suivante."""
    import shutil

    from pipelines.settings import REFERENCE_DIR

    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, reference)
    db = tmp_path / "w.duckdb"
    with write_session(db) as writer:
        install_reference_tables(writer.con, reference)
        writer.changed = True
    errata = query(db, "SELECT count(*) FROM errata")[0][0]
    assert [row[0] for row in query(db, "SELECT objet FROM empreintes_installees ORDER BY objet")] == [
        "reference",
        "schema",
    ]
    # Mêmes fichiers : rien n'est récrit (une table modifiée à la main reste telle quelle).
    with write_session(db) as writer:
        writer.con.execute("DELETE FROM errata WHERE mois_concerne = '2023-12'")
        install_reference_tables(writer.con, reference)
        remaining = writer.con.execute("SELECT count(*) FROM errata").fetchone()
        assert remaining is not None and remaining[0] < errata
    # Un erratum de plus dans le CSV : la table est remplacée par le contenu du dossier.
    line = '2026-11-30,2026-11-30,flux_annualise,FR,2026-10,300000000,290000000,"Erratum de test",test.txt\n'
    with (reference / "errata.csv").open("a", encoding="utf-8") as handle:
        handle.write(line)
    with write_session(db) as writer:
        install_reference_tables(writer.con, reference)
        writer.changed = True
    assert query(db, "SELECT count(*) FROM errata")[0][0] == errata + 1
    assert query(db, "SELECT valeur_corrigee FROM errata WHERE mois_concerne = '2026-10'") == [
        (290_000_000.0,)
    ]
