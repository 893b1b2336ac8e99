"""Préséance et rapprochement : le total livré est affiché, l'écart avec la somme des sous-niveaux est visible."""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from pipelines.indicators.reconciliation import reconciliation


def test_a_delivered_total_and_the_sum_of_its_sub_levels_give_a_visible_gap() -> None:
    december = dt.date(2023, 12, 1)
    flux = pl.LazyFrame(
        {
            "mois": [december, december, december],
            "niveau": ["pays", "region", "region"],
            "code_geo": ["FR", "11", "24"],
            "libelle_geo": ["France", "Île-de-France", "Centre-Val de Loire"],
            "couloir": ["TOUS", "TOUS", "TOUS"],
            "documents": [18_800_000, 3_000_000, 700_000],
            "documents_ventiles": [18_632_835, None, 700_000],
            "origine": ["declare", "somme", "declare"],
        }
    )
    expected = pl.DataFrame(
        {
            "mois": [december, december],
            "niveau": ["pays", "region"],
            "code_geo": ["FR", "24"],
            "libelle_geo": ["France", "Centre-Val de Loire"],
            "couloir": ["TOUS", "TOUS"],
            "total_livre": [18_800_000, 700_000],
            "somme_sous_niveaux": [18_632_835, 700_000],
            "ecart": [167_165, 0],
            "ecart_relatif": [167_165 / 18_800_000, 0.0],
            "chiffre_affiche": ["total livré", "total livré"],
        }
    )
    assert_frame_equal(reconciliation(flux).collect(), expected)
