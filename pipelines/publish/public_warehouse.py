"""L'entrepôt du site public : une base DuckDB en mémoire qui ne contient que ce que publie le paquet de
transparence (`diffusion.published_tables`) et les référentiels publics. Les pages du mode `public` y lisent avec
les mêmes requêtes que les autres modes : ce qui n'y est pas ne peut pas être affiché."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from pipelines.indicators.refresh import month_completeness
from pipelines.publish.diffusion import internal_rules, published_tables, published_trajectories

# Référentiels publics lus par les pages (jalons, dispositifs, échéances, errata publiés).
REFERENCE_QUERIES = {
    "jalons": "SELECT * FROM jalons",
    "ref_dispositifs": "SELECT * FROM ref_dispositifs",
    "echeances_sons": "SELECT * FROM echeances_sons",
    "errata": "SELECT * FROM errata",
    # Seule la mention « démonstration » du registre est publique (bandeau et filigrane).
    "imports": "SELECT donnees_demo FROM imports",
    # Page Méthode : les points d'usage publiés (et leur source), le journal des révisions sans les valeurs.
    "usage_publie": "SELECT * FROM usage_publie",
    "journal_revisions": "SELECT * FROM journal_revisions",
}


def public_database(
    con: duckdb.DuckDBPyConnection,
    mois: dt.date | None = None,
    published: dict[str, pl.DataFrame] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Une base en mémoire : les tables publiées (sans le détail par établissement) et les référentiels publics."""
    public = duckdb.connect(":memory:")
    tables = dict(published if published is not None else published_tables(con, mois))
    tables.pop("indicateurs_etablissements", None)
    for name, query in REFERENCE_QUERIES.items():
        tables[name] = con.sql(query).pl()
    # Projection nationale recalculée sur les flux publiés, comme les trajectoires (sans les séries internes).
    tables["projections"] = published_trajectories(con, tables["indicateurs_flux"])[1]
    # La complétude des mois (livraisons attendues et reçues, sans nombre de documents), hors séries internes.
    if _has_table(con, "completude"):
        internal = internal_rules().filter(pl.col("colonne") == "couloir")["valeur"].to_list()
        # Recalculée sans elles : ni leurs lignes, ni leurs contributions, ni un sous-niveau qui n'aurait livré
        # qu'elles.
        tables["completude"] = month_completeness(
            con, con.sql("SELECT * FROM indicateurs_flux").pl(), tuple(internal)
        )
    for name, frame in tables.items():
        public.register("_cadre", frame)
        public.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _cadre')
        public.unregister("_cadre")
    return public


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows and rows[0][0])


def table_names(public: duckdb.DuckDBPyConnection) -> list[str]:
    return sorted(pl.DataFrame(public.sql("SHOW TABLES").fetchall(), orient="row")["column_0"].to_list())
