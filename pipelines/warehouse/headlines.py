"""Chiffres de tête changés par un import : France et régions, chaque mois et couloir, avant → après, et ceux qui
étaient déjà publiés (`chiffres_publies`, ou un paquet de transparence déjà diffusé : `chiffres_diffuses`) : leur
changement est une révision d'un chiffre publié, inscrite aux errata
(`revisions_publiees`). Définitions : docs/INDICATEURS.md, « Révisions des chiffres publiés »."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.warehouse.connection import named_statements
from pipelines.warehouse.reference import labels

KEYS = ["mois", "niveau", "code_geo", "couloir"]


def published_label(code: str | None) -> str:
    """Le libellé d'un indicateur publié (data/reference/indicateurs_publies.csv), le code à défaut."""
    return labels("indicateurs_publies.csv").get(code or "", code or "")


_SCHEMA = {
    "mois": pl.Date,
    "niveau": pl.String,
    "code_geo": pl.String,
    "libelle_geo": pl.String,
    "couloir": pl.String,
    "documents": pl.Int64,
}


@dataclass(frozen=True)
class HeadlineChange:
    """Un chiffre de tête changé : périmètre, mois, couloir, avant → après ; `publie` quand il était publié."""

    mois: object
    niveau: str
    code_geo: str
    libelle_geo: str
    couloir: str
    avant: int | None
    apres: int | None
    valeur_publiee: float | None = None
    indicateur_publie: str | None = None
    source_publiee: str | None = None

    @property
    def publie(self) -> bool:
        return self.valeur_publiee is not None

    def __str__(self) -> str:
        perimetre = "France" if self.niveau == "pays" else f"{self.libelle_geo} ({self.code_geo})"
        couloir = "tous couloirs" if self.couloir == ALL_COULOIRS else f"couloir {self.couloir}"
        text = (
            f"{perimetre}, {formats.month(self.mois)}, {couloir} : "  # type: ignore[arg-type]
            f"{formats.integer(self.avant)} → {formats.integer(self.apres)}"
        )
        if self.publie:
            text += (
                f" — RÉVISION D'UN CHIFFRE PUBLIÉ ({published_label(self.indicateur_publie)} : "
                f"{formats.integer(self.valeur_publiee)}, "
                f"source {self.source_publiee}) : inscrite aux errata"
            )
        return text


def headline_totals(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Les chiffres de tête courants : documents de la France et de chaque région, par mois et couloir."""
    try:
        return con.sql(named_statements("queries/headlines.sql")["totals"]).pl().cast(_SCHEMA)
    except duckdb.CatalogException:  # entrepôt neuf : aucun indicateur encore
        return pl.DataFrame(schema=_SCHEMA)


def changed_totals(before: pl.LazyFrame, after: pl.LazyFrame) -> pl.LazyFrame:
    """Chiffres de tête qui existaient avant l'import et dont la valeur a changé (ou disparu) : avant, après."""
    return (
        before.join(after.select(*KEYS, pl.col("documents").alias("apres")), on=KEYS, how="left")
        .rename({"documents": "avant"})
        .filter(pl.col("apres").is_null() | (pl.col("apres") != pl.col("avant")))
    )


def in_reading_order(changes: pl.LazyFrame) -> pl.LazyFrame:
    """La France d'abord, puis les régions ; dans chacune, tous couloirs d'abord, puis chaque couloir et chaque mois."""
    return changes.sort(
        [pl.col("niveau") != "pays", "code_geo", pl.col("couloir") != ALL_COULOIRS, "couloir", "mois"]
    )


def new_totals(before: pl.LazyFrame, after: pl.LazyFrame) -> pl.LazyFrame:
    """Chiffres de tête créés par l'import (un mois ou un périmètre nouveau)."""
    return after.join(before.select(KEYS), on=KEYS, how="anti")


def published_figures(published: pl.LazyFrame) -> pl.LazyFrame:
    """Chiffres publiés de flux rapportés à un chiffre de tête : documents du mois (valeur telle quelle) ou rythme
    annuel (÷ 12), national (`TOUS`) ou d'un couloir ; mois AAAA-MM seulement."""
    scoped = published.filter(
        (pl.col("theme") == "flux")
        & pl.col("indicateur").is_in(["documents_envoyes_mois", "flux_annualise"])
        & (pl.col("date_ref").str.len_chars() == 7)
    )
    return scoped.select(
        (pl.col("date_ref") + "-01").str.to_date().alias("mois"),
        pl.lit("pays").alias("niveau"),
        pl.lit("FR").alias("code_geo"),
        pl.when(pl.col("perimetre") == "national")
        .then(pl.lit(ALL_COULOIRS))
        .otherwise(pl.col("perimetre"))
        .alias("couloir"),
        pl.col("indicateur").alias("indicateur_publie"),
        pl.col("valeur").cast(pl.Float64).alias("valeur_publiee"),
        pl.col("source").alias("source_publiee"),
    )


def diffused_figures(diffused: pl.LazyFrame) -> pl.LazyFrame:
    """Chiffres de tête d'un paquet de transparence déjà diffusé (le dernier qui les contenait), comme chiffres
    publiés : documents du mois, avec le paquet pour source."""
    return diffused.select(
        *KEYS,
        pl.lit("documents_envoyes_mois").alias("indicateur_publie"),
        pl.col("documents").cast(pl.Float64).alias("valeur_publiee"),
        pl.format(
            "paquet de transparence du {}{}",
            pl.col("publie_le").dt.strftime("%d/%m/%Y"),
            pl.when(pl.col("donnees_demo")).then(pl.lit(" (démonstration)")).otherwise(pl.lit("")),
        ).alias("source_publiee"),
    )


def flag_published(
    changes: pl.LazyFrame, published: pl.LazyFrame, diffused: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Chaque changement, avec le chiffre publié du même mois, périmètre et couloir s'il y en a un : un chiffre
    officiel (`chiffres_publies`, documents du mois avant rythme annuel) d'abord, sinon celui du dernier paquet de
    transparence diffusé."""
    first = published_figures(published).sort("indicateur_publie").unique(KEYS, keep="first")
    if diffused is not None:
        from_packages = diffused_figures(diffused).join(first.select(KEYS), on=KEYS, how="anti")
        first = pl.concat([first, from_packages.select(first.collect_schema().names())])
    return changes.join(first, on=KEYS, how="left")


def compare(
    con: duckdb.DuckDBPyConnection, before: pl.DataFrame, after: pl.DataFrame
) -> tuple[list[HeadlineChange], int]:
    """(chiffres de tête changés, marqués quand ils étaient publiés ; nombre de chiffres de tête nouveaux)."""
    published = con.sql(
        "SELECT theme, indicateur, perimetre, date_ref, valeur, source FROM chiffres_publies"
    ).pl()
    diffused = con.sql(named_statements("queries/headlines.sql")["last_diffused"]).pl()
    changed = in_reading_order(
        flag_published(changed_totals(before.lazy(), after.lazy()), published.lazy(), diffused.lazy())
    ).collect()
    created = new_totals(before.lazy(), after.lazy()).select(pl.len()).collect().item()
    return [HeadlineChange(**row) for row in changed.iter_rows(named=True)], int(created)


def record_errata(con: duckdb.DuckDBPyConnection, import_id: int, changes: list[HeadlineChange]) -> None:
    """Inscrit aux errata (`revisions_publiees`) chaque chiffre publié que l'import change, avec les deux valeurs."""
    rows = [c for c in changes if c.publie]
    if not rows:
        return
    frame = pl.DataFrame(
        {
            "import_id": [import_id] * len(rows),
            "mois": [c.mois for c in rows],
            "niveau": [c.niveau for c in rows],
            "code_geo": [c.code_geo for c in rows],
            "couloir": [c.couloir for c in rows],
            "indicateur_publie": [c.indicateur_publie for c in rows],
            "valeur_publiee": [c.valeur_publiee for c in rows],
            "source_publiee": [c.source_publiee for c in rows],
            "documents_avant": [c.avant for c in rows],
            "documents_apres": [c.apres for c in rows],
        },
        schema={
            "import_id": pl.Int32, "mois": pl.Date, "niveau": pl.String, "code_geo": pl.String, "couloir": pl.String,
            "indicateur_publie": pl.String, "valeur_publiee": pl.Float64, "source_publiee": pl.String,
            "documents_avant": pl.Int64, "documents_apres": pl.Int64,
        },
    )  # fmt: skip
    con.register("revisions_du_lot", frame)
    try:
        con.execute(named_statements("queries/headlines.sql")["record_errata"])
    finally:
        con.unregister("revisions_du_lot")


def summary(changes: list[HeadlineChange], created: int) -> str:
    """« 3 chiffre(s) de tête modifié(s), dont 1 chiffre publié révisé ; 152 nouveau(x) »."""
    parts = []
    if changes:
        published = sum(c.publie for c in changes)
        text = f"{formats.integer(len(changes))} chiffre(s) de tête modifié(s)"
        if published:
            text += (
                f", dont {formats.integer(published)} chiffre(s) publié(s) révisé(s) (inscrits aux errata)"
            )
        parts.append(text)
    if created:
        parts.append(f"{formats.integer(created)} chiffre(s) de tête nouveau(x)")
    return " ; ".join(parts) or "aucun chiffre de tête (France, régions) modifié"


def record_diffusion(
    con: duckdb.DuckDBPyConnection, flux: pl.DataFrame, mois_paquet: object, demo: bool, when: object
) -> int:
    """Inscrit les chiffres de tête qu'un paquet de transparence vient de publier (`flux` : sa table
    `indicateurs_flux`) ; rend le nombre de chiffres inscrits. Les valeurs masquées (absentes) ne sont pas publiées,
    donc pas inscrites."""
    paquet_diffuse = flux.filter(
        pl.col("niveau").is_in(["pays", "region"]) & pl.col("documents").is_not_null()
    ).select(*KEYS, pl.col("documents").cast(pl.Int64))
    con.register("paquet_diffuse", paquet_diffuse)
    try:
        con.execute(named_statements("queries/headlines.sql")["record_diffusion"], [when, mois_paquet, demo])
    finally:
        con.unregister("paquet_diffuse")
    return paquet_diffuse.height
