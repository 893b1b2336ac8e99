"""Les sources citées par leur titre et leur date, avec le lien quand il existe (data/reference/sources.csv), au lieu
du nom de fichier interne ou de l'adresse brute."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import polars as pl

from pipelines import formats
from pipelines.settings import REFERENCE_DIR

DEMO_SOURCE = "Données de démonstration générées (non officielles)"


@lru_cache(maxsize=1)
def _sources() -> dict[str, tuple[str, dt.date | None, str | None]]:
    frame = pl.read_csv(REFERENCE_DIR / "sources.csv", schema_overrides={"date": pl.Date})
    return {r["source"]: (r["titre"], r["date"], r["lien"]) for r in frame.iter_rows(named=True)}


def source_title(source: str | None) -> str:
    """« Support du 9e COSUI Ségur numérique, 17 janvier 2024 » pour « 003_….txt » ; « — » sans source."""
    if not source:
        return formats.MISSING
    parts = [p.strip() for p in source.split(";")]
    return " ; ".join(_one_title(p) for p in parts if p)


def _one_title(source: str) -> str:
    if source.startswith("demo_") or source == "donnees_demo":
        return DEMO_SOURCE
    known = _sources().get(source)
    if known is None:
        # Une source absente de la table reste lisible : l'adresse sans « https:// », jamais un nom interne caché.
        return source.removeprefix("https://").removeprefix("http://")
    title, date, _ = known
    return f"{title}, {formats.date(date)}" if date else title


def source_link(source: str | None) -> str | None:
    """Le lien public d'une source, s'il existe."""
    if not source:
        return None
    known = _sources().get(source.split(";")[0].strip())
    if known is not None:
        return known[2]
    return source if source.startswith(("http://", "https://")) else None
