"""Source « usage » et ses indicateurs : import validé et versionné, transformations sur lignes littérales, réponses
« golden » sur les points publiés (COSUI n° 9 du 17 janvier 2024, communiqués de la Cnam), démonstration étiquetée.

Définitions (docs/INDICATEURS.md) :
- taux_activation = profils activés ÷ population INSEE du territoire (année du mois, sinon la dernière antérieure) ;
- activations_nettes_mois = variation des profils activés depuis le point précédent ÷ mois écoulés ;
- documents_consultes_par_utilisateur = documents consultés ÷ professionnels ayant consulté (36 derniers mois) ;
- une région (la France) vaut sa valeur livrée, sinon la somme de tous ses départements (régions), jamais une somme
  partielle.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.indicators import usage as U
from pipelines.settings import REFERENCE_DIR, Settings, get_settings
from pipelines.warehouse.ingest import Incoming, ingest
from tests.conftest import typed_rows, write_text

D = dt.date


def rows(data: list[tuple]) -> pl.LazyFrame:
    """(mois, indicateur, niveau, code_geo, code_region, valeur[, demo]), en entrée comme attendu."""
    full = [r if len(r) == 7 else (*r, False) for r in data]
    columns = "mois indicateur niveau code_geo code_region valeur donnees_demo"
    return typed_rows(full, columns, mois=pl.Date, valeur=pl.Float64, donnees_demo=pl.Boolean).lazy()


DEPARTEMENTS = pl.LazyFrame({"code_geo": ["75", "93", "2A", "2B"], "code_region": ["11", "11", "94", "94"]})


# --- Transformations --------------------------------------------------------------------------------------------


def test_a_region_is_the_sum_of_all_its_departements_never_of_some() -> None:
    usage = rows(
        [
            (D(2025, 9, 1), "profils_actives", "departement", "75", "11", 700.0),
            (D(2025, 9, 1), "profils_actives", "departement", "93", "11", 300.0, True),
            (D(2025, 9, 1), "profils_actives", "departement", "2A", "94", 50.0),  # 2B manque
        ]
    )
    out = U.consolidate(usage, DEPARTEMENTS).filter(pl.col("niveau") != "departement").collect()
    expected = rows([(D(2025, 9, 1), "profils_actives", "region", "11", "11", 1000.0, True)]).collect()
    assert_frame_equal(out, expected)  # ni la Corse (2B manque) ni la France (une région manque)


def test_a_delivered_value_wins_over_the_sum() -> None:
    usage = rows(
        [
            (D(2025, 9, 1), "profils_actives", "departement", "75", "11", 700.0),
            (D(2025, 9, 1), "profils_actives", "departement", "93", "11", 300.0),
            (D(2025, 9, 1), "profils_actives", "region", "11", "11", 1100.0),
        ]
    )
    out = U.consolidate(usage, DEPARTEMENTS).filter(pl.col("niveau") == "region").collect()
    assert out["valeur"].to_list() == [1100.0]


def test_activation_rate_uses_the_population_of_the_year_or_the_last_known() -> None:
    usage = rows(
        [
            (D(2024, 1, 1), "profils_actives", "pays", "FR", "", 10_500_000.0),
            (D(2026, 3, 1), "profils_actives", "pays", "FR", "", 25_000_000.0),
            (D(2024, 1, 1), "profils_ouverts", "pays", "FR", "", 68_400_000.0),
        ]
    )
    population = pl.LazyFrame(
        {
            "annee": [2024, 2025],
            "niveau": ["pays", "pays"],
            "code_geo": ["FR", "FR"],
            "population": [68_373_000, 68_606_000],
        }
    )
    out = U.activation_rate(usage, population).collect()
    expected = rows(
        [
            (D(2024, 1, 1), "taux_activation", "pays", "FR", "", 10_500_000 / 68_373_000),
            (D(2026, 3, 1), "taux_activation", "pays", "FR", "", 25_000_000 / 68_606_000),
        ]
    ).collect()
    assert_frame_equal(out.sort("mois"), expected)


def test_net_activations_spread_a_gap_over_the_months_elapsed() -> None:
    usage = rows(
        [
            (D(2023, 9, 1), "profils_actives", "pays", "FR", "", 9_200_000.0),
            (D(2024, 1, 1), "profils_actives", "pays", "FR", "", 10_500_000.0),
            (D(2024, 2, 1), "profils_actives", "pays", "FR", "", 11_000_000.0, True),
        ]
    )
    out = U.net_activations(usage).collect()
    expected = rows(
        [
            (D(2024, 1, 1), "activations_nettes_mois", "pays", "FR", "", 325_000.0),
            (D(2024, 2, 1), "activations_nettes_mois", "pays", "FR", "", 500_000.0, True),
        ]
    ).collect()
    assert_frame_equal(out, expected)


def test_documents_per_user_needs_both_counts_of_the_same_month() -> None:
    usage = rows(
        [
            (D(2024, 1, 1), "documents_consultes", "pays", "FR", "", 1_500_000.0),
            (D(2024, 1, 1), "professionnels_ayant_consulte", "pays", "FR", "", 56_276.0),
            (D(2024, 2, 1), "documents_consultes", "pays", "FR", "", 1_600_000.0),
        ]
    )
    out = U.documents_per_user(usage).collect()
    assert out["mois"].to_list() == [D(2024, 1, 1)]
    assert out["valeur"][0] == pytest.approx(26.654, abs=1e-3)


# --- Import -----------------------------------------------------------------------------------------------------


def test_usage_file_by_departement_ingests_with_french_labels(settings: Settings, tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "usages.csv",
        "Mois;Indicateur;Valeur;Département\n"
        "sept. 2025;Profils activés;120 000;93\n"
        "sept. 2025;profils_ouverts;1 600 000;Seine-Saint-Denis\n"
        "sept. 2025;Messages MSSanté;2 500 000;93\n",
        encoding="cp1252",
    )
    [result] = ingest([Incoming(path)], settings=settings)
    assert result.ok and result.nature == "usage" and result.nouvelles == 3, result.message
    with duckdb.connect(str(settings.db_path()), read_only=True) as con:
        view = con.sql(
            "SELECT mois, indicateur, niveau, code_geo, valeur FROM usage_mes ORDER BY indicateur"
        ).fetchall()
    assert view == [
        (D(2025, 9, 1), "messages_mssante", "departement", "93", 2_500_000),
        (D(2025, 9, 1), "profils_actives", "departement", "93", 120_000),
        (D(2025, 9, 1), "profils_ouverts", "departement", "93", 1_600_000),
    ]


def test_a_bad_usage_file_is_refused_with_row_column_value_and_reason(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_text(
        tmp_path / "usages.csv",
        "mois,indicateur,valeur,region,departement\n"
        "2025-09,Licornes,3,,93\n"
        "2025-09,profils_actives,-4,,93\n"
        "2025-09,profils_actives,12,84,93\n"
        "2030-01,profils_actives,12,,93\n",
    )
    [result] = ingest([Incoming(path)], settings=settings)
    assert result.statut == "refuse"
    found = {(p.ligne, p.colonne, p.valeur): p.motif for p in result.problems}
    assert "indicateur d'usage inconnu" in found[(2, "indicateur", "Licornes")]
    assert found[(3, "valeur", "-4")] == "nombre négatif"
    assert "n'appartient pas à la région" in found[(4, "departement", "93")]
    assert found[(5, "mois", "2030-01")].startswith("mois futur")
    assert not settings.db_path().exists()  # rien n'a été écrit


def test_a_redelivered_month_is_a_revision(settings: Settings, tmp_path: Path) -> None:
    first = write_text(tmp_path / "a.csv", "mois,indicateur,valeur\n2025-09,profils_actives,23000000\n")
    second = write_text(tmp_path / "b.csv", "mois,indicateur,valeur\n2025-09,profils_actives,23100000\n")
    results = ingest([Incoming(first), Incoming(second), Incoming(second)], settings=settings)
    assert [r.statut for r in results] == ["nouveau", "revision", "identique"]
    with duckdb.connect(str(settings.db_path()), read_only=True) as con:
        assert con.execute("SELECT valeur FROM usage_mes").fetchall() == [(23_100_000,)]


# --- Réponses « golden » sur les points publiés -----------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    db = tmp_path_factory.mktemp("usage-golden") / "w.duckdb"
    settings = get_settings(db=db, aujourdhui=D(2026, 11, 21))
    files = [Incoming(REFERENCE_DIR / "population.csv"), Incoming(REFERENCE_DIR / "usage_publie.csv")]
    assert all(r.ok for r in ingest(files, settings=settings))
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql("SELECT * FROM indicateurs_usage WHERE niveau = 'pays'").pl()


def value(frame: pl.DataFrame, indicateur: str, mois: str) -> float:
    row = frame.filter(
        (pl.col("indicateur") == indicateur) & (pl.col("mois") == D.fromisoformat(f"{mois}-01"))
    )
    assert row.height == 1, (indicateur, mois)
    return float(row["valeur"][0])


def test_golden_activation_rate_of_january_2024(published: pl.DataFrame) -> None:
    # 10 500 000 profils activés ÷ 68 373 000 habitants (INSEE, 1er janvier 2024) = 15,36 % ; le COSUI écrit
    # « 15,2 % » d'un « +10,5 M » arrondi : l'écart tient à l'arrondi du numérateur (10,4 M donneraient 15,2 %).
    rate = value(published, "taux_activation", "2024-01")
    assert rate == pytest.approx(10_500_000 / 68_373_000)
    assert abs(rate - 0.152) < 0.002


@pytest.mark.parametrize(
    ("mois", "expected", "published_monthly"),
    [
        (
            "2024-01",
            325_000,
            300_000,
        ),  # 9,2 M (sept. 2023) → 10,5 M : COSUI n° 9, « +300 000 en moyenne par mois »
        ("2024-10", 500_000, 500_000),  # 10,5 M → 15 M en 9 mois : Cnam, « environ 500 000 chaque mois »
        (
            "2025-01",
            666_667,
            600_000,
        ),  # 15 M → 17 M en 3 mois : COSUI n° 11, « +600 000 … par mois » au 2e semestre
    ],
)
def test_golden_net_activations_match_the_published_monthly_pace(
    published: pl.DataFrame, mois: str, expected: int, published_monthly: int
) -> None:
    net = value(published, "activations_nettes_mois", mois)
    assert round(net) == expected
    assert abs(net / published_monthly - 1) <= 0.12


def test_golden_documents_consulted_per_professional(published: pl.DataFrame) -> None:
    # COSUI n° 9 : 1,5 M documents consultés par 56 276 professionnels libéraux sur 36 mois.
    assert value(published, "documents_consultes_par_utilisateur", "2024-01") == pytest.approx(
        1_500_000 / 56_276
    )


def test_published_points_stay_official(published: pl.DataFrame) -> None:
    assert not published["donnees_demo"].any()
    assert value(published, "profils_ouverts", "2024-01") == 68_400_000


# --- Démonstration ----------------------------------------------------------------------------------------------


def test_demo_usage_passes_through_published_points_and_is_labelled(demo_warehouse_master: Path) -> None:
    with duckdb.connect(str(demo_warehouse_master), read_only=True) as con:
        deps = con.sql(
            "SELECT mois, indicateur, sum(valeur) AS total, bool_and(donnees_demo) AS demo, count(*) AS n "
            "FROM usage_mes WHERE niveau = 'departement' GROUP BY ALL"
        ).pl()
        rates = con.sql(
            "SELECT count(*) FROM indicateurs_usage WHERE niveau = 'departement' AND indicateur = 'taux_activation' "
            "AND mois = DATE '2025-10-01' AND valeur BETWEEN 0.1 AND 0.6"
        ).fetchall()
    assert deps["demo"].all() and (deps["n"] == 101).all()
    pub = pl.read_csv(REFERENCE_DIR / "usage_publie.csv", infer_schema=False)
    for row in pub.iter_rows(named=True):
        month = D.fromisoformat(f"{row['mois']}-01")
        total = deps.filter((pl.col("mois") == month) & (pl.col("indicateur") == row["indicateur"]))["total"]
        assert total.to_list() == [int(row["valeur"])], row
    assert rates == [(101,)]


# --- Secret statistique des usages publiés -----------------------------------------------------------------------


def test_a_small_usage_count_is_masked_with_a_neighbour_and_its_derived_rate() -> None:
    from pipelines.publish.usage_diffusion import mask_usage

    month = D(2025, 9, 1)
    frame = pl.DataFrame(
        [
            (month, "professionnels_ayant_consulte", "departement", "2A", "94", 5.0, False),
            (month, "professionnels_ayant_consulte", "departement", "2B", "94", 200.0, False),
            (month, "professionnels_ayant_consulte", "region", "94", "94", 205.0, False),
            (month, "documents_consultes", "departement", "2A", "94", 900.0, False),
            (month, "documents_consultes_par_utilisateur", "departement", "2A", "94", 180.0, True),
            (month, "documents_consultes_par_utilisateur", "departement", "2B", "94", 4.0, True),
        ],
        schema=["mois", "indicateur", "niveau", "code_geo", "code_region", "valeur", "calcule"],
        orient="row",
    )
    out = {(r["indicateur"], r["code_geo"]): r for r in mask_usage(frame).iter_rows(named=True)}
    # 5 masqué (secret primaire) ; 2B aussi, sinon la Corse (205) − 2B le redonnerait (secret secondaire).
    assert out[("professionnels_ayant_consulte", "2A")]["valeur"] is None
    assert out[("professionnels_ayant_consulte", "2B")]["valeur"] is None
    assert out[("professionnels_ayant_consulte", "94")]["valeur"] == 205.0
    # Le rapport documents ÷ professionnels redonnerait 5 : vidé ; les documents (900) restent publiés.
    assert out[("documents_consultes_par_utilisateur", "2A")]["valeur"] is None
    assert out[("documents_consultes", "2A")]["valeur"] == 900.0
    assert out[("documents_consultes_par_utilisateur", "2A")]["masque_secret_statistique"]
