"""Numérotation des codes des flux (pipelines/flux_codes.py), sur quelques lignes littérales."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from pipelines.warehouse.connection import apply_schema
from pipelines.warehouse.flux_codes import encode

JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


def lot(rows: list[tuple[str, str, str, str, str, str]], month: dt.date) -> pl.DataFrame:
    columns = ("couloir", "niveau", "code_geo", "code_region", "code_departement", "type_document")
    frame = pl.DataFrame(rows, schema=list(columns), orient="row")
    return frame.with_columns(
        ligne=pl.int_range(2, frame.height + 2, dtype=pl.Int64),
        mois=pl.lit(month),
        documents=pl.int_range(frame.height, dtype=pl.Int64) * 10,
    ).select("ligne", "mois", *columns, "documents")


def test_codes_are_numbered_once_and_geography_shares_one_numbering(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        apply_schema(con)
        first = encode(
            con,
            lot(
                [
                    ("RAD", "region", "53", "53", "", ""),
                    ("BIO", "departement", "35", "53", "35", "CR"),
                ],
                JAN,
            ),
        )
        expected = pl.DataFrame(
            {
                "ligne": [2, 3],
                "mois": [JAN, JAN],
                # Numéros par ordre alphabétique des valeurs nouvelles : BIO 1, RAD 2 ; '' 1, 35 2, 53 3 ; '' 1, CR 2.
                "couloir_num": [2, 1],
                "niveau_num": [2, 1],
                "geo_num": [3, 2],
                "region_num": [3, 3],
                "departement_num": [1, 2],
                "type_num": [1, 2],
                "documents": [0, 10],
            },
            schema_overrides={
                c: pl.Int32
                for c in ("couloir_num", "niveau_num", "geo_num", "region_num", "departement_num", "type_num")
            },
        )
        assert_frame_equal(first, expected)
        # Un second lot garde les numéros connus et numérote à la suite ce qui est nouveau (le département 29).
        second = encode(con, lot([("BIO", "departement", "29", "53", "29", "")], FEB))
        assert second.select("couloir_num", "geo_num", "region_num", "type_num").row(0) == (1, 4, 3, 1)
        assert con.sql("SELECT numero, valeur FROM codes_geo ORDER BY numero").fetchall() == [
            (1, ""),
            (2, "35"),
            (3, "53"),
            (4, "29"),
        ]
