"""Gros fichiers lus par tranches (MES_TRANCHE_SEUIL_MO, MES_TRANCHE_LIGNES) : même résultat, mêmes refus, mêmes
numéros de ligne que la lecture d'un bloc ; les contrôles de clés portent sur tout le fichier, pas sur une tranche.
Les tranches sont ici de 3 lignes pour que chaque cas franchisse une frontière de tranche."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.intake.problems import RefusedFile
from pipelines.settings import Settings
from pipelines.warehouse.connection import connect_read
from pipelines.warehouse.ingest import Incoming, ingest, validate_file
from tests.conftest import write_text

HEADER = "mois;couloir;departement;documents\n"
ROWS = [
    f"2024-{m:02d};{c};{d};{10 * m + i}\n"
    for m in range(1, 4)
    for i, (c, d) in enumerate([("HOP", "35"), ("BIO", "29"), ("RAD", "56")])
]


@pytest.fixture
def batched(settings: Settings) -> Settings:
    return dataclasses.replace(settings, tranche_seuil_mo=0, tranche_lignes=3)


def test_batches_give_the_same_rows_as_one_read(
    tmp_path: Path, settings: Settings, batched: Settings
) -> None:
    path = write_text(tmp_path / "flux.csv", HEADER + "".join(ROWS) + "\n;;;\n")
    _, whole, _ = validate_file(Incoming(path), None, settings)
    _, parts, ctx = validate_file(Incoming(path), None, batched)
    assert ctx.in_batches and parts.height == len(ROWS) == 9
    assert_frame_equal(parts.with_columns(pl.col(pl.Categorical).cast(pl.String)), whole)
    parquet = tmp_path / "flux.parquet"
    pl.read_csv(path, separator=";", infer_schema=False).write_parquet(parquet)
    _, from_parquet, _ = validate_file(Incoming(parquet), None, batched)
    assert from_parquet.get_column("ligne").to_list() == list(range(2, 11))
    assert from_parquet.get_column("documents").to_list() == whole.get_column("documents").to_list()


GEO_HEADER = "mois;couloir;region;departement;finess;type_document;documents\n"
GEO_ROWS = [
    "2024-01;HOP;;;;;100\n",  # France
    "2024-01;HOP;53;;;;40\n",  # région
    "2024-01;HOP;53;35;;;30\n",  # département et sa région
    "2024-01;HOP;;35;;CR;20\n",  # département seul : région déduite
    "2024-01;HOP;53;35;350000006;CR;5\n",  # établissement
    "2024-01;HOP;53;35;350000006;LT;4\n",
    "2024-01;BIO;;29;290000009;;3\n",  # établissement rattaché à son seul département
    "2024-02;HOP;53;35;350000006;CR;6\n",
]


def test_geography_levels_are_the_same_in_batches(
    tmp_path: Path, settings: Settings, batched: Settings
) -> None:
    """Niveau, code géographique et rattachement, calculés par combinaison (région, département, FINESS) : par
    tranches (clé entière sur les catégories) comme d'un bloc ; un département hors de sa région refusé pareil."""
    path = write_text(tmp_path / "geo.csv", GEO_HEADER + "".join(GEO_ROWS))
    _, whole, _ = validate_file(Incoming(path), None, settings)
    _, parts, _ = validate_file(Incoming(path), None, batched)
    assert_frame_equal(parts.with_columns(pl.col(pl.Categorical).cast(pl.String)), whole)
    assert whole.select("niveau", "code_geo", "code_region", "code_departement").rows()[:4] == [
        ("pays", "FR", "", ""),
        ("region", "53", "53", ""),
        ("departement", "35", "53", "35"),
        ("departement", "35", "53", "35"),
    ]
    assert whole.row(6, named=True)["code_region"] == "53"
    mismatch = write_text(tmp_path / "faux.csv", GEO_HEADER + "".join(GEO_ROWS) + "2024-02;BIO;11;29;;;1\n")
    for chosen in (settings, batched):
        with pytest.raises(RefusedFile) as refused:
            validate_file(Incoming(mismatch), None, chosen)
        assert [(p.ligne, p.colonne, p.valeur) for p in refused.value.problems] == [(10, "departement", "29")]


def test_problems_in_later_batches_keep_their_line_and_column(tmp_path: Path, batched: Settings) -> None:
    rows = list(ROWS)
    rows[4] = "2024-02;HOP;35;-5\n"  # ligne 6, deuxième tranche
    rows[7] = "2024-03;XYZ;29;12\n"  # ligne 9, troisième tranche
    path = write_text(tmp_path / "flux.csv", HEADER + "".join(rows))
    with pytest.raises(RefusedFile) as refused:
        validate_file(Incoming(path), None, batched)
    found = [(p.ligne, p.colonne, p.valeur) for p in refused.value.problems]
    assert found == [(6, "documents", "-5"), (9, "couloir", "XYZ")]
    assert refused.value.total == 2


def test_key_conflicts_across_batches_are_found(tmp_path: Path, batched: Settings) -> None:
    rows = [
        *ROWS,
        "2024-01;HOP;35;999\n",
        "2024-01;BIO;29;11\n",
    ]  # lignes 11 (conflit avec 2), 12 (doublon de 3)
    path = write_text(tmp_path / "flux.csv", HEADER + "".join(rows))
    with pytest.raises(RefusedFile) as refused:
        validate_file(Incoming(path), None, batched)
    assert [p.ligne for p in refused.value.problems] == [2, 11]
    assert "lignes 2, 11" in refused.value.problems[0].motif
    exact_only = write_text(tmp_path / "doublon.csv", HEADER + "".join([*ROWS, "2024-01;BIO;29;11\n"]))
    _, frame, ctx = validate_file(Incoming(exact_only), None, batched)
    assert frame.height == 9 and "1 ligne(s) en double à l'identique ignorée(s)" in ctx.notes


def test_a_missing_column_is_reported_once(tmp_path: Path, batched: Settings) -> None:
    path = write_text(tmp_path / "flux.csv", "mois;couloir;departement\n" + "2024-01;HOP;35\n" * 7)
    with pytest.raises(RefusedFile) as refused:
        validate_file(Incoming(path), None, batched)
    assert refused.value.total == 1
    assert refused.value.problems[0].ligne == 1 and refused.value.problems[0].colonne == "documents"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (HEADER + ";;;\n" * 5, "aucune ligne de données"),
        (HEADER + "".join(ROWS[:5]) + "2024-03;HOP;35;1;en trop\n", "mal formé"),
    ],
)
def test_bad_large_files_are_refused_clearly(
    tmp_path: Path, batched: Settings, content: str, reason: str
) -> None:
    path = write_text(tmp_path / "flux.csv", content)
    with pytest.raises(RefusedFile) as refused:
        validate_file(Incoming(path), None, batched)
    assert reason in refused.value.render() and "flux.csv" in refused.value.render()


def test_batched_ingest_loads_everything(tmp_path: Path, batched: Settings) -> None:
    path = write_text(tmp_path / "flux.csv", HEADER + "".join(ROWS))
    (result,) = ingest([Incoming(path)], settings=batched)
    assert result.ok and result.nouvelles == 9
    with connect_read(batched.db_path()) as con:
        rows = con.sql(
            "SELECT couloir, sum(documents) FROM flux_mensuel GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    assert rows == [("BIO", 11 + 21 + 31), ("HOP", 10 + 20 + 30), ("RAD", 12 + 22 + 32)]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "sons.csv",
            "Date de situation;Vague;Dispositif;Cible;BDC;Demandes de solde\n"
            + "".join(
                f"15/0{m}/2024;V{v};MS1;18 900;{m * 100 + v};{m}\n" for m in range(1, 4) for v in (1, 2)
            ),
        ),
        (
            "sunes.csv",
            "date_situation,fenetre,domaine,es_engages,es_valides,region\n"
            + "".join(f"2024-0{m}-17,F1,D{d},100,{m * 10 + d},53\n" for m in range(1, 4) for d in (1, 2)),
        ),
        (
            "pop.csv",
            "annee;niveau;code;population\n"
            + "".join(
                f"{y};departement;{c};{y - 1900} 000\n" for y in (2023, 2024) for c in ("2A", "35", "1")
            ),
        ),
        (
            "cibles.csv",
            "indicateur;perimetre;echeance;valeur\n"
            + "".join(
                f"flux_annualise;{p};31/12/{y};{y} 000 000\n"
                for y in (2026, 2027)
                for p in ("national", " 53", "HOP")
            ),
        ),
    ],
)
def test_every_source_reads_the_same_in_batches(
    tmp_path: Path, settings: Settings, batched: Settings, name: str, content: str
) -> None:
    """Les colonnes de codes d'un gros CSV sont lues en catégories : chaque nature donne les mêmes valeurs."""
    path = write_text(tmp_path / name, content)
    source, whole, _ = validate_file(Incoming(path), None, settings)
    batched_source, parts, ctx = validate_file(Incoming(path), None, batched)
    assert ctx.in_batches and batched_source.kind == source.kind and whole.height == 6
    assert_frame_equal(parts.with_columns(pl.col(pl.Categorical).cast(pl.String)), whole)


def test_a_late_non_utf8_byte_makes_the_file_read_again_transcoded(tmp_path: Path, batched: Settings) -> None:
    """L'encodage d'un gros CSV est jugé sur son début ; un accent Windows-1252 plus loin fait tout relire."""
    rows = [
        f"2023-{m:02d};{c};{d:02d};{m + d}\n"
        for m in range(1, 13)
        for c in ("HOP", "BIO", "RAD")
        for d in range(1, 20)
    ]
    path = tmp_path / "flux.csv"
    path.write_bytes((HEADER + "".join(rows)).encode() + "2024-03;Hôtel;35;7\n".encode("cp1252"))
    assert path.read_bytes().index("ô".encode("cp1252")) > 8192  # au-delà du début examiné
    messages: list[str] = []
    with pytest.raises(RefusedFile) as refused:
        validate_file(Incoming(path), None, batched, progress=messages.append)
    assert any("relecture" in m for m in messages)
    (problem,) = refused.value.problems
    assert (problem.ligne, problem.colonne, problem.valeur) == (len(rows) + 2, "couloir", "Hôtel")


@pytest.mark.parametrize("in_batches", [False, True])
def test_a_parquet_text_column_that_is_not_utf8_is_refused_at_its_cell(
    tmp_path: Path, settings: Settings, batched: Settings, in_batches: bool
) -> None:
    """Un Parquet dont une colonne binaire n'est pas de l'UTF-8 : refus nommant ligne, colonne et valeur (plus
    d'erreur Polars brute)."""
    path = tmp_path / "flux.parquet"
    couloirs = pl.Series([b"HOP", b"BIO", b"H\xf4P", b"RAD"], dtype=pl.Binary)
    pl.DataFrame({"mois": ["2024-01"] * 4, "couloir": couloirs, "documents": [1, 2, 3, 4]}).write_parquet(
        path
    )
    with pytest.raises(RefusedFile) as refused:
        validate_file(Incoming(path), None, batched if in_batches else settings)
    (problem,) = refused.value.problems
    assert (problem.ligne, problem.colonne, problem.valeur) == (4, "couloir", "H\\xf4P")
    assert "UTF-8" in problem.motif
