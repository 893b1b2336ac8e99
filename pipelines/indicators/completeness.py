"""Complétude des mois : un mois est complet pour un périmètre (France, région, département) et un couloir quand
toutes les contributions attendues sont livrées (définitions : docs/INDICATEURS.md, « Complétude »).

Une contribution est ce qui compose la valeur d'un périmètre : ses sous-niveaux (régions de la France, départements
d'une région, établissements d'un département) et, quand il a été livré à son propre niveau, son total livré (« = »).
Les contributions attendues se déduisent de l'historique du flux : une contribution livrée au mois m est attendue
les `WINDOW` mois suivants. Un total livré est complet à lui seul. Le mois en cours n'est jamais complet.

Transformations pures LazyFrame → LazyFrame ; `refresh.py` en matérialise le résultat dans la table `completude`
(mois, niveau, code_geo, couloir, attendues, livrees, complet, …), lue par `latest_complete_month`.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import polars as pl

from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.indicators.establishments import dense_positions
from pipelines.indicators.trajectory import month_from_index, month_index
from pipelines.settings import get_settings

# Mois pendant lesquels une contribution reste attendue après sa dernière livraison : une géographie qui cesse
# d'envoyer rend incomplets les trois mois suivants, puis n'est plus attendue (à moins d'être déclarée dans
# data/reference/contributions_attendues.csv).
WINDOW = 3
SELF = "="  # la contribution « total livré au niveau du périmètre lui-même »
PARENT = ["niveau", "code_geo"]
COLUMNS = [
    "mois",
    "niveau",
    "code_geo",
    "couloir",
    "attendues",
    "livrees",
    "complet",
    "en_cours",
    "enfants_attendus",
    "enfants_livres",
    "couloirs_attendus",
    "couloirs_livres",
    "niveau_enfants",
]
_CHILD_LEVEL = {"pays": "region", "region": "departement", "departement": "etablissement"}
# Cases d'un bloc d'établissements (`establishment_family_counts`) : une demi-douzaine de tableaux d'un octet par case
# et les positions des cases vides attendues, ~60 Mo au plus.
_CELLS_PER_BLOCK = 8_000_000
# Cases d'une tranche de présence (un octet chacune) : 128 Mo au plus, quel que soit l'étalement des mois du fichier.
_PRESENCE_CELLS = 128_000_000


def absent_contributions(
    delivered: pl.LazyFrame, last_month: dt.date, window: int = WINDOW, parent: list[str] = PARENT
) -> pl.LazyFrame:
    """Contributions attendues et non livrées : une contribution (périmètre, unité, couloir) livrée au mois m est
    attendue les `window` mois suivants, jusqu'au dernier mois du flux ; chacun de ces mois sans elle la compte absente.

    Entrée : périmètre (`parent`), unite, couloir, mois (une ligne par livraison) ; sortie : les mêmes, mois absents."""
    keys = [*parent, "unite", "couloir"]
    last_t = last_month.year * 12 + last_month.month - 1
    # Trié par contribution puis mois : la livraison suivante est la ligne suivante quand elle est de la même
    # contribution (un décalage simple, bien moins coûteux qu'une fenêtre par groupe sur des millions de lignes).
    ordered = delivered.select(*keys, month_index("mois").alias("_t")).unique().sort([*keys, "_t"])
    same_contribution = pl.all_horizontal([pl.col(k) == pl.col(k).shift(-1) for k in keys])
    ordered = ordered.with_columns(
        pl.when(same_contribution).then(pl.col("_t").shift(-1)).otherwise(None).alias("_suivant")
    )
    gaps = ordered.with_columns(
        pl.min_horizontal(pl.col("_suivant").fill_null(last_t + 1) - 1, pl.col("_t") + window).alias("_fin")
    ).filter(pl.col("_fin") > pl.col("_t"))
    return (
        gaps.select(*keys, pl.int_ranges(pl.col("_t") + 1, pl.col("_fin") + 1).alias("_absent"))
        .explode("_absent")
        .select(*keys, month_from_index(pl.col("_absent")).alias("mois"))
    )


def declared_expectations(
    delivered: pl.LazyFrame, absent: pl.LazyFrame, declarations: pl.LazyFrame, first: dt.date, last: dt.date
) -> pl.LazyFrame:
    """Contributions déclarées (data/reference/contributions_attendues.csv) : attendues chaque mois de leur période
    (debut à fin, dans les mois du flux), et seulement alors ; pour elles, l'historique ne décide plus.

    `declarations` : niveau, code_geo (périmètre), unite, couloir, debut, fin (null : sans fin)."""
    keys = [*PARENT, "unite", "couloir"]
    kept = absent.join(declarations.select(keys).unique(), on=keys, how="anti")
    start = pl.max_horizontal(month_index("debut"), pl.lit(first.year * 12 + first.month - 1))
    end = pl.min_horizontal(
        month_index("fin").fill_null(last.year * 12 + last.month - 1), pl.lit(last.year * 12 + last.month - 1)
    )
    months = (
        declarations.select(*keys, pl.int_ranges(start, end + 1).alias("_t"))
        .explode("_t")
        .filter(pl.col("_t").is_not_null())
        .select(*keys, month_from_index(pl.col("_t")).alias("mois"))
    )
    missing = months.join(delivered.select(*keys, "mois"), on=[*keys, "mois"], how="anti")
    return pl.concat([kept.select(*keys, "mois"), missing]).unique()


def family_counts(
    delivered: pl.LazyFrame,
    last_month: dt.date,
    window: int = WINDOW,
    parent: list[str] = PARENT,
    declarations: pl.LazyFrame | None = None,
    first_month: dt.date | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Comptes d'une famille de contributions (établissements, départements, régions ou totaux livrés) : par
    périmètre × couloir × mois, `attendues` (livrées + absentes), `livrees` (livrées et complètes) et `presentes` ;
    par périmètre × mois, `enfants_attendus` et `enfants_livres` (unités distinctes, tous couloirs, hors total livré).
    Entrée : périmètre (`parent`), unite, couloir, mois, complet ; `declarations` : voir `declared_expectations`."""
    absent = absent_contributions(delivered, last_month, window, parent)
    if declarations is not None and first_month is not None:
        absent = declared_expectations(delivered, absent, declarations, first_month, last_month)
    keys = [*parent, "couloir", "mois"]
    present = delivered.group_by(keys).agg(
        pl.len().alias("presentes"), pl.col("complet").sum().alias("livrees")
    )
    missing = absent.group_by(keys).agg(pl.len().alias("_absentes"))
    counts = (
        present.join(missing, on=keys, how="full", coalesce=True)
        .with_columns(pl.col("presentes", "_absentes", "livrees").fill_null(0).cast(pl.Int64))
        .select(*keys, (pl.col("presentes") + pl.col("_absentes")).alias("attendues"), "livrees", "presentes")
    )
    month_keys = [*parent, "mois"]
    children = pl.col("unite").filter(pl.col("unite") != SELF) if _is_text(delivered) else pl.col("unite")
    expected = pl.concat([delivered.select(*month_keys, "unite"), absent.select(*month_keys, "unite")])
    kids = (
        expected.group_by(month_keys)
        .agg(children.n_unique().alias("enfants_attendus"))
        .join(
            delivered.group_by(month_keys).agg(children.n_unique().alias("enfants_livres")),
            on=month_keys,
            how="left",
        )
        .with_columns(pl.col("enfants_attendus", "enfants_livres").fill_null(0).cast(pl.Int64))
    )
    return counts, kids


def _is_text(frame: pl.LazyFrame) -> bool:
    return frame.collect_schema()["unite"] == pl.String


def combine_families(
    families: list[tuple[pl.LazyFrame, pl.LazyFrame]], declared: pl.LazyFrame
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Les comptes de toutes les familles d'un niveau, additionnés (leurs unités sont disjointes) ; un périmètre dont
    le total est livré ce mois-là (`declared` : niveau, code_geo, couloir, mois) est complet à lui seul. Rend (par
    couloir : attendues, livrees, presentes, complet ; par mois : enfants_attendus, enfants_livres)."""
    keys = [*PARENT, "couloir", "mois"]
    counts = (
        pl.concat([c for c, _ in families])
        .group_by(keys)
        .agg(pl.col("attendues").sum(), pl.col("livrees").sum(), pl.col("presentes").sum())
    )
    own = declared.select(*keys).unique().with_columns(pl.lit(True).alias("_livre"))
    by_couloir = (
        counts.join(own, on=keys, how="left")
        .with_columns(
            pl.when(pl.col("_livre").fill_null(False))
            .then(pl.col("attendues"))
            .otherwise(pl.col("livrees"))
            .alias("livrees")
        )
        .with_columns((pl.col("livrees") == pl.col("attendues")).alias("complet"))
        .drop("_livre")
    )
    month_keys = [*PARENT, "mois"]
    kids = (
        pl.concat([k for _, k in families])
        .group_by(month_keys)
        .agg(pl.col("enfants_attendus").sum(), pl.col("enfants_livres").sum())
    )
    return by_couloir, kids


def establishment_family_counts(
    deliveries: pl.DataFrame, last_month: dt.date, window: int = WINDOW
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`family_counts` des établissements, chaque livraison complète : par parent × couloir × mois, `attendues`,
    `livrees` et `presentes` ; par parent × mois, `enfants_attendus` et `enfants_livres`. Entrée : unite, parent,
    couloir, mois, en numéros (une ligne par livraison ; un établissement n'a qu'un parent ; aucun mois après
    `last_month`, le dernier mois du flux, qui comprend les sommes des établissements).

    Des millions de livraisons : trier et regrouper leurs clés coûte plusieurs secondes à 10 M de livraisons. Ici,
    chaque livraison a sa case dans un cube établissement × couloir × mois (numpy, bloc d'établissements par bloc) ;
    une case vide est absente quand l'une des `window` cases à sa gauche est livrée et qu'elle ne dépasse pas
    `last_month`. Les comptes s'additionnent dans un cube parent × couloir × mois (quelques milliers de cases)."""
    columns = deliveries.select(
        pl.col("unite"), pl.col("parent"), pl.col("couloir"), month_index("mois").cast(pl.Int32).alias("_t")
    ).to_dict()
    unit_ids, unit = dense_positions(columns["unite"].to_numpy())
    couloir_ids, couloir = dense_positions(columns["couloir"].to_numpy())
    parent_ids, parent_position = dense_positions(columns["parent"].to_numpy())
    months = columns["_t"].to_numpy()
    last_t = last_month.year * 12 + last_month.month - 1
    first = int(months.min()) if months.size else last_t
    span = max(int(months.max(initial=first)), last_t) - first + 1
    # Établissements rangés par parent : ceux d'un même parent se suivent, et leurs comptes par mois sont des sommes
    # de tranches contiguës (`np.add.reduceat`).
    unit_parent = np.zeros(unit_ids.size, dtype=np.int64)
    unit_parent[unit] = parent_position
    by_parent = np.argsort(unit_parent, kind="stable")
    rank = np.empty_like(by_parent)
    rank[by_parent] = np.arange(by_parent.size)
    unit_parent = unit_parent[by_parent]
    n_couloirs, n_parents = couloir_ids.size, parent_ids.size
    per_unit = n_couloirs * span
    month = months - first
    present = np.bincount(
        (parent_position * n_couloirs + couloir) * span + month, minlength=n_parents * per_unit
    )
    absent = np.zeros_like(present)
    delivered_units = np.zeros((n_parents, span), dtype=np.int64)
    expected_units = np.zeros_like(delivered_units)
    within_feed = np.arange(span) <= last_t - first  # au-delà du dernier mois du flux, rien n'est attendu
    # Présence de chaque livraison, un octet par case, par tranches d'établissements d'au plus `_PRESENCE_CELLS`
    # cases : un bloc en est une tranche contiguë. À l'échelle nationale une seule tranche suffit (170 000
    # établissements × 6 couloirs × 61 mois = 62 M de cases) et les livraisons ne se trient pas (1 s à 10 M de
    # livraisons) ; au-delà (un fichier aux mois très dispersés), elles se rangent d'abord par tranche.
    step = max(1, _CELLS_PER_BLOCK // max(per_unit, 1))
    part_units = max(step, _PRESENCE_CELLS // max(per_unit, 1) // step * step)
    unit_rank = rank[unit]
    cells = (unit_rank * n_couloirs + couloir) * span + month
    bounds = [0, cells.size]
    if unit_ids.size > part_units:
        part = unit_rank // part_units
        n_parts = -(-unit_ids.size // part_units)
        # numpy trie les entiers de 16 bits par base (linéaire).
        order = np.argsort(part.astype(np.int16 if n_parts < 2**15 else np.int64), kind="stable")
        cells, part = cells[order], part[order]
        bounds = list(np.searchsorted(part, np.arange(n_parts + 1)))
        del part, order
    del unit_rank
    for number, part_low in enumerate(range(0, unit_ids.size, part_units)):
        part_high = min(part_low + part_units, unit_ids.size)
        presence = np.zeros((part_high - part_low) * per_unit, dtype=bool)
        presence[cells[bounds[number] : bounds[number + 1]] - part_low * per_unit] = True
        for low in range(part_low, part_high, step):
            high = min(low + step, part_high)
            first_cell = (low - part_low) * per_unit
            cube = presence[first_cell : first_cell + (high - low) * per_unit].reshape(
                high - low, n_couloirs, span
            )
            _count_block(
                cube, unit_parent[low:high], window, within_feed, (absent, delivered_units, expected_units)
            )
    return _counts_frames(
        (present, absent, delivered_units, expected_units),
        (parent_ids, couloir_ids, first, span),
        {name: deliveries.schema[name] for name in ("parent", "couloir")},
    )


def _count_block(
    cube: np.ndarray,
    parents: np.ndarray,
    window: int,
    within_feed: np.ndarray,
    totals: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Ajoute aux comptes (`totals` : absentes par parent × couloir × mois, établissements livrés et attendus par
    parent × mois) ceux d'un bloc d'établissements : `cube`, sa présence établissement × couloir × mois ;
    `parents`, la position du parent de chacun (rangés par parent)."""
    absent, delivered_units, expected_units = totals
    per_unit = cube.shape[1] * cube.shape[2]
    recent = np.zeros_like(cube)
    for shift in range(1, window + 1):
        recent[:, :, shift:] |= cube[:, :, :-shift]
    missing = recent & ~cube & within_feed
    del recent
    # Peu de cases : les mois sans livraison dans les `window` mois qui suivent une livraison.
    gaps = np.flatnonzero(missing)
    absent += np.bincount(parents[gaps // per_unit] * per_unit + gaps % per_unit, minlength=absent.size)
    starts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
    delivered_any = cube.any(axis=1)
    for grid, target in (
        (delivered_any, delivered_units),
        (delivered_any | missing.any(axis=1), expected_units),
    ):
        target[parents[starts]] += np.add.reduceat(grid, starts, axis=0, dtype=np.int64)


def _counts_frames(
    sums: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    axes: tuple[np.ndarray, np.ndarray, int, int],
    dtypes: dict[str, pl.DataType],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Les cubes de comptes en lignes : une par case où une contribution est livrée ou attendue."""
    present, absent, delivered_units, expected_units = (total.reshape(-1) for total in sums)
    parent_ids, couloir_ids, first, span = axes
    kept = np.flatnonzero(present + absent)
    p, c, t = np.unravel_index(kept, (parent_ids.size, couloir_ids.size, span))
    counts = pl.DataFrame(
        {
            "parent": pl.Series(parent_ids[p]).cast(dtypes["parent"]),
            "couloir": pl.Series(couloir_ids[c]).cast(dtypes["couloir"]),
            "_t": t + first,
            "attendues": present[kept] + absent[kept],
            "livrees": present[kept],
            "presentes": present[kept],
        }
    )
    kept = np.flatnonzero(expected_units)
    p, t = np.unravel_index(kept, (parent_ids.size, span))
    kids = pl.DataFrame(
        {
            "parent": pl.Series(parent_ids[p]).cast(dtypes["parent"]),
            "_t": t + first,
            "enfants_attendus": expected_units[kept],
            "enfants_livres": delivered_units[kept],
        }
    )
    as_month = month_from_index(pl.col("_t")).alias("mois")
    return (
        counts.select("parent", "couloir", as_month, "attendues", "livrees", "presentes"),
        kids.select("parent", as_month, "enfants_attendus", "enfants_livres"),
    )


def establishment_counts(
    establishments: pl.LazyFrame,
    establishment_parents: pl.LazyFrame,
    establishment_couloirs: pl.LazyFrame,
    last_month: dt.date,
    window: int = WINDOW,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Les contributions des établissements à leur rattachement (niveau, code_geo), par couloir et mois, et les
    établissements attendus et livrés de chaque rattachement (`establishment_family_counts`).

    `establishments` : les livraisons en numéros (unite, parent, couloir, mois) ; `establishment_parents` : parent
    (numéro) → niveau, code_geo du rattachement ; `establishment_couloirs` : couloir_id → couloir."""
    counts_rows, kids_rows = establishment_family_counts(establishments.collect(), last_month, window)
    counts = (
        counts_rows.lazy()
        .join(establishment_parents, on="parent")
        .join(establishment_couloirs.rename({"couloir": "_code", "couloir_id": "couloir"}), on="couloir")
        .drop("parent", "couloir")
        .rename({"_code": "couloir"})
        .select(*PARENT, "couloir", "mois", "attendues", "livrees", "presentes")
    )
    kids = (
        kids_rows.lazy()
        .join(establishment_parents, on="parent")
        .select(*PARENT, "mois", "enfants_attendus", "enfants_livres")
    )
    # Les comptes des établissements (des millions de livraisons, quelques milliers de lignes de comptes) servent aux
    # trois niveaux : calculés une fois, sinon chaque niveau relirait toutes les livraisons.
    counts_frame, kids_frame = pl.collect_all([counts, kids])
    return counts_frame.lazy(), kids_frame.lazy()


def geographic_completeness(
    consolidated: pl.LazyFrame,
    establishments: tuple[pl.LazyFrame, pl.LazyFrame],
    last_month: dt.date,
    window: int = WINDOW,
    declarations: pl.LazyFrame | None = None,
    first_month: dt.date | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Complétude de chaque département, région et de la France, par couloir, de bas en haut : un département se
    compose de ses établissements, une région de ses départements (et des établissements rattachés à elle seule), la
    France de ses régions (et des établissements sans région) ; chacun aussi de son total, s'il a été livré.

    `consolidated` : les flux consolidés par couloir (niveau, code_geo, code_region, couloir, mois, origine) ;
    `establishments` : les comptes des établissements par rattachement (`establishment_counts`) ; `declarations` :
    contributions déclarées des régions et départements (`declared_expectations`), à partir de `first_month`."""
    flux = consolidated.filter(pl.col("couloir") != ALL_COULOIRS)
    declared = flux.filter(pl.col("origine") == "declare")
    etab_counts, etab_kids = establishments

    def level(niveau: str, children: list[pl.LazyFrame]) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        own = declared.filter(pl.col("niveau") == niveau)
        own_units = own.select(
            *PARENT, pl.lit(SELF).alias("unite"), "couloir", "mois", pl.lit(True).alias("complet")
        )
        stated = declarations.filter(pl.col("niveau") == niveau) if declarations is not None else None
        families = [
            (etab_counts.filter(pl.col("niveau") == niveau), etab_kids.filter(pl.col("niveau") == niveau)),
            family_counts(own_units, last_month, window),
            *(family_counts(units, last_month, window, PARENT, stated, first_month) for units in children),
        ]
        by_couloir, kids = combine_families(families, own)
        return by_couloir.collect().lazy(), kids.collect().lazy()

    def as_children(rows: pl.LazyFrame, status: pl.LazyFrame, niveau: str, code: pl.Expr) -> pl.LazyFrame:
        keys = ["code_geo", "couloir", "mois"]
        known = rows.select(*keys, "code_region").join(status.select(*keys, "complet"), on=keys, how="left")
        return known.select(
            pl.lit(niveau).alias("niveau"),
            code.alias("code_geo"),
            pl.col("code_geo").alias("unite"),
            "couloir",
            "mois",
            pl.col("complet").fill_null(True),
        )

    deps, dep_kids = level("departement", [])
    dep_rows = flux.filter((pl.col("niveau") == "departement") & (pl.col("code_region") != ""))
    regions, region_kids = level("region", [as_children(dep_rows, deps, "region", pl.col("code_region"))])
    region_rows = flux.filter(pl.col("niveau") == "region")
    pays, pays_kids = level("pays", [as_children(region_rows, regions, "pays", pl.lit("FR"))])
    return pl.concat([deps, regions, pays]), pl.concat([dep_kids, region_kids, pays_kids])


def all_couloirs_counts(by_couloir: pl.LazyFrame, delivered: str) -> pl.LazyFrame:
    """Le couloir `TOUS` d'un périmètre et d'un mois : contributions additionnées, complet quand chaque couloir l'est,
    couloirs attendus et couloirs livrés (ceux dont `delivered` est positif)."""
    return by_couloir.group_by([*PARENT, "mois"]).agg(
        pl.col("attendues").sum(),
        pl.col("livrees").sum(),
        pl.col("complet").all(),
        pl.len().cast(pl.Int64).alias("couloirs_attendus"),
        (pl.col(delivered) > 0).sum().cast(pl.Int64).alias("couloirs_livres"),
    )


def with_all_couloirs(
    by_couloir: pl.LazyFrame, children: pl.LazyFrame, current_month: dt.date
) -> pl.LazyFrame:
    """Ajoute le couloir `TOUS` (complet quand chaque couloir attendu l'est ; contributions additionnées), les comptes
    de sous-niveaux et de couloirs, et rend provisoire tout mois qui n'est pas achevé (`en_cours`)."""
    keys = [*PARENT, "mois"]
    total = all_couloirs_counts(by_couloir, "presentes")
    couloirs = total.select(*keys, "couloirs_attendus", "couloirs_livres")
    rows = pl.concat(
        [
            by_couloir.select(*keys, "couloir", "attendues", "livrees", "complet"),
            total.with_columns(pl.lit(ALL_COULOIRS).alias("couloir")).select(
                *keys, "couloir", "attendues", "livrees", "complet"
            ),
        ]
    )
    under_way = pl.col("mois") >= pl.lit(current_month.replace(day=1))
    return (
        rows.join(children, on=keys, how="left")
        .join(couloirs, on=keys, how="left")
        .with_columns(
            under_way.alias("en_cours"),
            (pl.col("complet") & ~under_way).alias("complet"),
            pl.col("niveau").replace_strict(_CHILD_LEVEL, default=None).alias("niveau_enfants"),
        )
        .with_columns(
            pl.col("enfants_attendus", "enfants_livres", "couloirs_attendus", "couloirs_livres").fill_null(0)
        )
        .select(COLUMNS)
        .sort(["niveau", "code_geo", "couloir", "mois"])
    )


def completeness(
    consolidated: pl.LazyFrame,
    establishments: pl.LazyFrame,
    establishment_parents: pl.LazyFrame,
    establishment_couloirs: pl.LazyFrame,
    current_month: dt.date,
    declarations: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """La table `completude` entière : chaque périmètre × couloir (et `TOUS`) × mois où une contribution est livrée
    ou attendue ; le dernier mois du flux borne l'attente. `declarations` : contributions déclarées dans
    data/reference/contributions_attendues.csv, rapportées à leur périmètre (`declared_expectations`)."""
    last = feed_months(consolidated)[1]
    if last is None:
        return pl.LazyFrame(schema=SCHEMA)
    counts = establishment_counts(establishments, establishment_parents, establishment_couloirs, last)
    return completeness_from_counts(consolidated, counts, current_month, declarations)


def completeness_from_counts(
    consolidated: pl.LazyFrame,
    counts: tuple[pl.LazyFrame, pl.LazyFrame],
    today: dt.date,
    declared: pl.LazyFrame | None,
) -> pl.LazyFrame:
    """`completeness`, les comptes des établissements déjà faits (`establishment_counts`, ou leur table tenue à jour
    mois par mois à l'import) ; `today` : le mois en cours, jamais complet."""
    first, last = feed_months(consolidated)
    if last is None:
        return pl.LazyFrame(schema=SCHEMA)
    by_couloir, children = geographic_completeness(consolidated, counts, last, WINDOW, declared, first)
    return with_all_couloirs(by_couloir, children, today).cast(SCHEMA)  # type: ignore[arg-type]


def feed_months(consolidated: pl.LazyFrame) -> tuple[dt.date | None, dt.date | None]:
    """Premier et dernier mois du flux consolidé ; le dernier borne l'attente des contributions."""
    first, last = (
        consolidated.select(pl.col("mois").min().alias("premier"), pl.col("mois").max().alias("dernier"))
        .collect()
        .row(0)
    )
    return first, last


SCHEMA = {
    "mois": pl.Date,
    "niveau": pl.String,
    "code_geo": pl.String,
    "couloir": pl.String,
    "attendues": pl.Int64,
    "livrees": pl.Int64,
    "complet": pl.Boolean,
    "en_cours": pl.Boolean,
    "enfants_attendus": pl.Int64,
    "enfants_livres": pl.Int64,
    "couloirs_attendus": pl.Int64,
    "couloirs_livres": pl.Int64,
    "niveau_enfants": pl.String,
}


def current_month() -> dt.date:
    """Le mois en cours (date du jour des réglages, `MES_AUJOURDHUI` pour les tests)."""
    return get_settings().today().replace(day=1)


def latest_complete_month(con: duckdb.DuckDBPyConnection, niveau: str, code_geo: str) -> dt.date | None:
    """Dernier mois complet du périmètre, tous couloirs, avant le mois en cours ; None s'il n'y en a aucun. Un
    entrepôt sans table `completude` (antérieur à sa création, jamais réécrit) rend son dernier mois connu."""
    try:
        rows = con.execute(
            "SELECT max(mois) FROM completude WHERE niveau = ? AND code_geo = ? AND couloir = ? AND complet "
            "AND mois < ?",
            [niveau, code_geo, ALL_COULOIRS, current_month()],
        ).fetchall()
    except duckdb.CatalogException:
        rows = con.execute(
            "SELECT max(mois) FROM indicateurs_flux WHERE niveau = ? AND code_geo = ? AND couloir = ?",
            [niveau, code_geo, ALL_COULOIRS],
        ).fetchall()
    return rows[0][0] if rows else None


def month_status(
    con: duckdb.DuckDBPyConnection, niveau: str, code_geo: str, mois: dt.date
) -> dict[str, object]:
    """Complétude d'un mois pour un périmètre, tous couloirs : complet, contributions, sous-niveaux et couloirs."""
    try:
        rows = con.execute(
            "SELECT * FROM completude WHERE niveau = ? AND code_geo = ? AND couloir = ? AND mois = ?",
            [niveau, code_geo, ALL_COULOIRS, mois],
        ).fetchall()
        columns = [d[0] for d in con.description or []]
    except duckdb.CatalogException:
        rows, columns = [], []
    if not rows:
        return {"complet": mois < current_month(), "attendues": None, "livrees": None}
    status = dict(zip(columns, rows[0], strict=True))
    status["complet"] = bool(status["complet"]) and mois < current_month()
    return status
