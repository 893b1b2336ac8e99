"""Flux par établissement, déterministes : FINESS × couloir × type de document × mois, sur cinq ans."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.intake.validation import luhn_key
from pipelines.warehouse.reference import load_reference

MONTHS = [f"{2021 + (m + 6) // 12}-{(m + 6) % 12 + 1:02d}" for m in range(60)]  # juillet 2021 → juin 2026
SERIES = [("HOP", "LDL"), ("HOP", "CRO"), ("BIO", "CR-BIO"), ("RAD", "CR-IMG"), ("MDV", "VSM")]


def _with_key(body: str) -> str:
    return body + str(luhn_key(body.replace("A", "0").replace("B", "0")))


def feed(rows: int) -> pl.DataFrame:
    """Environ `rows` lignes : autant d'établissements qu'il faut pour 60 mois × 5 séries."""
    establishments = max(1, rows // (len(MONTHS) * len(SERIES)))
    departements = sorted(load_reference().departements)
    etab = pl.DataFrame({"i": pl.arange(0, establishments, eager=True)}).with_columns(
        pl.col("i")
        .map_elements(lambda i: departements[i % len(departements)], return_dtype=pl.String)
        .alias("departement"),
    )
    # FINESS valides : deux caractères du département (2A, 2B compris), six chiffres, la clé de Luhn des huit premiers.
    etab = etab.with_columns(
        (pl.col("departement").str.slice(0, 2) + pl.col("i").cast(pl.String).str.zfill(6))
        .map_elements(
            lambda body: body + str(luhn_key(body.replace("A", "0").replace("B", "0"))),
            return_dtype=pl.String,
        )
        .alias("finess")
    )
    months = pl.DataFrame({"mois": MONTHS, "m": list(range(len(MONTHS)))})
    series = pl.DataFrame(
        {
            "couloir": [s[0] for s in SERIES],
            "type_document": [s[1] for s in SERIES],
            "s": list(range(len(SERIES))),
        }
    )
    frame = etab.join(months, how="cross").join(series, how="cross")
    # Volume déterministe, croissant dans le temps, variable entre établissements.
    documents = (pl.col("i") * 7919 + pl.col("s") * 104729 + pl.col("m") * 31) % 200 + 20 + pl.col("m") * 3
    return frame.select(
        "mois",
        "couloir",
        "type_document",
        "departement",
        "finess",
        documents.cast(pl.Int64).alias("documents"),
    )


def write(rows: int, folder: Path) -> tuple[Path, Path, int]:
    frame = feed(rows)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"flux_{rows}.csv", folder / f"flux_{rows}.parquet"
    frame.write_csv(csv_path, separator=";")
    frame.write_parquet(parquet_path)
    return csv_path, parquet_path, frame.height
