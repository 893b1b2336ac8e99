"""Nombres et FINESS : chaque règle de lecture sur des valeurs littérales, puis des fichiers refusés avec leur ligne et
leur colonne, sur un vrai entrepôt (rien n'est écrit)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.intake import parsing
from pipelines.intake.validation import finess_number, luhn_key
from pipelines.settings import Settings
from pipelines.warehouse.ingest import Incoming, ingest
from tests.conftest import write_text

# Chaque sorte de nombre d'un fichier : l'expression qui lit la valeur, celle qui dit pourquoi elle est refusée.
READERS = {
    "nombre": (parsing.integer_value, parsing.integer_problem),
    "montant": (parsing.amount_value, parsing.amount_problem),
    "decimal": (parsing.decimal_value, parsing.decimal_problem),
}


def _read(values: list[str], kind: str) -> list[tuple[object, object]]:
    value, reason = READERS[kind]
    frame = pl.DataFrame({"x": values}).select(value("x").alias("v"), reason("x").alias("r"))
    return list(zip(frame["v"], frame["r"], strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234567", 1_234_567),
        ("1 234 567", 1_234_567),  # espaces de milliers
        ("1\u202f234\u202f567", 1_234_567),  # fine insécable
        ("1.234.567", 1_234_567),  # points de milliers : deux groupes au moins, sans ambiguïté
        ("1234567.0", 1_234_567),  # cellule numérique d'Excel
        ("0", 0),
    ],
)
def test_counts_read_integers_with_french_thousands(text: str, expected: int) -> None:
    [(value, reason)] = _read([text], "nombre")
    assert (value, reason) == (expected, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,35", 12.35),
        ("1 234,56", 1234.56),
        ("1.234,56", 1234.56),  # points de milliers suivis de la virgule décimale
        ("1.234.567", 1_234_567.0),
        ("12.34", 12.34),  # un point suivi de deux chiffres ne peut pas séparer des milliers
        ("5", 5.0),
    ],
)
def test_euro_amounts_read_the_decimal_comma_and_unambiguous_dots(text: str, expected: float) -> None:
    [(value, reason)] = _read([text], "montant")
    assert (value, reason) == (pytest.approx(expected), None)


@pytest.mark.parametrize(
    ("kind", "text", "reason"),
    [
        # Nombres : décimales, ambiguïté, valeurs invraisemblables.
        ("nombre", "1.00", "nombre décimal"),  # lu 1 autrefois
        ("nombre", "1,5", "nombre décimal"),
        ("nombre", "12.345", "nombre ambigu"),  # 12 345 ou 12,345 ?
        ("nombre", "1.250", "nombre ambigu"),
        ("nombre", "12 34", "séparateur de milliers mal placé"),
        ("nombre", "1E+07", "notation scientifique"),
        ("nombre", "10000000001", "valeur invraisemblable"),  # au-delà de la borne par ligne
        ("nombre", "4611686018427387904", "valeur invraisemblable"),  # 2^62
        ("nombre", "99999999999999999999", "nombre trop grand"),
        ("nombre", "-3", "nombre négatif"),
        ("nombre", "douze", "nombre illisible"),
        ("nombre", "", "valeur manquante"),
        # Montants en euros : ambiguïté, plus de deux décimales.
        ("montant", "12.345", "montant ambigu"),  # lu 12,35 € autrefois
        ("montant", "12,345", "plus de deux décimales"),
        ("montant", "1234.5678", "plus de deux décimales"),
        ("montant", "1E+07", "notation scientifique"),
        ("montant", "2000000000000", "valeur invraisemblable"),
    ],
)
def test_counts_and_euro_amounts_refuse_what_cannot_be_read_for_sure(
    kind: str, text: str, reason: str
) -> None:
    [(_, found)] = _read([text], kind)
    assert isinstance(found, str) and found.startswith(reason), found


def test_decimals_keep_a_leading_zero_and_refuse_an_ambiguous_dot() -> None:
    values = ["0.125", "0,5", "250000000", "12.345"]
    assert _read(values, "decimal")[:3] == [
        (0.125, None),
        (0.5, None),
        (2.5e8, None),
    ]
    assert str(_read(values, "decimal")[3][1]).startswith("nombre ambigu")


def test_finess_check_key_is_luhn_over_the_first_eight_digits() -> None:
    assert luhn_key("75071218") == 4 and luhn_key("33078119") == 6
    assert finess_number("750712184") == "750712184"  # AP-HP, entité juridique
    assert finess_number("330781196") == "330781196"  # CHU de Bordeaux
    assert finess_number("750712184.0") == "750712184"  # cellule numérique d'Excel
    assert finess_number("2A0000012") == "2A0000012"  # Corse : admis, clé non contrôlée (docs/INDICATEURS.md)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("750712185", "clé de contrôle FINESS fausse"),
        ("1", "numéro FINESS de 1 caractère"),  # jamais complété en 000000001
        ("3500", "numéro FINESS de 4 caractère"),
        ("75071218", "numéro FINESS de 8 caractère"),
        ("000000001", "clé de contrôle FINESS fausse"),
        ("75O712184", "numéro FINESS invalide"),
    ],
)
def test_finess_refuses_a_wrong_key_a_wrong_length_and_no_padding(text: str, reason: str) -> None:
    with pytest.raises(parsing.ParseError) as refused:
        finess_number(text)
    assert str(refused.value).startswith(reason)


# --- Fichiers refusés, ligne et colonne nommées, entrepôt inchangé ----------------------------------------------------


def _refused(path: Path, settings: Settings) -> list[tuple[int | None, str | None, str | None, str]]:
    [result] = ingest([Incoming(path)], settings=settings)
    assert result.statut == "refuse", result.message
    return [(p.ligne, p.colonne, p.valeur, p.motif) for p in result.problems]


def test_two_rows_near_two_to_the_62_are_refused_with_row_and_column(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "enorme.csv",
        "mois;couloir;region;Nombre de documents\n"
        "2025-10;BIO;11;4611686018427387904\n2025-10;BIO;24;4611686018427387903\n",
    )
    problems = _refused(path, settings)
    assert [(p[0], p[1]) for p in problems] == [(2, "Nombre de documents"), (3, "Nombre de documents")]
    assert all(p[3].startswith("valeur invraisemblable") for p in problems)
    assert not settings.db_path().exists()  # rien n'a été écrit


def test_one_point_zero_zero_and_an_ambiguous_dot_are_refused(settings: Settings, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "points.csv", "mois;couloir;documents\n2025-10;BIO;1.00\n2025-10;HOP;12.345\n"
    )
    problems = _refused(path, settings)
    assert [(p[0], p[1], p[2]) for p in problems] == [(2, "documents", "1.00"), (3, "documents", "12.345")]
    assert problems[0][3].startswith("nombre décimal") and problems[1][3].startswith("nombre ambigu")


def test_an_ambiguous_euro_amount_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "sons.csv",
        "date_situation;vague;dispositif;region;bons_de_commande;montants_verses_eur\n"
        "2026-01-15;V2;DPI;11;10;12.345\n2026-01-15;V2;PFI;11;10;12,35\n",
    )
    problems = _refused(path, settings)
    assert [(p[0], p[1], p[2]) for p in problems] == [(2, "montants_verses_eur", "12.345")]


def test_a_bad_finess_key_and_a_contradicting_departement_are_refused(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "etablissements.csv",
        "mois;couloir;departement;finess;documents\n"
        "2025-10;HOP;75;750712184;100\n"  # juste
        "2025-10;HOP;75;750712185;100\n"  # clé fausse
        "2025-10;HOP;33;750712184;100\n"  # FINESS de Paris déclaré en Gironde
        "2025-10;HOP;75;1;100\n",  # un seul caractère, jamais complété
    )
    problems = _refused(path, settings)
    assert [(p[0], p[1], p[2]) for p in problems] == [
        (3, "finess", "750712185"),
        (4, "finess", "750712184"),
        (5, "finess", "1"),
    ]
    assert problems[0][3].startswith("clé de contrôle FINESS fausse")
    assert "autre département" in problems[1][3]


def test_counts_stay_below_the_documented_bound() -> None:
    assert parsing.COUNT_MAX == 10**10
