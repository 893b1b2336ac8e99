"""Règles de diffusion publique : séries internes, secret statistique primaire et secondaire, neutralisation des
formules de tableur.

Une seule mise en œuvre pour le paquet de transparence (`publish/export.py`) et le site public (mode `public`) :
`published_tables` rend les tables publiées ; les autres fonctions sont des transformations pures de DataFrames.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.flux import (
    annualise,
    couloir_shares,
    evolutions,
    multiplier_since_base,
)
from pipelines.settings import REFERENCE_DIR

MASK_TEXT = "< 11"
SECONDARY_MASK_TEXT = "secret"
MASK_MIN, MASK_MAX = 1, 10
MASKED_LEVELS = ("departement", "etablissement")
# Colonnes qui révèlent le compte masqué (directement ou par un rapport) : effacées sur une ligne masquée.
COUNT_COLUMNS = (
    "documents",
    "flux_annualise",
    "cumul_12_mois",
    "documents_ventiles",
    "non_ventile",
    "documents_m1",
    "documents_m12",
)
DERIVED_COLUMNS = (
    "documents_par_habitant_an",
    "part_couloir",
    "evolution_1_mois",
    "evolution_12_mois",
    "evolution_depuis_cosui",
    "multiplicateur_depuis_base",
    "taux_atteinte_cible",
    "ecart_cible_mensuel",
)
FORMULA_START = r"^[=+\-@\t\r]"


def internal_rules() -> pl.DataFrame:
    """Séries internes déclarées dans `data/reference/diffusion.csv` (table, colonne, valeur, motif)."""
    return pl.read_csv(REFERENCE_DIR / "diffusion.csv", infer_schema=False)


def drop_internal(frame: pl.DataFrame, table: str, rules: pl.DataFrame) -> pl.DataFrame:
    """Retire les lignes des séries marquées internes pour cette table : elles ne quittent jamais l'entrepôt."""
    for rule in rules.filter(pl.col("table") == table).iter_rows(named=True):
        if rule["colonne"] in frame.columns:
            frame = frame.filter(pl.col(rule["colonne"]).cast(pl.String).fill_null("") != rule["valeur"])
    return frame


def exclude_internal(frame: pl.DataFrame, table: str, rules: pl.DataFrame) -> pl.DataFrame:
    """Séries internes : leurs lignes ne sont pas publiées et le total `TOUS` publié est celui des couloirs publiés
    (total diminué des séries internes, indicateurs dérivés recalculés) : aucune soustraction ne les retrouve."""
    internal = [
        r["valeur"]
        for r in rules.filter((pl.col("table") == table) & (pl.col("colonne") == "couloir")).iter_rows(
            named=True
        )
    ]
    others = drop_internal(frame, table, rules.filter(pl.col("colonne") != "couloir"))
    if not internal or "couloir" not in frame.columns:
        return others
    keys = [c for c in ("mois", "niveau", "code_geo") if c in frame.columns]
    linear = [
        c
        for c in (
            "documents",
            "documents_ventiles",
            "non_ventile",
            "cumul_12_mois",
            "documents_m1",
            "documents_m12",
        )
        if c in frame.columns
    ]
    removed = (
        others.filter(pl.col("couloir").is_in(internal))
        .group_by(keys)
        .agg([pl.col(c).sum().alias(f"_interne_{c}") for c in linear])
    )
    published = others.filter(~pl.col("couloir").is_in(internal)).join(removed, on=keys, how="left")
    total = pl.col("couloir") == ALL_COULOIRS
    published = published.with_columns(
        [
            pl.when(total)
            .then(pl.col(c) - pl.col(f"_interne_{c}").fill_null(0))
            .otherwise(pl.col(c))
            .alias(c)
            for c in linear
        ]
    ).drop([f"_interne_{c}" for c in linear])
    return _recompute_derived(published).select(frame.columns)


def _recompute_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """Les indicateurs dérivés des comptes (mêmes définitions que `indicators/flux.py`), après retrait d'une série."""
    if "flux_annualise" not in frame.columns:
        return frame
    lazy = frame.lazy().pipe(annualise)
    if "part_couloir" in frame.columns:
        lazy = lazy.drop("part_couloir").pipe(couloir_shares)
    if "evolution_1_mois" in frame.columns:
        lazy = lazy.drop("documents_m1", "documents_m12", "evolution_1_mois", "evolution_12_mois").pipe(
            evolutions
        )
    if "multiplicateur_depuis_base" in frame.columns:
        lazy = lazy.drop("mois_base", "multiplicateur_depuis_base").pipe(multiplier_since_base)
    out = lazy.collect()
    if "documents_par_habitant_an" in out.columns:
        out = out.with_columns(
            (pl.col("flux_annualise") / pl.col("population")).alias("documents_par_habitant_an")
        )
    if "taux_atteinte_cible" in out.columns:
        out = out.with_columns(
            (pl.col("flux_annualise") / pl.col("cible")).alias("taux_atteinte_cible"),
            (pl.col("cible") / 12 - pl.col("documents")).alias("ecart_cible_mensuel"),
        )
    if "evolution_depuis_cosui" in out.columns:
        series = ["niveau", "code_geo", "couloir"]
        reference = out.select(
            *series, pl.col("mois").alias("mois_reference_cosui"), pl.col("documents").alias("_ref")
        )
        out = (
            out.join(reference, on=[*series, "mois_reference_cosui"], how="left")
            .with_columns(
                pl.when(pl.col("_ref") > 0)
                .then(pl.col("documents") / pl.col("_ref") - 1)
                .alias("evolution_depuis_cosui")
            )
            .drop("_ref")
        )
    return out


def primary_secret(frame: pl.DataFrame) -> pl.Series:
    """Secret primaire : aux niveaux département et établissement, un nombre de documents de 1 à 10."""
    return frame.select(
        (
            pl.col("niveau").is_in(MASKED_LEVELS) & pl.col("documents").is_between(MASK_MIN, MASK_MAX)
        ).fill_null(False)
    ).to_series()


def _secrecy_groups(frame: pl.DataFrame) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """Les groupes dont la somme est publiée : (membres `_i, _g, documents`, total `_g, _t`). Couloirs de `TOUS`
    (même mois et géographie), départements d'une région, régions de la France, établissements d'un département."""
    indexed = frame.with_row_index("_i")
    columns = set(frame.columns)
    groups: list[tuple[pl.DataFrame, pl.DataFrame]] = []

    def add(
        members: pl.DataFrame, member_keys: list[str], totals: pl.DataFrame, total_keys: list[str]
    ) -> None:
        gid = pl.concat_str([pl.col(c).cast(pl.String) for c in member_keys], separator="|").alias("_g")
        tid = pl.concat_str([pl.col(c).cast(pl.String) for c in total_keys], separator="|").alias("_g")
        groups.append(
            (members.select("_i", gid, "documents", "code_geo"), totals.select(tid, pl.col("_i").alias("_t")))
        )

    def add_level(niveau: str, parent: str, parent_code: str | None = None) -> None:
        # Les membres d'un niveau face au total de leur parent, même mois et même couloir ; `parent_code` : la colonne
        # du membre qui porte le code du parent (la France, seule, n'en a pas besoin).
        member_link, total_link = ([parent_code], ["code_geo"]) if parent_code else ([], [])
        add(
            indexed.filter(pl.col("niveau") == niveau),
            ["mois", "couloir", *member_link],
            indexed.filter(pl.col("niveau") == parent),
            ["mois", "couloir", *total_link],
        )

    if "couloir" in columns:
        add(
            indexed.filter(pl.col("couloir") != ALL_COULOIRS),
            ["mois", "niveau", "code_geo"],
            indexed.filter(pl.col("couloir") == ALL_COULOIRS),
            ["mois", "niveau", "code_geo"],
        )
        if "code_region" in columns:
            add_level("departement", "region", "code_region")
        add_level("region", "pays")
        if "code_departement" in columns:
            add_level("etablissement", "departement", "code_departement")
    return groups


def secondary_secret(frame: pl.DataFrame, primary: pl.Series) -> pl.Series:
    """Secret secondaire : dans chaque groupe dont la somme est publiée (le total et ses membres), une case masquée
    seule entraîne le masque d'une autre : le plus petit membre non nul, ou le total quand aucun membre ne reste.
    Répété jusqu'à ce qu'aucun groupe n'ait exactement une case masquée."""
    flags = primary.to_numpy().copy()
    groups = _secrecy_groups(frame)
    for _ in range(100):
        new: set[int] = set()
        for members, totals in groups:
            marked = members.with_columns(pl.Series("_m", flags[members["_i"].to_numpy()]))
            stats = (
                marked.group_by("_g").agg(pl.col("_m").sum().alias("_n_m")).join(totals, on="_g", how="inner")
            )
            if stats.height == 0:
                continue
            stats = stats.with_columns(pl.Series("_t_m", flags[stats["_t"].to_numpy()]))
            lonely = stats.filter(pl.col("_n_m") + pl.col("_t_m").cast(pl.Int64) == 1)
            if lonely.height == 0:
                continue
            candidates = (
                marked.join(lonely.select("_g"), on="_g", how="semi")
                .filter(~pl.col("_m") & pl.col("documents").is_not_null())
                .sort([(pl.col("documents") <= 0), "documents", "code_geo"])
                .group_by("_g", maintain_order=True)
                .first()
            )
            new.update(candidates["_i"].to_list())
            # Aucun autre membre à masquer (groupe d'un seul membre, ou tous nuls) : le total protège la case.
            stuck = lonely.filter(~pl.col("_t_m")).join(candidates.select("_g"), on="_g", how="anti")
            new.update(stuck["_t"].to_list())
        new = {i for i in new if not flags[i]}
        if not new:
            break
        flags[list(new)] = True
    return pl.Series("masque_secret_statistique", flags)


def _flagged_cells(frame: pl.DataFrame) -> pl.DataFrame:
    series = [c for c in ("niveau", "code_geo", "couloir") if c in frame.columns]
    return frame.filter(pl.col("masque_secret_statistique")).select(*series, "mois")


def mask_small_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """Secret statistique : secret primaire (1 à 10 documents, département et établissement) puis secondaire. Une
    ligne masquée garde `masque_secret_statistique = vrai` (`masque_secondaire` dit lequel) ; ses comptes et les
    rapports qui les révèlent deviennent nuls, de même que ce qui, sur une autre ligne, reprend un compte masqué."""
    if "documents" not in frame.columns or "niveau" not in frame.columns:
        return frame
    primary = primary_secret(frame)
    both = secondary_secret(frame, primary) if "mois" in frame.columns else primary
    masked = frame.with_columns(
        both.alias("masque_secret_statistique"), (both & ~primary).alias("masque_secondaire")
    )
    hidden = [c for c in (*COUNT_COLUMNS, *DERIVED_COLUMNS) if c in frame.columns]
    masked = masked.with_columns(
        [
            pl.when(pl.col("masque_secret_statistique")).then(None).otherwise(pl.col(c)).alias(c)
            for c in hidden
        ]
    )
    if "mois" not in frame.columns or not bool(both.any()):
        return masked
    series = [c for c in ("niveau", "code_geo", "couloir") if c in frame.columns]
    cells = _flagged_cells(masked).with_columns(pl.lit(True).alias("_cache"))

    def hide_when(month: pl.Expr, columns: tuple[str, ...], lookup: pl.DataFrame = cells) -> None:
        nonlocal masked
        present = [c for c in columns if c in masked.columns]
        if not present:
            return
        probe = masked.with_columns(month.alias("_mois_cache")).join(
            lookup.rename({"mois": "_mois_cache"}), on=[*series, "_mois_cache"], how="left"
        )
        hit = probe["_cache"].fill_null(False)
        masked = masked.with_columns([pl.when(hit).then(None).otherwise(pl.col(c)).alias(c) for c in present])

    # Un compte masqué repris ailleurs : le mois précédent, douze mois plus tôt, le mois du COSUI, le mois de base.
    hide_when(pl.col("mois").dt.offset_by("-1mo"), ("documents_m1", "evolution_1_mois"))
    hide_when(pl.col("mois").dt.offset_by("-12mo"), ("documents_m12", "evolution_12_mois"))
    if "mois_reference_cosui" in masked.columns:
        hide_when(pl.col("mois_reference_cosui"), ("evolution_depuis_cosui",))
    if "mois_base" in masked.columns:
        hide_when(pl.col("mois_base"), ("multiplicateur_depuis_base",))
    # Un cumul sur 12 mois dont la fenêtre contient un mois masqué le rendrait par différence avec les autres mois
    # publiés : le cumul (le total du groupe) est masqué sur les 12 mois qui suivent.
    window = pl.concat(
        [cells.with_columns(pl.col("mois").dt.offset_by(f"{k}mo")) for k in range(12)]
    ).unique()
    hide_when(pl.col("mois"), ("cumul_12_mois",), window)
    # La part d'un couloir publié rendrait un total `TOUS` masqué (documents ÷ part).
    if "couloir" in masked.columns and "part_couloir" in masked.columns:
        totals = cells.filter(pl.col("couloir") == ALL_COULOIRS).drop("couloir")
        if totals.height:
            probe = masked.join(
                totals, on=[c for c in ("niveau", "code_geo", "mois") if c in masked.columns], how="left"
            )
            hit = probe["_cache"].fill_null(False)
            masked = masked.with_columns(
                pl.when(hit).then(None).otherwise(pl.col("part_couloir")).alias("part_couloir")
            )
    return masked


def public_revisions(revisions: pl.DataFrame) -> pl.DataFrame:
    """Révisions publiées : le mois, le nombre de valeurs révisées, l'import et sa date. Les sommes de documents
    avant et après restent internes : sur une relivraison partielle (un département, un couloir interne), elles
    rendraient une case masquée ou une série interne."""
    return revisions.select("import_id", "accepte_le", "mois", "valeurs_revisees", "donnees_demo")


def masked_together(flux: pl.DataFrame, establishments: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Le secret des flux et des établissements décidé ensemble : un département publié dans les flux est le total
    de ses établissements publiés à part ; masqués séparément, l'un rendrait l'autre par différence."""
    if establishments.height == 0:
        return mask_small_counts(flux), mask_small_counts(establishments)
    both = mask_small_counts(pl.concat([flux, establishments], how="diagonal_relaxed"))
    masks = ["masque_secret_statistique", "masque_secondaire"]
    is_establishment = pl.col("niveau") == "etablissement"
    return (
        both.filter(~is_establishment).select([*flux.columns, *masks]).cast(flux.schema),
        both.filter(is_establishment).select([*establishments.columns, *masks]).cast(establishments.schema),
    )


def published_tables(con: duckdb.DuckDBPyConnection, mois: dt.date | None = None) -> dict[str, pl.DataFrame]:
    """Les tables publiées (jusqu'au mois, sinon tout) : séries internes retirées des lignes et des totaux, secret
    primaire et secondaire appliqué. Le paquet de transparence et le site public lisent exactement celles-ci."""
    rules = internal_rules()
    until = mois or dt.date(9999, 12, 1)
    flux = con.sql(
        "SELECT * FROM indicateurs_flux WHERE mois <= ? ORDER BY niveau, code_geo, couloir, mois",
        params=[until],
    ).pl()
    establishments = con.sql(
        "SELECT * FROM indicateurs_etablissements WHERE mois <= ? ORDER BY code_geo, couloir, mois",
        params=[until],
    ).pl()
    flux_published, establishments_published = masked_together(
        exclude_internal(flux, "indicateurs_flux", rules),
        exclude_internal(establishments, "indicateurs_flux", rules),
    )
    tables = {
        "indicateurs_flux": flux_published,
        "trajectoires": published_trajectories(con, flux_published)[0],
        "indicateurs_sons": con.sql(
            "SELECT * FROM indicateurs_sons ORDER BY date_situation, vague, dispositif, niveau, code_geo"
        ).pl(),
        "indicateurs_sunes": con.sql(
            "SELECT * FROM indicateurs_sunes ORDER BY date_situation, fenetre, domaine, niveau, code_geo"
        ).pl(),
        "indicateurs_usage": _published_usage(con, until),
        "chiffres_publies": con.sql("SELECT * FROM chiffres_publies").pl(),
    }
    if establishments.height:
        tables["indicateurs_etablissements"] = establishments_published
    return {name: drop_internal(frame, name, rules) for name, frame in tables.items()}


def published_trajectories(
    con: duckdb.DuckDBPyConnection, flux_published: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Trajectoires et projections publiées, recalculées sur les flux publiés (même origine, le dernier mois complet
    de la France) : calculées sur le total interne, 12 × leur rythme observé − le total publié redonnerait les séries
    internes."""
    from pipelines.indicators.flux import target_scope
    from pipelines.indicators.trajectory import projection_path, trajectories
    from pipelines.warehouse.connection import named_statements

    last = con.execute("SELECT max(mois_dernier) FROM trajectoires").fetchall()[0][0]
    national = flux_published.lazy().filter(
        (pl.col("niveau") == "pays") & (pl.col("mois") <= last if last else pl.lit(False))
    )
    targets = target_scope(con.sql(named_statements("queries/indicator_inputs.sql")["cibles"]).pl().lazy())
    published = trajectories(national, targets).collect()
    stored = con.sql("SELECT * FROM trajectoires LIMIT 0").pl()
    return (
        published.select([c for c in stored.columns if c in published.columns]).sort("couloir"),
        projection_path(national).collect(),
    )


def _published_usage(con: duckdb.DuckDBPyConnection, until: dt.date) -> pl.DataFrame:
    """Les usages publiés jusqu'au mois, petits comptes des départements masqués (`usage_diffusion.py`)."""
    from pipelines.publish.usage_diffusion import mask_usage

    return mask_usage(
        con.sql(
            "SELECT * FROM indicateurs_usage WHERE mois <= ? ORDER BY indicateur, niveau, code_geo, mois",
            params=[until],
        ).pl()
    )


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Un texte qui commence par = + - @ (ou une tabulation) est préfixé d'une apostrophe : aucun tableur ne
    l'exécutera comme une formule."""
    text_columns = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.contains(FORMULA_START))
            .then(pl.lit("'") + pl.col(c))
            .otherwise(pl.col(c))
            .alias(c)
            for c in text_columns
        ]
    )


def spreadsheet_view(frame: pl.DataFrame) -> pl.DataFrame:
    """Vue tableur : les comptes masqués s'écrivent « < 11 » (colonnes texte), pour CSV et XLSX."""
    if "masque_secret_statistique" not in frame.columns:
        return frame
    counts = [c for c in COUNT_COLUMNS if c in frame.columns]
    mask_text = (
        pl.when(pl.col("masque_secondaire")).then(pl.lit(SECONDARY_MASK_TEXT)).otherwise(pl.lit(MASK_TEXT))
        if "masque_secondaire" in frame.columns
        else pl.lit(MASK_TEXT)
    )
    return frame.with_columns(
        [
            pl.when(pl.col("masque_secret_statistique"))
            .then(mask_text if c == "documents" else pl.lit(None, dtype=pl.String))
            .otherwise(pl.col(c).cast(pl.String))
            .alias(c)
            for c in counts
        ]
    )


def within_region(frame: pl.LazyFrame, region: str, departement_region: dict[str, str]) -> pl.LazyFrame:
    """Les lignes d'une table publiée qui regardent une région : la France (point de comparaison), la région, ses
    départements et ses établissements. Des lignes déjà publiées, filtrées : rien de masqué n'en devient lisible."""
    names = frame.collect_schema().names()
    if "niveau" not in names:
        return frame
    if "code_region" in names:
        region_of = pl.col("code_region")
    else:  # SONS, SUN-ES, trajectoires : la région d'un département d'après le référentiel
        region_of = pl.col("code_geo").replace_strict(departement_region, default=None)
    return frame.filter(
        (pl.col("niveau") == "pays")
        | ((pl.col("niveau") == "region") & (pl.col("code_geo") == region))
        | (pl.col("niveau").is_in(["departement", "etablissement"]) & (region_of == region))
    )
