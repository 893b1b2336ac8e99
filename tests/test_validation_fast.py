"""Lectures rapides de la validation : elles rendent exactement ce que rend la lecture valeur par valeur (mêmes
valeurs admises, mêmes formes canoniques, mêmes refus avec les mêmes motifs), en un bloc comme par tranches."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.intake.limits import Limits, check_cells
from pipelines.intake.parsing import parse_distinct
from pipelines.intake.problems import RefusedFile
from pipelines.intake.validation import (
    _categories_from,
    _code_parser,
    _read_distinct,
    finess_fast,
    finess_number,
    has_repeated_keys,
)
from pipelines.settings import Settings
from pipelines.warehouse.ingest import Incoming, validate_file
from pipelines.warehouse.reference import load_reference
from tests.conftest import write_text

# Lus d'un coup : neuf chiffres dont la clé de Luhn est juste (outre-mer « 97… », « 98… » compris), Corse.
FAST = [
    "750712184",
    "330781196",
    "010000008",
    "971000005",
    "972000129",
    "976100016",
    "980000012",
    "2A0000012",
    "2B1234567",
]
# Laissés à la lecture valeur par valeur : à corriger (minuscules, espaces, « .0 » d'Excel) ou refusés.
SLOW = [
    "750712185",
    "971000006",
    "2a0000012",
    " 750712184 ",
    "750712184.0",
    "75071218",
    "7507121840",
    "97123456X",
    "2C0000012",
    "１２３４５６７８９",
    "",
]


def test_the_fast_finess_reading_takes_only_valid_canonical_numbers() -> None:
    read = finess_fast(pl.Series("finess", FAST + SLOW)).to_list()
    assert read == FAST + [None] * len(SLOW)
    assert all(finess_number(value) == value for value in FAST)


def test_fast_and_reference_readings_of_distinct_finess_agree() -> None:
    parser = _code_parser("finess", load_reference())
    raw = pl.Series("finess", [*FAST, *SLOW])
    fast = _read_distinct(raw, parser, pl.String(), {}, finess_fast)
    reference = parse_distinct(raw.to_frame(), "finess", parser, pl.String(), unique=False, cache={})
    assert_frame_equal(fast, reference)
    assert fast.get_column("finess__valeur").to_list() == [
        *FAST,
        None,
        None,
        "2A0000012",
        "750712184",
        "750712184",
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert fast.get_column("finess__motif").to_list()[len(FAST) :] == [
        "clé de contrôle FINESS fausse : le 9e chiffre devrait être 4 (formule de Luhn sur les huit premiers)",
        "clé de contrôle FINESS fausse : le 9e chiffre devrait être 5 (formule de Luhn sur les huit premiers)",
        None,
        None,
        None,
        "numéro FINESS de 8 caractère(s) : neuf attendus, jamais complétés ; un zéro initial perdu par Excel ? "
        "livrez le numéro en texte",
        "numéro FINESS de 10 caractère(s) : neuf attendus, jamais complétés",
        "numéro FINESS invalide : neuf chiffres attendus (2A ou 2B en tête pour la Corse)",
        "numéro FINESS invalide : neuf chiffres attendus (2A ou 2B en tête pour la Corse)",
        # Chiffres pleine chasse : pas des chiffres ASCII, donc pas un numéro.
        "numéro FINESS invalide : neuf chiffres attendus (2A ou 2B en tête pour la Corse)",
        "valeur manquante",
    ]


FLUX = (
    "mois;couloir;departement;finess;documents\n"
    "2026-10;HOP;75;750712184;1\n"
    "2026-10;HOP;971;971000005;2\n"
    "2026-10;HOP;2A;2a0000012;3\n"
    "2026-10;HOP;33;330781196.0;4\n"
)
REFUSED = (
    "2026-10;HOP;75;750712185;5\n"
    "2026-10;HOP;971;97123456X;6\n"
    "2026-10;HOP;75;75071218;7\n"
    "2026-10;HOP;75;7507121840;8\n"
    "2026-10;HOP;972;972000120;9\n"
    "2026-10;HOP;33;750712184;10\n"
    # « ² » et les chiffres pleine chasse passent `str.isdigit` : refusés comme tout numéro mal formé, avec leur ligne.
    "2026-10;HOP;75;²50712184;11\n"
    "2026-10;HOP;75;７５０７１２１８４;12\n"
)


@pytest.fixture(params=[False, True], ids=["d_un_bloc", "par_tranches"])
def reading(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Les réglages d'un entrepôt neuf, lecture d'un bloc ou par tranches de deux lignes."""
    return dataclasses.replace(settings, tranche_seuil_mo=0, tranche_lignes=2) if request.param else settings


def test_finess_of_a_file_keep_their_canonical_form(tmp_path: Path, reading: Settings) -> None:
    _, frame, ctx = validate_file(Incoming(write_text(tmp_path / "flux.csv", FLUX)), None, reading)
    assert ctx.in_batches is (reading.tranche_seuil_mo == 0)
    assert frame.get_column("code_geo").cast(pl.String).to_list() == [
        "750712184",
        "971000005",
        "2A0000012",
        "330781196",
    ]
    assert (
        "FINESS de Corse (2A, 2B) : clé de contrôle non vérifiée (voir docs/INDICATEURS.md, « FINESS »)"
        in (ctx.notes)
    )


def test_refused_finess_keep_their_rows_values_and_reasons(tmp_path: Path, reading: Settings) -> None:
    path = write_text(tmp_path / "flux.csv", FLUX + REFUSED)
    with pytest.raises(RefusedFile) as refused:
        validate_file(Incoming(path), None, reading)
    assert sorted((p.ligne or 0, p.colonne, p.valeur, p.motif) for p in refused.value.problems) == [
        (
            6,
            "finess",
            "750712185",
            "clé de contrôle FINESS fausse : le 9e chiffre devrait être 4 (formule de Luhn sur les huit premiers)",
        ),
        (
            7,
            "finess",
            "97123456X",
            "numéro FINESS invalide : neuf chiffres attendus (2A ou 2B en tête pour la Corse)",
        ),
        (
            8,
            "finess",
            "75071218",
            "numéro FINESS de 8 caractère(s) : neuf attendus, jamais complétés ; un zéro initial perdu par Excel ? "
            "livrez le numéro en texte",
        ),
        (9, "finess", "7507121840", "numéro FINESS de 10 caractère(s) : neuf attendus, jamais complétés"),
        (
            10,
            "finess",
            "972000120",
            "clé de contrôle FINESS fausse : le 9e chiffre devrait être 9 (formule de Luhn sur les huit premiers)",
        ),
        (
            11,
            "finess",
            "750712184",
            "le numéro FINESS commence par le code d'un autre département que celui de la colonne département",
        ),
        (
            12,
            "finess",
            "²50712184",
            "numéro FINESS invalide : neuf chiffres attendus (2A ou 2B en tête pour la Corse)",
        ),
        (
            13,
            "finess",
            "７５０７１２１８４",
            "numéro FINESS invalide : neuf chiffres attendus (2A ou 2B en tête pour la Corse)",
        ),
    ]


def test_new_categories_are_read_in_the_order_of_their_codes() -> None:
    categories = pl.Categories.random()
    first = pl.Series(["b", "a", "c", "b", None], dtype=pl.Categorical(categories))
    assert _categories_from(first, 0).to_list() == ["b", "a", "c"]
    assert _categories_from(first, 2).to_list() == ["c"]
    assert _categories_from(first, 3).to_list() == []
    # Des catégories sans ligne dans la série (« y », « z ») se lisent aussi, après celles qu'elle utilise.
    later = pl.Series(["x", "y", "z"], dtype=pl.Categorical(categories)).head(1)
    assert _categories_from(later, 3).to_list() == ["x", "y", "z"]
    assert _categories_from(later.clear(), 0).to_list() == ["b", "a", "c", "x", "y", "z"]


def test_control_characters_are_found_in_text_and_category_columns() -> None:
    frame = pl.DataFrame(
        {
            "a": ["x", "y\x00", None, "\t\n\r"],
            "b": pl.Series(["c", "c", "d\x7f", "é\x1f"], dtype=pl.Categorical),
            "n": ["1", "2", "3\x07", "4"],
            "_ligne": [2, 3, 4, 5],
        }
    )
    with pytest.raises(RefusedFile) as refused:
        check_cells("f.csv", frame, ["A", "B", "N"], Limits(), textual=lambda header: header != "N")
    assert [(p.ligne, p.colonne, p.valeur) for p in refused.value.problems] == [
        (3, "A", "y\\x00"),
        (4, "B", "d\\x7f"),
        (5, "B", "\\xe9\\x1f"),
    ]
    check_cells(
        "f.csv", frame.select("a", "_ligne").slice(3), ["A"], Limits()
    )  # tabulation, fins de ligne : admises


def test_repeated_keys_are_seen_in_text_columns() -> None:
    frame = pl.DataFrame({"couloir": ["HOP", "HOP", "BIO"], "code_geo": ["35", "29", "35"], "n": [1, 1, 1]})
    assert not has_repeated_keys(frame, ["couloir", "code_geo"])
    assert has_repeated_keys(frame, ["n", "couloir"])
    assert has_repeated_keys(frame.with_columns(pl.col("couloir").cast(pl.Categorical)), ["n", "couloir"])
