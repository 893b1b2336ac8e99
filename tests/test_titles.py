"""Un titre-constat n'affirme que ce que les chiffres montrent : une règle, un test."""

from __future__ import annotations

import polars as pl

from pipelines.publish import titles
from tests.conftest import typed_rows


def sons(rows: list[tuple[str, int | None, int | None, int | None]]) -> pl.DataFrame:
    counts = ("bons_de_commande", "installations", "demandes_de_solde")
    return typed_rows(rows, ["dispositif", *counts], **dict.fromkeys(counts, pl.Int64))


def test_sons_leader_names_the_first_step_with_figures() -> None:
    frame = sons([("DPI", 10, 5, None), ("LGC", 30, 2, None)])
    assert (
        titles.sons_leader(frame, "V2 au 1er mars 2026")
        == "V2 au 1er mars 2026 : LGC en tête des bons de commande"
    )


def test_sons_leader_without_orders_uses_installations() -> None:
    # Vague 1 : aucun bon de commande publié ; le titre ne peut pas désigner un « premier des bons de commande ».
    frame = sons([("DPI", None, 900, None), ("LGC", None, 4100, None), ("RIS", None, 300, None)])
    assert (
        titles.sons_leader(frame, "V1 au 17 janvier 2024")
        == "V1 au 17 janvier 2024 : LGC en tête des installations"
    )


def test_sons_leader_ties_and_empty() -> None:
    tie = sons([("DPI", 7, None, None), ("LGC", 7, None, None)])
    assert titles.sons_leader(tie, "V2") == "V2 : DPI et LGC en tête des bons de commande"
    empty = sons([("DPI", None, None, None), ("LGC", 0, None, None)])
    assert titles.sons_leader(empty, "V1") == "V1 : aucun chiffre de commande, d'installation ni de solde"


def test_lowest_coverage_needs_two_values_to_compare() -> None:
    two = pl.DataFrame({"dispositif": ["PFI", "DPI"], "taux_couverture": [0.5, 0.12]})
    assert (
        titles.sons_lowest_coverage(two)
        == "Couverture la plus faible : DPI (12\u202f% des structures éligibles)"
    )
    one = pl.DataFrame({"dispositif": ["PFI", "DPI"], "taux_couverture": [0.5, None]})
    assert titles.sons_lowest_coverage(one) == "Couverture de PFI : 50\u202f% des structures éligibles"
    none = pl.DataFrame(
        {"dispositif": ["PFI"], "taux_couverture": [None]},
        schema={"dispositif": pl.String, "taux_couverture": pl.Float64},
    )
    assert titles.sons_lowest_coverage(none) == "Couverture des structures éligibles : aucun chiffre"


LABELS = {"BIO": "Biologie médicale", "MDV": "Médecins de ville"}


def couloirs(rows: list[tuple[str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"couloir": pl.String, "part_couloir": pl.Float64}, orient="row")


def test_couloir_leader_is_named_on_a_complete_month_only() -> None:
    month = couloirs([("BIO", 0.36), ("MDV", 0.33), ("HOP", None)])
    assert (
        titles.couloir_leader(month, "octobre 2025", False, LABELS)
        == "Biologie médicale en tête en octobre 2025 : 36\u202f% des documents"
    )
    assert titles.couloir_leader(month, "novembre 2025", True, LABELS) == "Documents par couloir"


def test_couloir_leader_needs_two_couloirs_and_names_ties_together() -> None:
    assert (
        titles.couloir_leader(couloirs([("BIO", 1.0)]), "mai 2025", False, LABELS) == "Documents par couloir"
    )
    assert titles.couloir_leader(couloirs([("MDV", 0.5), ("BIO", 0.5)]), "mai 2025", False, LABELS) == (
        "Biologie médicale et Médecins de ville en tête en mai 2025 : 50\u202f% des documents chacun"
    )


def territories(rows: list[tuple[str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"libelle_geo": pl.String, "taux": pl.Float64}, orient="row")


def test_territory_leader_compares_at_least_two_values_on_a_complete_month() -> None:
    frame = territories([("Bretagne", 7.94), ("Normandie", 6.1), ("Corse", None)])
    assert titles.territory_leader(frame, "taux", "doc./hab./an", 1, False, "neutre") == (
        "Bretagne en tête : 7,9 doc./hab./an"
    )
    assert titles.territory_leader(
        frame, "taux", "doc./hab./an", 1, False, "neutre", within="Grand Ouest"
    ) == ("Bretagne en tête en Grand Ouest : 7,9 doc./hab./an")
    assert titles.territory_leader(frame, "taux", "u", 1, True, "neutre") == "neutre"  # mois provisoire
    only_one = territories([("Bretagne", 7.9), ("Corse", None)])
    assert titles.territory_leader(only_one, "taux", "u", 1, False, "neutre") == "neutre"


def test_sunes_best_domain_needs_two_rates_and_says_ties() -> None:
    def snap(rows: list[tuple[str, float | None]]) -> pl.DataFrame:
        return pl.DataFrame(rows, schema={"domaine": pl.String, "taux_validation": pl.Float64}, orient="row")

    names = {"D1": "D1 – DMP", "D2": "D2 – MSSanté"}
    assert titles.sunes_best_domain(snap([("D1", 0.64), ("D2", 0.4)]), names) == (
        "D1 – DMP le plus validé : 64\u202f% des ES engagés"
    )
    assert titles.sunes_best_domain(snap([("D1", 0.5), ("D2", 0.5)]), names) == (
        "D1 – DMP et D2 – MSSanté les plus validés : 50\u202f% des ES engagés"
    )
    assert titles.sunes_best_domain(snap([("D1", 0.64), ("D2", None)]), names) == (
        "Établissements engagés et validés"
    )
