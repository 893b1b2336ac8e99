"""Un titre-constat n'affirme que ce que les chiffres montrent : une règle, un test."""

from __future__ import annotations

import polars as pl

from pipelines.publish import titles


def sons(rows: list[tuple[str, int | None, int | None, int | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "dispositif": pl.String,
            "bons_de_commande": pl.Int64,
            "installations": pl.Int64,
            "demandes_de_solde": pl.Int64,
        },
        orient="row",
    )


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
