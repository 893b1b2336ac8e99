"""Ruptures de flux par établissement : les règles `arret`, `baisse`, `equipe_sans_flux` (docs/INDICATEURS.md) sur
des lignes littérales, puis `python -m pipelines ruptures --json` et `alertes` sur un petit fichier littéral importé
dans un vrai entrepôt."""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.indicators import ruptures as R
from pipelines.intake.validation import finess_with_key
from pipelines.settings import REFERENCE_DIR, get_settings
from pipelines.warehouse.ingest import Incoming, ingest
from tests.conftest import TODAY, write_text
from tests.test_cli import cli

M = dt.date(2025, 10, 1)
T = R.load_thresholds()


def months_back(values: list[int | None]) -> list[tuple[dt.date, int]]:
    """Valeurs des mois M − n … M (la dernière est M) ; None : pas de ligne ce mois-là."""
    count = len(values)
    return [(R.shift_month(M, k - count + 1), v) for k, v in enumerate(values) if v is not None]


def series(**by_key: list[int | None]) -> pl.LazyFrame:
    rows = [
        (key, "35", "HOP", month, documents)
        for key, values in by_key.items()
        for month, documents in months_back(values)
    ]
    return pl.LazyFrame(
        rows, schema=["finess", "code_departement", "couloir", "mois", "documents"], orient="row"
    ).with_columns(pl.col("documents").cast(pl.Int64))


def test_thresholds_come_from_reference_data() -> None:
    # Les cas ci-dessous sont écrits pour ces seuils.
    assert R.load_thresholds() == R.Thresholds(3, 6, 0.5, 20.0, 3, 0.1)
    meanings = pl.read_csv(REFERENCE_DIR / "seuils_ruptures.csv")["signification"]
    shortest = meanings.str.len_chars().min()
    assert isinstance(shortest, int) and shortest > 20  # chaque seuil dit ce qu'il veut dire


def test_window_features_count_missing_months_as_zero() -> None:
    # Sept mois : M − 6 … M. « b » n'a pas de ligne en M − 2 ni en M.
    out = R.window_features(series(a=[10, 20, 30, 40, 50, 60, 5], b=[20, 20, 20, 20, None, 20, None]), M, T)
    assert_frame_equal(
        out.sort("finess").collect(),
        pl.DataFrame(
            {
                "finess": ["a", "b"],
                "couloir": ["HOP", "HOP"],
                "code_departement": ["35", "35"],
                "mois": [M, M],
                "documents_mois": [5, 0],
                "ligne_mois": [True, False],
                "mois_avec_envoi": [3, 2],
                "moyenne_recente": [50.0, 40 / 3],
                "mediane_reference": [35.0, 20.0],
            },
            schema_overrides={"mois_avec_envoi": pl.UInt32},
        ),
        check_column_order=False,
        check_dtypes=False,
    )


def _features_by_hand(
    rows: list[tuple[str, str, str, dt.date, int]], mois: dt.date
) -> set[tuple[object, ...]]:
    """La définition, mot pour mot, série par série : ce que `window_features` doit rendre pour le mois `mois`."""
    out: set[tuple[object, ...]] = set()
    for finess, couloir in {(r[0], r[2]) for r in rows}:
        own = [r for r in rows if (r[0], r[2]) == (finess, couloir)]

        def documents(k: int, own: list[tuple[str, str, str, dt.date, int]] = own) -> int:
            return sum(r[4] for r in own if r[3] == R.shift_month(mois, -k))

        in_window = [r for r in own if R.shift_month(mois, -T.window) <= r[3] <= mois]
        if not in_window:
            continue
        recent = [documents(k) for k in range(1, T.mois_avec_envoi + 1)]
        out.add(
            (
                finess,
                couloir,
                max(in_window, key=lambda r: r[3])[1],
                mois,
                documents(0),
                any(r[3] == mois for r in own),
                sum(v > 0 for v in recent),
                sum(recent) / len(recent),
                float(statistics.median(documents(k) for k in range(1, T.mois_de_reference + 1))),
            )
        )
    return out


def test_window_features_follow_the_definition_on_irregular_series() -> None:
    # Des séries trouées, à zéro, à lignes doubles, sur deux ans : chaque mois, le calcul en tableau série × mois rend
    # ce que dit la définition, et tous les mois d'un coup rendent la même chose que mois par mois.
    chooser = random.Random(19)
    months = [R.shift_month(M, -k) for k in range(24)]
    rows = [
        (f"F{i}", "35" if i % 2 else "29", couloir, month, chooser.choice([0, 1, 5, 20, 40, 300]))
        for i in range(30)
        for couloir in ("HOP", "BIO")[: 1 + i % 2]
        for month in months
        for _ in range(chooser.choice([0, 0, 1, 1, 1, 1, 2]))
    ]
    frame = pl.LazyFrame(
        rows, schema=["finess", "code_departement", "couloir", "mois", "documents"], orient="row"
    ).with_columns(pl.col("documents").cast(pl.Int64))
    first = R.shift_month(M, -16)
    together = R.window_features(frame, first, T, last=M).collect()
    for month in (first, R.shift_month(M, -7), M):
        one = R.window_features(frame, month, T).collect()
        assert set(one.rows()) == _features_by_hand(rows, month)
        assert_frame_equal(
            together.filter(pl.col("mois") == month).sort(R.SERIES_KEYS), one.sort(R.SERIES_KEYS)
        )
    assert together["mois"].n_unique() == 17
    equipment = pl.LazyFrame(
        {
            "finess": ["F3", "F4", "F8"],
            "code_departement": ["35", "29", "29"],
            "couloir": ["HOP"] * 3,
            "dispositif": ["DPI"] * 3,
            "date_installation": [months[20], months[9], months[2]],
        }
    )
    complete = pl.LazyFrame(
        [
            (dep, couloir, month, 10, 9 + i % 2, i % 2 == 1)
            for i, month in enumerate(months)
            for dep in ("35", "29")
            for couloir in ("HOP", "BIO")
        ],
        schema=["code_departement", "couloir", "mois", "attendues", "livrees", "complet"],
        orient="row",
    )
    keys = ["mois", *R.SERIES_KEYS, "type"]
    all_months = R.detect(frame, equipment, complete, first, T, last=M).collect().sort(keys)
    by_month = pl.concat(
        [R.detect(frame, equipment, complete, R.shift_month(first, k), T).collect() for k in range(17)]
    ).sort(keys)
    assert_frame_equal(all_months, by_month)
    assert set(all_months["type"]) == set(R.TYPES)


def test_window_features_refuse_what_the_definition_cannot_read(tmp_path: Path) -> None:
    # Une série aux clés nulles reste une série (la première ligne en commence une) ; des mois examinés à l'envers
    # et un seuil de zéro mois sont refusés en français plutôt que de rendre des traits faux.
    rows = pl.LazyFrame(
        {
            "finess": [None, None, "a"],
            "code_departement": ["35", "35", "29"],
            "couloir": [None, None, "HOP"],
            "mois": [R.shift_month(M, -2), R.shift_month(M, -1), M],
            "documents": [5, 5, 7],
        }
    )
    out = R.window_features(rows, M, T).collect().sort("finess", nulls_last=True)
    assert out.select("finess", "documents_mois", "mois_avec_envoi").rows() == [("a", 7, 0), (None, 0, 2)]
    with pytest.raises(ValueError, match="précède"):
        R.window_features(rows, M, T, last=R.shift_month(M, -1))
    thresholds = tmp_path / "seuils.csv"
    thresholds.write_text(
        (REFERENCE_DIR / "seuils_ruptures.csv")
        .read_text(encoding="utf-8")
        .replace("mois_avec_envoi,3", "mois_avec_envoi,0"),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="au moins 1 mois"):
        R.load_thresholds(thresholds)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([9, 9, 9, 1, 1, 1, 0], True),  # trois mois avec envoi, M à zéro
        ([9, 9, 9, 1, 1, 1, None], True),  # M sans ligne : zéro
        ([9, 9, 9, 1, 0, 1, 0], False),  # un des trois mois précédents sans document
        ([9, 9, 9, 1, 1, 1, 1], False),  # M non nul
    ],
)
def test_arret(values: list[int | None], expected: bool) -> None:
    found = R.rule_arret(R.window_features(series(x=values), M, T), T).collect()
    assert found.height == int(expected)
    if expected:
        assert found.row(0, named=True) == {
            "finess": "x",
            "code_departement": "35",
            "couloir": "HOP",
            "mois": M,
            "type": "arret",
            "documents_mois": 0,
            "reference": 1.0,
            "base_reference": "moyenne des 3 mois précédents",
            "documents_perdus": 1.0,
            "sans_ligne": values[-1] is None,
        }


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([30, 30, 30, 30, 30, 30, 14], True),  # 14 < 50 % × 30
        ([30, 30, 30, 30, 30, 30, 15], False),  # 15 = 50 % × 30 : pas en dessous
        ([18, 18, 18, 18, 18, 18, 0], False),  # médiane 18 < 20
        (
            [20, 20, 20, None, None, None, 0],
            False,
        ),  # trois mois sans ligne : médiane (0, 0, 0, 20, 20, 20) = 10
        ([100, 20, 20, 20, 100, 100, 29], True),  # médiane de (100, 20, 20, 20, 100, 100) = 60
    ],
)
def test_baisse(values: list[int | None], expected: bool) -> None:
    found = R.rule_baisse(R.window_features(series(x=values), M, T), T).collect()
    assert found.height == int(expected)


def test_equipe_sans_flux_needs_three_months_of_installation() -> None:
    equipment = pl.LazyFrame(
        {
            "finess": ["juillet", "aout", "baisse", "regulier"],
            "code_departement": ["35"] * 4,
            "couloir": ["HOP"] * 4,
            "dispositif": ["DPI"] * 4,
            # M = octobre 2025 : installé au plus tard en juillet (M − 3).
            "date_installation": [
                dt.date(2025, 7, 31),
                dt.date(2025, 8, 1),
                dt.date(2024, 1, 1),
                dt.date(2024, 1, 1),
            ],
        }
    )
    features = R.window_features(series(baisse=[40, 40, 40, 40, 40, 40, 10], regulier=[40] * 7), M, T)
    found = R.rule_equipe_sans_flux(features, equipment, M, T).sort("finess").collect()
    assert found.select("finess", "documents_mois", "reference", "documents_perdus").rows() == [
        ("baisse", 10, 40.0, 30.0),
        ("juillet", 0, 0.0, 0.0),
    ]


def test_equipment_of_a_legal_entity_applies_to_each_of_its_sites() -> None:
    sons = pl.LazyFrame(
        {
            "finess": ["EJ1", "SITE3", "SITE3"],
            "vague": ["V1"] * 3,
            "dispositif": ["DPI", "SGL", "RIS"],
            "date_installation": [dt.date(2023, 1, 1), dt.date(2023, 2, 1), None],
        }
    )
    directory = pl.LazyFrame(
        {
            "finess": ["SITE1", "SITE2", "SITE3"],
            "finess_juridique": ["EJ1", "EJ1", None],
            "code_departement": ["35", "56", "29"],
        }
    )
    dispositifs = pl.LazyFrame({"code": ["DPI", "SGL", "RIS"], "couloir": ["HOP", "BIO", "RAD"]})
    out = R.equipment_by_establishment(sons, directory, dispositifs).sort("finess").collect()
    assert out.select("finess", "code_departement", "couloir").rows() == [
        ("SITE1", "35", "HOP"),
        ("SITE2", "56", "HOP"),
        ("SITE3", "29", "BIO"),  # le RIS n'est pas installé
    ]


def test_one_per_series_keeps_the_first_rule_and_names_the_others() -> None:
    alerts = pl.LazyFrame(
        {
            "finess": ["a", "a", "a", "b"],
            "couloir": ["HOP"] * 4,
            "type": ["equipe_sans_flux", "baisse", "arret", "baisse"],
            "documents_perdus": [1.0, 2.0, 3.0, 4.0],
        }
    )
    out = R.one_per_series(alerts).sort("finess").collect()
    assert out.select("finess", "type", "documents_perdus", "autres_types").rows() == [
        ("a", "arret", 3.0, ["baisse", "equipe_sans_flux"]),
        ("b", "baisse", 4.0, []),
    ]


def test_mark_new_and_rank_by_loss() -> None:
    current = pl.LazyFrame(
        {
            "finess": ["a", "b", "c"],
            "couloir": ["HOP"] * 3,
            "code_departement": ["35"] * 3,
            "documents_perdus": [5.0, 50.0, 5.0],
        }
    )
    previous = pl.LazyFrame({"finess": ["b"], "couloir": ["HOP"], "type": ["arret"]})
    out = R.rank_by_loss(R.mark_new(current, previous)).collect()
    assert out.select("finess", "nouvelle").rows() == [("b", False), ("a", True), ("c", True)]


def test_an_incomplete_month_raises_no_alert() -> None:
    alerts = pl.LazyFrame(
        {
            "finess": ["a", "b", "c", "d", "e"],
            "code_departement": ["35", "29", "56", "22", "44"],
            "couloir": ["HOP"] * 5,
            "mois": [M] * 5,
            "sans_ligne": [False, True, True, True, True],
        }
    )
    complete = pl.LazyFrame(
        {
            "code_departement": ["35", "29", "56", "22", "44"],
            "couloir": ["HOP"] * 5,
            "mois": [M, M, M, R.shift_month(M, -1), M],
            # 35 complet ; 29 : une absente, elle-même en alerte ; 56 : deux absentes dont une seule en alerte ;
            # 22 : seul le mois précédent est connu ; 44 : rien de livré ce mois-ci (son seul établissement manque).
            "attendues": [5, 5, 5, 5, 1],
            "livrees": [5, 4, 3, 5, 0],
            "complet": [True, False, False, True, False],
        }
    )
    assert R.complete_only(alerts, complete, M, T).collect()["finess"].sort().to_list() == ["a", "b"]


# --- Dans un vrai entrepôt, par la commande ----------------------------------------------------------------------


A, B, C, D, E = (finess_with_key(f"3500000{i}") for i in range(1, 6))
F, G, H, K, EJ = (finess_with_key(f"2900000{i}") for i in (1, 2, 3, 4, 9))
J = finess_with_key("22000001")
# Février à octobre 2025 (neuf mois) ; None : pas de ligne.
FLUX: dict[tuple[str, str, str], list[int | None]] = {
    (A, "35", "HOP"): [100, 100, 100, 100, 100, 100, 100, 100, None],  # arret (et baisse)
    (B, "35", "HOP"): [50, 50, 50, 50, 50, 50, 0, 50, 0],  # baisse : août à zéro, donc pas d'arret
    (C, "35", "BIO"): [30, 30, 30, 30, 30, 30, 30, 30, 14],  # baisse
    (D, "35", "BIO"): [30, 30, 30, 30, 30, 30, 30, 30, 15],  # rien : 15 n'est pas sous 50 % de 30
    (E, "35", "RAD"): [18, 18, 18, 18, 18, 18, 18, 18, 0],  # arret seulement (médiane 18 < 20)
    (H, "29", "HOP"): [100, 100, 100, 100, 100, 100, 100, 100, 100],  # équipé, envoie : rien
    (K, "29", "HOP"): [
        40,
        40,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ],  # équipé par son entité juridique, plus rien depuis avril
    (J, "22", "HOP"): [100, 100, 100, 100, 100, 100, 100, 100, None],  # octobre non livré pour le 22 : rien
}
EXPECTED = {  # FINESS, couloir → (type, documents du mois, référence, documents perdus, nouvelle)
    (A, "HOP"): ("arret", 0, 100.0, 100, True),
    (B, "HOP"): ("baisse", 0, 50.0, 50, True),
    (C, "BIO"): ("baisse", 14, 30.0, 16, True),
    (E, "RAD"): ("arret", 0, 18.0, 18, True),
    (F, "HOP"): ("equipe_sans_flux", 0, 0.0, 0, True),  # installé en juillet : le premier mois où il compte
    (K, "HOP"): ("equipe_sans_flux", 0, 0.0, 0, False),  # déjà dans la liste de septembre
}


@pytest.fixture(scope="module")
def literal_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("ruptures")
    lines = ["mois;couloir;finess;departement;documents"]
    for (code, dep, couloir), values in FLUX.items():
        for k, value in enumerate(values):
            if value is not None:
                lines.append(f"2025-{k + 2:02d};{couloir};{code};{dep};{value}")
    flux = write_text(tmp / "flux_etablissements.csv", "\n".join(lines) + "\n")
    names = [
        (A, "CH A"),
        (B, "CH B"),
        (C, "Labo C"),
        (D, "Labo D"),
        (E, "Imagerie E"),
        (F, "Clinique F"),
        (G, "Clinique G"),
        (H, "CH H"),
        (K, "CH K"),
        (J, "CH J"),
    ]
    directory = write_text(
        tmp / "finess.csv",
        "nofinesset;nofinessej;rs;categetab;departement\n"
        + "".join(f"{code};{EJ if code == K else ''};{name};355;{code[:2]}\n" for code, name in names),
    )
    sons = write_text(
        tmp / "sons_etab.csv",
        "finess;vague;dispositif;date_bon_de_commande;date_installation\n"
        f"{F};V1;DPI;2025-01-10;2025-07-15\n{G};V1;DPI;2025-01-10;2025-08-01\n{H};V1;DPI;2023-01-10;2024-01-15\n"
        f"{EJ};V1;DPI;2024-06-01;2025-01-15\n",
    )
    db = tmp / "w.duckdb"
    results = ingest(
        [Incoming(p) for p in (directory, flux, sons)], settings=get_settings(db=db, aujourdhui=TODAY)
    )
    assert all(r.ok for r in results), [r.message for r in results]
    return db


def test_ruptures_json_returns_exactly_what_the_definitions_select(literal_db: Path) -> None:
    result = cli("ruptures", "--json", "--mois", "2025-10", db=literal_db)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    got = {
        (r["finess"], r["couloir"]): (
            r["type"],
            r["documents_mois"],
            r["reference"],
            r["documents_perdus"],
            r["nouvelle"],
        )
        for r in found
    }
    assert got == EXPECTED
    assert [r["documents_perdus"] for r in found] == sorted(
        (r["documents_perdus"] for r in found), reverse=True
    )
    first = found[0]
    assert first["finess"] == A and first["raison_sociale"] == "CH A" and first["mois"] == "2025-10"
    assert (
        first["departement"] == "35"
        and first["nom_region"] == "Bretagne"
        and first["autres_types"] == ["baisse"]
    )
    assert first["base_reference"] == "moyenne des 3 mois précédents"


def test_ruptures_filters_by_type_and_territory(literal_db: Path) -> None:
    baisse = json.loads(
        cli("ruptures", "--json", "--type", "baisse", "--mois", "2025-10", db=literal_db).stdout
    )
    # Avec --type, toutes les séries qui satisfont la règle, même si une autre passe avant : A (arret) aussi.
    assert {(r["finess"], r["type"]) for r in baisse} == {(A, "baisse"), (B, "baisse"), (C, "baisse")}
    finistere = json.loads(cli("ruptures", "--json", "--departement", "Finistère", db=literal_db).stdout)
    assert {r["finess"] for r in finistere} == {F, K}
    text = cli("ruptures", "--region", "53", db=literal_db)
    assert text.returncode == 0 and "CH A (35) — Hôpital — Arrêt — nouvelle" in text.stdout


def test_ruptures_usage_errors_are_french(literal_db: Path) -> None:
    late = cli("ruptures", "--mois", "2026-01", db=literal_db)
    assert late.returncode == 1 and "dernier mois livré : octobre 2025" in late.stderr
    bad = cli("ruptures", "--region", "99", db=literal_db)
    assert bad.returncode == 1 and "région" in bad.stderr and "Traceback" not in bad.stderr


def test_alertes_writes_one_set_of_files_per_region_and_an_index(literal_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "alertes"
    result = cli("alertes", "--out", str(out), "--mois", "2025-10", db=literal_db)
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("*.xlsx"))) == 18 and (out / "index.html").exists()
    raw = (out / "alertes_2025-10_53_bretagne.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM : Excel en français lit l'UTF-8
    text = raw.decode("utf-8-sig").splitlines()
    assert text[0].split(";")[:3] == ["FINESS", "Raison sociale", "Catégorie"]
    assert len(text) == 1 + 5  # six alertes en Bretagne, dont cinq nouvelles (K était déjà là en septembre)
    assert ";CH A;" in text[1] and "Arrêt" in text[1]
    sheet = pl.read_excel(out / "alertes_2025-10_53_bretagne.xlsx", sheet_name="Toutes les alertes")
    assert sheet.height == 6 and set(sheet["Alerte"]) == {"Arrêt", "Baisse", "Équipé sans flux"}
    page = (out / "alertes_2025-10_53_bretagne.html").read_text(encoding="utf-8")
    assert "CH A" in page and "octobre 2025" in page
