"""Transformations d'indicateurs, chacune sur quelques lignes littérales (polars.testing), et leurs invariants.

Définitions (reprises de docs/INDICATEURS.md) :
- flux_annualise = documents × 12 ; cumul_12_mois = somme des 12 derniers mois (null s'il en manque un) ;
- documents_par_habitant_an = flux_annualise ÷ population de l'année du mois, sinon de la dernière année antérieure ;
- part_couloir = documents du couloir ÷ documents de tous les couloirs, même mois et géographie ;
- evolution_1_mois / evolution_12_mois = documents ÷ documents 1 (12) mois plus tôt − 1 ;
- evolution_depuis_cosui = documents ÷ documents au mois du COSUI précédent − 1 ;
- multiplicateur_depuis_base = documents ÷ documents du premier mois de la série ;
- taux_atteinte_cible = flux_annualise ÷ cible ; ecart_cible_mensuel = cible ÷ 12 − documents ;
- un niveau vaut sa valeur déclarée, sinon la somme du niveau inférieur ; non_ventile = déclaré − somme ;
- taux_couverture = BDC ÷ cible ; taux_solde = soldes ÷ BDC ; taux_validation = ES validés ÷ ES engagés.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pipelines.indicators import flux as F
from pipelines.indicators import programmes as P
from pipelines.indicators import trajectory as T
from pipelines.sources.flux import LOAD_COLUMNS
from tests.conftest import typed_rows

D = dt.date


def flux_rows(rows: list[tuple]) -> pl.LazyFrame:
    """(mois, couloir, niveau, code_geo, code_region, code_departement, type_document, documents[, demo])"""
    # Les colonnes que charge la source « flux » (sans le numéro de ligne), et l'étiquette de démonstration.
    columns = [*LOAD_COLUMNS[1:], "donnees_demo"]
    full = [r if len(r) == 9 else (*r, False) for r in rows]
    return typed_rows(full, columns, mois=pl.Date, documents=pl.Int64, donnees_demo=pl.Boolean).lazy()


def series(rows: list[tuple[dt.date, str, int]], niveau: str = "pays", code: str = "FR") -> pl.LazyFrame:
    """(mois, couloir, documents) d'une géographie, la France par défaut."""
    full = [(mois, niveau, code, couloir, documents) for mois, couloir, documents in rows]
    columns = "mois niveau code_geo couloir documents"
    return typed_rows(full, columns, mois=pl.Date, documents=pl.Int64).lazy()


def tous(documents: dict[dt.date, int]) -> pl.LazyFrame:
    """La série nationale tous couloirs : {mois : documents}."""
    return series([(mois, "TOUS", count) for mois, count in documents.items()])


def national_trajectory(year: int, documents: list[int], echeance: dt.date) -> dict[str, Any]:
    """La trajectoire nationale tous couloirs sur les 12 mois de `year` (documents de janvier à décembre), vers une
    cible de 250 M de documents par an à `echeance`."""
    months = [D(year, m, 1) for m in range(1, 13)]
    frame = tous(dict(zip(months, documents, strict=True))).pipe(F.annualise)
    frame = frame.with_columns(pl.lit(False).alias("donnees_demo"))
    targets = pl.LazyFrame(
        {"niveau": "pays", "code_geo": "FR", "couloir": "TOUS", "echeance_cible": echeance, "cible": 250e6}
    )
    return T.trajectories(frame, targets).collect().row(0, named=True)


def test_collapse_document_types_prefers_the_delivered_total() -> None:
    # La France en janvier 2024 : BIO livre son total (type vide) et un détail, HOP son seul détail par type.
    by_type = [("BIO", "", 100), ("BIO", "CR", 60), ("HOP", "LDL", 30), ("HOP", "CRO", 12)]
    flux = flux_rows(
        [(D(2024, 1, 1), couloir, "pays", "FR", "", "", kind, n) for couloir, kind, n in by_type]
    )
    out = F.collapse_document_types(flux).sort("couloir").select("couloir", "documents").collect()
    assert_frame_equal(out, pl.DataFrame({"couloir": ["BIO", "HOP"], "documents": [100, 42]}))


def test_roll_up_uses_declared_values_and_shows_non_ventile() -> None:
    flux = flux_rows(
        [
            (D(2024, 1, 1), "BIO", "departement", "35", "53", "35", "", 10),
            (D(2024, 1, 1), "BIO", "departement", "29", "53", "29", "", 5),
            (D(2024, 1, 1), "BIO", "region", "11", "11", "", "", 40),
            (D(2024, 1, 1), "BIO", "pays", "FR", "", "", "", 70),
        ]
    )
    out = (
        F.roll_up_geography(flux)
        .sort("niveau", "code_geo")
        .select("niveau", "code_geo", "documents", "documents_ventiles", "non_ventile", "origine")
        .collect()
    )
    expected = pl.DataFrame(
        {
            "niveau": ["departement", "departement", "pays", "region", "region"],
            "code_geo": ["29", "35", "FR", "11", "53"],
            "documents": [5, 10, 70, 40, 15],
            "documents_ventiles": [None, None, 55, None, 15],
            "non_ventile": [None, None, 15, None, None],
            "origine": ["declare", "declare", "declare", "declare", "somme"],
        }
    )
    assert_frame_equal(out, expected)


def test_roll_up_builds_departement_from_establishments() -> None:
    flux = flux_rows(
        [
            (D(2024, 1, 1), "HOP", "etablissement", "350000001", "53", "35", "", 7, True),
            (D(2024, 1, 1), "HOP", "etablissement", "350000002", "53", "35", "", 8, True),
        ]
    )
    out = (
        F.roll_up_geography(flux)
        .filter(pl.col("niveau") != "etablissement")
        .sort("niveau")
        .select("niveau", "code_geo", "documents", "donnees_demo")
        .collect()
    )
    expected = pl.DataFrame(
        {
            "niveau": ["departement", "pays", "region"],
            "code_geo": ["35", "FR", "53"],
            "documents": [15, 15, 15],
            "donnees_demo": [True] * 3,
        }
    )
    assert_frame_equal(out, expected)


def test_annualise_and_rolling_12_months() -> None:
    months = [D(2023, m, 1) for m in range(1, 13)] + [D(2024, 1, 1)]
    frame = series([(m, "TOUS", 10 * (i + 1)) for i, m in enumerate(months)])
    out = (
        frame.pipe(F.annualise)
        .pipe(F.rolling_12_months)
        .select("mois", "flux_annualise", "cumul_12_mois")
        .collect()
    )
    assert out["flux_annualise"].to_list() == [120 * (i + 1) for i in range(13)]
    assert out["cumul_12_mois"].to_list() == [None] * 11 + [780, 900]


def test_rolling_12_months_is_null_when_a_month_is_missing() -> None:
    months = [D(2023, m, 1) for m in range(1, 13) if m != 6] + [D(2024, 1, 1)]
    out = series([(m, "TOUS", 1) for m in months]).pipe(F.rolling_12_months).collect()
    assert out["cumul_12_mois"].to_list() == [None] * 12


def test_population_of_the_year_else_latest_earlier_never_later() -> None:
    population = pl.LazyFrame(
        {"annee": [2022, 2024], "niveau": "pays", "code_geo": "FR", "population": [100, 200]}
    )
    frame = tous({D(2021, 12, 1): 1, D(2022, 6, 1): 1, D(2023, 6, 1): 1, D(2025, 1, 1): 10})
    out = (
        frame.pipe(F.annualise)
        .pipe(F.per_inhabitant, population)
        .sort("mois")
        .select("population", "annee_population", "documents_par_habitant_an")
        .collect()
    )
    expected = pl.DataFrame(
        {
            "population": [None, 100, 100, 200],
            "annee_population": [None, 2022, 2022, 2024],
            "documents_par_habitant_an": [None, 0.12, 0.12, 0.6],
        },
        schema={
            "population": pl.Int64,
            "annee_population": pl.Int32,
            "documents_par_habitant_an": pl.Float64,
        },
    )
    assert_frame_equal(out, expected)


def test_couloir_shares() -> None:
    frame = series([(D(2024, 1, 1), "BIO", 30), (D(2024, 1, 1), "HOP", 10), (D(2024, 1, 1), "TOUS", 40)])
    out = frame.pipe(F.couloir_shares).sort("couloir").select("couloir", "part_couloir").collect()
    assert_frame_equal(
        out, pl.DataFrame({"couloir": ["BIO", "HOP", "TOUS"], "part_couloir": [0.75, 0.25, 1.0]})
    )


def test_evolutions_compare_with_calendar_months_not_rows() -> None:
    frame = tous({D(2023, 1, 1): 50, D(2023, 12, 1): 80, D(2024, 1, 1): 100})
    out = frame.pipe(F.evolutions).sort("mois").select("evolution_1_mois", "evolution_12_mois").collect()
    assert_frame_equal(
        out, pl.DataFrame({"evolution_1_mois": [None, None, 0.25], "evolution_12_mois": [None, None, 1.0]})
    )


def test_change_since_previous_cosui() -> None:
    cosui = pl.LazyFrame({"date": [D(2023, 9, 13), D(2024, 1, 17)]})
    frame = tous({D(2023, 9, 1): 100, D(2023, 12, 1): 130, D(2024, 1, 1): 150, D(2024, 2, 1): 180})
    out = (
        frame.pipe(F.change_since_reference, cosui)
        .sort("mois")
        .select("mois_reference_cosui", "evolution_depuis_cosui")
        .collect()
    )
    expected = pl.DataFrame(
        {
            "mois_reference_cosui": [None, D(2023, 9, 1), D(2023, 9, 1), D(2024, 1, 1)],
            "evolution_depuis_cosui": [None, 0.3, 0.5, 0.2],
        }
    )
    assert_frame_equal(out, expected, rel_tol=1e-12)


def test_multiplier_since_first_month() -> None:
    frame = tous({D(2021, 7, 1): 500_000, D(2023, 3, 1): 9_500_000})
    out = (
        frame.pipe(F.multiplier_since_base)
        .sort("mois")
        .select("mois_base", "multiplicateur_depuis_base")
        .collect()
    )
    assert_frame_equal(
        out, pl.DataFrame({"mois_base": [D(2021, 7, 1)] * 2, "multiplicateur_depuis_base": [1.0, 19.0]})
    )


def test_target_attainment_uses_next_deadline_else_last() -> None:
    targets = pl.LazyFrame(
        {
            "indicateur": "flux_annualise",
            "perimetre": ["FR", "FR", "MDV"],
            "echeance": [D(2023, 12, 31), D(2025, 12, 31), D(2023, 12, 31)],
            "valeur": [250e6, 400e6, 120e6],
        }
    )
    frame = series(
        [
            (D(2023, 12, 1), "TOUS", 18_800_000),
            (D(2024, 1, 1), "TOUS", 20_000_000),
            (D(2026, 1, 1), "TOUS", 40_000_000),
            (D(2023, 12, 1), "MDV", 5_000_000),
        ]
    )
    out = (
        frame.pipe(F.annualise)
        .pipe(F.target_attainment, targets)
        .sort("couloir", "mois")
        .select("couloir", "cible", "taux_atteinte_cible", "ecart_cible_mensuel", "mois_avant_echeance")
        .collect()
    )
    expected = pl.DataFrame(
        {
            "couloir": ["MDV", "TOUS", "TOUS", "TOUS"],
            "cible": [120e6, 250e6, 400e6, 400e6],
            "taux_atteinte_cible": [0.5, 0.9024, 0.6, 1.2],
            "ecart_cible_mensuel": [5e6, 2_033_333.333333, 13_333_333.333333, -6_666_666.666667],
            "mois_avant_echeance": [0, 0, 23, -1],
        },
        schema_overrides={"mois_avant_echeance": pl.Int32},
    )
    assert_frame_equal(out, expected, rel_tol=1e-9)


def test_trajectory_projects_a_linear_trend_with_interval() -> None:
    documents = [10_000_000 + 500_000 * i + (50_000 if i % 2 else -50_000) for i in range(12)]
    out = national_trajectory(2024, documents, D(2026, 12, 31))
    # Tendance : 10 M + 0,5 M par mois → 250 M/an = 20,83 M/mois, atteint 22 mois après janvier 2024.
    assert out["statut"] == "projetee"
    assert out["mois_atteinte_projete"] == D(2025, 11, 1)
    assert out["mois_atteinte_tot"] <= out["mois_atteinte_projete"] <= out["mois_atteinte_tard"]
    assert out["saisonnalite"] is False and out["n"] == 12
    assert out["valeur_echeance"] == pytest.approx(12 * (10e6 + 0.5e6 * 35), rel=0.02)


def test_trajectory_says_plainly_when_target_is_reached() -> None:
    out = national_trajectory(2023, [21_000_000 + 100_000 * i for i in range(12)], D(2023, 12, 31))
    assert (out["statut"], out["mois_premiere_atteinte"], out["mois_atteinte_projete"]) == (
        "atteinte",
        D(2023, 1, 1),
        None,
    )
    assert out["echeance_passee"] and out["valeur_echeance"] == 12 * (21_000_000 + 1_100_000)


def test_seasonal_factors_need_24_months_and_average_to_one() -> None:
    months = [D(2022 + (m // 12), m % 12 + 1, 1) for m in range(24)]
    august_dip = series([(m, "TOUS", 800 if m.month == 8 else 1000) for m in months])
    factors = T.seasonal_factors(august_dip).sort("mois_calendaire").collect()
    assert factors["saisonnalite"].all()
    assert factors["coefficient_saisonnier"].mean() == pytest.approx(1.0)
    assert factors.filter(pl.col("mois_calendaire") == 8)["coefficient_saisonnier"][0] < 0.85
    short = T.seasonal_factors(series([(m, "TOUS", 1000) for m in months[:23]])).collect()
    assert not short["saisonnalite"].any() and (short["coefficient_saisonnier"] == 1.0).all()


def test_sons_rates_and_changes_between_snapshots() -> None:
    sons = pl.LazyFrame(
        {
            "date_situation": [D(2023, 10, 1), D(2024, 1, 15)],
            "vague": "V1",
            "dispositif": "MS1",
            "niveau": "pays",
            "code_geo": "FR",
            "solutions_referencees": [None, None],
            "cible": [18900, 18900],
            "bons_de_commande": [9000, 11518],
            "installations": [None, None],
            "demandes_de_solde": [500, 1282],
            "montants_verses_eur": [None, None],
            "donnees_demo": False,
        },
        schema_overrides={
            "solutions_referencees": pl.Int64,
            "installations": pl.Int64,
            "montants_verses_eur": pl.Float64,
        },
    )
    out = (
        sons.pipe(P.sons_rates)
        .pipe(P.sons_changes)
        .select("taux_couverture", "taux_solde", "taux_installation", "variation_bons_de_commande")
        .collect()
    )
    expected = pl.DataFrame(
        {
            "taux_couverture": [9000 / 18900, 11518 / 18900],
            "taux_solde": [500 / 9000, 1282 / 11518],
            "taux_installation": [None, None],
            "variation_bons_de_commande": [None, 2518],
        },
        schema_overrides={"taux_installation": pl.Float64},
    )
    assert_frame_equal(out, expected)


def test_sons_national_is_the_sum_of_regions_when_not_delivered() -> None:
    sons = pl.LazyFrame(
        {
            "date_situation": D(2026, 1, 15),
            "vague": "V2",
            "dispositif": "DPI",
            "niveau": "region",
            "code_geo": ["11", "53"],
            "solutions_referencees": [30, 30],
            "cible": [100, 50],
            "bons_de_commande": [10, 5],
            "installations": [None, None],
            "demandes_de_solde": [1, 2],
            "montants_verses_eur": [1.5, 2.5],
            "donnees_demo": True,
        },
        schema_overrides={"installations": pl.Int64},
    )
    national = (
        P.sons_national_from_regions(sons).filter(pl.col("niveau") == "pays").collect().row(0, named=True)
    )
    assert (
        national["cible"],
        national["bons_de_commande"],
        national["installations"],
        national["montants_verses_eur"],
    ) == (150, 15, None, 4.0)
    assert national["origine"] == "somme"


def test_sons_deadlines_from_milestones_and_days_left() -> None:
    milestones = pl.LazyFrame(
        {
            "date": [D(2026, 2, 17), D(2027, 3, 17), D(2024, 1, 17)],
            "programme": ["SONS V2 PFI", "SONS V2", "COSUI"],
            "jalon": ["a", "b", "c"],
        }
    )
    out = (
        P.days_until(P.sons_deadlines(milestones), pl.lit(D(2026, 11, 21)))
        .select("vague", "dispositif", "jours_restants")
        .collect()
    )
    assert_frame_equal(
        out, pl.DataFrame({"vague": ["V2", "V2"], "dispositif": ["PFI", None], "jours_restants": [-277, 116]})
    )


def test_sunes_validation_rate_with_all_windows() -> None:
    sunes = pl.LazyFrame(
        {
            "date_situation": D(2024, 1, 17),
            "fenetre": ["F1", "F2"],
            "domaine": "D1",
            "niveau": "pays",
            "code_geo": "FR",
            "es_engages": [100, 50],
            "es_valides": [80, 10],
            "donnees_demo": False,
        }
    )
    out = P.sunes_indicators(sunes).select("fenetre", "es_engages", "es_valides", "taux_validation").collect()
    expected = pl.DataFrame(
        {
            "fenetre": ["F1", "F2", "TOUTES"],
            "es_engages": [100, 50, 150],
            "es_valides": [80, 10, 90],
            "taux_validation": [0.8, 0.2, 0.6],
        }
    )
    assert_frame_equal(out, expected)


# --- Invariants (hypothesis) ---------------------------------------------------------------------------------

COULOIRS = ["HOP", "BIO", "RAD", "MDV", "PHA"]
REGIONS = ["11", "53", "84", "93"]


@st.composite
def regional_flux(draw: st.DrawFn) -> pl.LazyFrame:
    rows = []
    for month in (D(2024, 1, 1), D(2024, 2, 1)):
        for region in draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=4, unique=True)):
            for couloir in draw(st.lists(st.sampled_from(COULOIRS), min_size=1, max_size=5, unique=True)):
                rows.append((month, couloir, "region", region, region, "", "", draw(st.integers(0, 10**8))))
    return flux_rows(rows)


@settings(max_examples=60, deadline=None)
@given(regional_flux())
def test_shares_sum_to_one_and_annualised_is_twelve_times_monthly(flux: pl.LazyFrame) -> None:
    out = flux_pipeline(flux)
    assert (out["flux_annualise"] == out["documents"] * 12).all()
    sums = (
        out.filter(pl.col("couloir") != F.ALL_COULOIRS)
        .group_by("mois", "niveau", "code_geo")
        .agg(pl.col("part_couloir").sum(), pl.col("documents").sum())
    )
    for row in sums.iter_rows(named=True):
        if row["documents"] > 0:
            assert row["part_couloir"] == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(regional_flux())
def test_national_is_the_sum_of_regions_when_no_national_row(flux: pl.LazyFrame) -> None:
    out = flux_pipeline(flux)
    regions = (
        out.filter(pl.col("niveau") == "region")
        .group_by("mois", "couloir")
        .agg(pl.col("documents").sum().alias("somme"))
    )
    national = out.filter(pl.col("niveau") == "pays").join(regions, on=["mois", "couloir"])
    assert national.height > 0
    assert (national["documents"] == national["somme"]).all()
    assert (national["origine"] == "somme").all()


def flux_pipeline(flux: pl.LazyFrame) -> pl.DataFrame:
    empty_population = pl.LazyFrame(
        schema={"annee": pl.Int32, "niveau": pl.String, "code_geo": pl.String, "population": pl.Int64}
    )
    empty_targets = pl.LazyFrame(
        schema={"indicateur": pl.String, "perimetre": pl.String, "echeance": pl.Date, "valeur": pl.Float64}
    )
    empty_cosui = pl.LazyFrame(schema={"date": pl.Date})
    return F.flux_indicators(flux, empty_population, empty_targets, empty_cosui).collect()


def test_trajectory_beyond_twenty_years_is_out_of_trend() -> None:
    out = national_trajectory(2024, [1_000_000 + 10 * i for i in range(12)], D(2030, 12, 31))
    assert (out["statut"], out["mois_atteinte_projete"]) == ("hors_tendance", None)


def test_french_month_and_date_columns_match_the_scalar_formats() -> None:
    from pipelines import formats

    dates = [D(2023, 12, 1), D(2024, 1, 17), D(2025, 8, 1)]
    out = pl.DataFrame({"d": dates}).select(
        formats.month_column("d").alias("court"),
        formats.month_column("d", short=False).alias("long"),
        formats.date_column("d").alias("date"),
    )
    assert (
        out["court"].to_list()
        == [formats.short_month(d) for d in dates]
        == ["déc. 2023", "janv. 2024", "août 2025"]
    )
    assert out["long"].to_list() == [formats.month(d) for d in dates]
    assert (
        out["date"].to_list()
        == [formats.date(d) for d in dates]
        == ["1er décembre 2023", "17 janvier 2024", "1er août 2025"]
    )


def test_month_after_de_is_elided_before_a_vowel() -> None:
    from pipelines import formats

    assert [formats.of_month(D(2025, m, 1)) for m in (3, 4, 8, 10)] == [
        "de mars 2025",
        "d'avril 2025",
        "d'août 2025",
        "d'octobre 2025",
    ]
