"""Indicateurs des établissements (niveau FINESS) : les mêmes définitions que `flux.py`, réduites à ce qui a un sens
pour un établissement (documents, annualisé, cumul sur 12 mois, évolutions sur 1 et 12 mois).

À l'échelle nationale (100 000 structures × couloirs × 60 mois, des dizaines de millions de lignes), regrouper ou
trier ces lignes par leur clé coûte cher : hacher ou trier dix millions de clés prend une à deux secondes à chaque
étape. Ici, chaque valeur a sa case dans un cube dense établissement × couloir × mois (tableaux numpy, bloc
d'établissements par bloc) : réduire les types de documents est une addition indexée, « le même mois un an plus
tôt » est la case douze mois à gauche, le cumul sur 12 mois une différence de sommes cumulées. Tout est linéaire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl

from pipelines.warehouse.connection import first_row, named_statements

FIRST_YEAR = 1900  # rang des mois : 0 = janvier 1900 (`rang_mois` dans indicateurs_etablissements.sql)
MONTH_RANKS = 4096  # rangs de mois représentables, jusqu'en 2241 (la validation admet les années 2000 à 2100)
# Le 1er de chaque mois, en jours depuis 1970 (représentation des dates Polars et Arrow) : décoder est une indexation.
_MONTH_STARTS = (
    pl.Series([dt.date(FIRST_YEAR + r // 12, r % 12 + 1, 1) for r in range(MONTH_RANKS)], dtype=pl.Date)
    .to_physical()
    .to_numpy()
)
TOUS = 0  # numéro de couloir de TOUS (les numéros de `codes_couloirs` commencent à 1)
# Cases d'un bloc (établissements × (couloirs + TOUS) × mois) : 4 M de cases, une douzaine de tableaux de 1 à 8 octets
# par case, soit ~250 Mo au plus pendant le calcul d'un bloc, quelle que soit la taille de l'entrepôt.
CELLS_PER_BLOCK = 4_000_000


@dataclass(frozen=True)
class CurrentRows:
    """Les lignes courantes des établissements, en entiers : numéros de codes (`codes_*`), rang du mois."""

    establishment: np.ndarray  # geo_num
    couloir: np.ndarray  # couloir_num
    month: np.ndarray  # rang du mois depuis janvier 1900
    all_types: np.ndarray  # la ligne est le total « tous types » (type de document vide)
    documents: np.ndarray
    demo: np.ndarray
    region: np.ndarray  # region_num
    departement: np.ndarray  # departement_num

    def take(self, rows: np.ndarray | slice) -> CurrentRows:
        return CurrentRows(*(getattr(self, name)[rows] for name in self.__dataclass_fields__))


# Les fenêtres remontent au plus à 12 mois (m − 12, cumul sur 12 mois). Les tableaux d'un bloc commencent par des mois
# vides (`Cube.lead`), où les premiers mois gardés lisent des zéros non livrés, sans cas particulier : 12 moins les
# mois relus avant ceux qu'on récrit (12 pour un recalcul complet, d'ordinaire aucun pour un recalcul incrémental).
WINDOW = 12


@dataclass(frozen=True)
class Cube:
    """Forme du cube établissement × couloir × mois d'un bloc : case 0 des couloirs pour TOUS, mois depuis
    `first_month`. Une série est un établissement et un couloir (`series` = établissement × `couloirs` + couloir)."""

    establishments: int
    couloirs: int  # couloirs livrés, TOUS en plus
    months: int
    first_month: int
    lead: int = WINDOW  # mois vides en tête des tableaux de `cell_values` (`WINDOW` au plus)

    @property
    def cells(self) -> int:
        return self.establishments * self.couloirs * self.months

    @property
    def series(self) -> int:
        return self.establishments * self.couloirs

    @property
    def padded_months(self) -> int:
        return self.lead + self.months


def dense_positions(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Les numéros distincts (croissants) et, pour chaque valeur, sa position parmi eux (0, 1, 2…).
    Par présence dans un tableau indexé par numéro : les numéros de codes sont petits et denses, ni tri ni hachage."""
    seen = np.zeros(int(numbers.max(initial=0)) + 1, dtype=bool)
    seen[numbers] = True
    distinct = np.flatnonzero(seen)
    if distinct.size and distinct[-1] - distinct[0] + 1 == distinct.size:
        # Numéros sans trou (le cas ordinaire : numérotés à la suite) : la position est une soustraction, sans la
        # lecture indexée d'une table, cinq à dix fois plus lente sur des millions de valeurs.
        return distinct, np.subtract(numbers, distinct[0], dtype=np.int32, casting="unsafe")
    position = np.zeros(seen.size, dtype=np.int32)
    position[distinct] = np.arange(distinct.size, dtype=np.int32)
    return distinct, position[numbers]


def contributing_rows(cells: np.ndarray, all_types: np.ndarray, n_cells: int) -> np.ndarray | None:
    """Les lignes qui font la valeur de leur case : le total « tous types » s'il est livré, sinon chaque type (même
    règle que `collapse_document_types`). None quand toutes comptent : aucune ligne n'est un total, ou toutes en
    sont (un fichier sans types de documents)."""
    if not all_types.any() or all_types.all():
        return None
    has_total = np.zeros(n_cells, dtype=bool)  # un octet par case du cube entier
    has_total[cells[all_types]] = True
    return all_types | ~has_total[cells]


def cell_values(
    cells: np.ndarray, documents: np.ndarray, demo: np.ndarray, cube: Cube, shared_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Par case, depuis les lignes qui comptent (`contributing_rows`) : documents, livrée, démonstration (une de ces
    lignes en vient). Puis TOUS (case 0 des couloirs) : la somme des couloirs livrés du mois. `cells` : cases
    rangées établissement, couloir, mois (celles de `refresh_establishments`) ; rend des tableaux mois × série,
    précédés de `cube.lead` mois vides. `shared_rows` : les premières lignes, qui peuvent partager une case (les types
    de documents d'une case) ; aucune des suivantes ne partage la sienne avec une autre suivante. None : toutes."""
    # Rangé mois d'abord, un mois du cube est une rangée contiguë : les séries se lisent à positions croissantes
    # (`series_rows`), et le même mois d'il y a k mois est à k rangées avant.
    integer = np.int32 if cube.padded_months * cube.series < 2**31 else np.int64
    series, month = np.divmod(cells.astype(integer, copy=False), integer(cube.months))
    slots = (month + cube.lead) * cube.series + series
    del series, month
    size = cube.padded_months * cube.series
    delivered = np.zeros(size, dtype=bool)
    delivered[slots] = True
    values = np.zeros(size, dtype=np.int64)
    # Les lignes qui suivent `shared_rows` prennent leur valeur par affectation, trois fois plus vite que `np.add.at` ;
    # les premières s'additionnent ensuite, exactement en entiers (bincount passerait par des flottants).
    shared = slots.size if shared_rows is None else shared_rows
    values[slots[shared:]] = documents[shared:]
    np.add.at(values, slots[:shared], documents[:shared])
    demo_cells = np.zeros(size, dtype=bool)
    demo_cells[slots[demo]] = True
    shape = (cube.padded_months, cube.establishments, cube.couloirs)
    for array, combine in ((values, np.add), (delivered, np.logical_or), (demo_cells, np.logical_or)):
        view = array.reshape(shape)
        total = view[:, :, TOUS]
        for couloir in range(TOUS + 1, cube.couloirs):
            combine(total, view[:, :, couloir], out=total)
    grid = (cube.padded_months, cube.series)
    return values.reshape(grid), delivered.reshape(grid), demo_cells.reshape(grid)


def series_rows(
    values: np.ndarray,
    delivered: np.ndarray,
    demo: np.ndarray,
    cube: Cube,
    establishment_ids: np.ndarray,
    couloir_ids: np.ndarray,
    kept_from: int = 0,
) -> pl.DataFrame:
    """Une ligne de `series_etablissements` par case livrée (TOUS compris) : documents, m − 1, m − 12, cumul sur
    12 mois ; `establishment_ids` et `couloir_ids` (TOUS en tête) rendent les numéros de codes des positions. Les mois
    avant la position `kept_from` ne servent qu'aux fenêtres des suivants (recalcul incrémental) : pas de ligne.
    Entrée : les tableaux mois × série de `cell_values`. Un mois manquant donne null (jamais la ligne précédente) ;
    le cumul n'existe que si les 12 mois sont livrés."""
    # Les lignes sortent rangées par mois : un groupe de lignes de DuckDB (122 880 lignes) ne couvre alors que
    # quelques mois du bloc, et récrire les mois d'une révision n'efface que dans ceux-là (sinon, dans tous).
    # Chaque colonne est une lecture à positions croissantes dans les tableaux à plat (mémoire lue dans l'ordre) ;
    # un masque booléen sur le cube coûterait dix fois plus.
    width = cube.series
    assert cube.lead + kept_from >= WINDOW, "les fenêtres des mois gardés sortiraient du cube"
    kept = delivered[cube.lead + kept_from : cube.padded_months]
    positions = np.flatnonzero(kept) + (cube.lead + kept_from) * width

    def months_ago(array: np.ndarray, months: int = 0) -> np.ndarray:
        """La valeur de la même série `months` mois plus tôt, pour chaque case gardée."""
        return np.take(array.reshape(-1), positions - months * width if months else positions)

    running, running_count = _running_sums(values, delivered, cube.padded_months)
    series = positions % width
    frame = pl.DataFrame(
        {
            "etablissement_id": np.take(establishment_ids.astype(np.int32), series // cube.couloirs),
            "couloir_id": np.take(couloir_ids.astype(np.int32), series % cube.couloirs),
            "mois": pl.Series(
                np.repeat(
                    _MONTH_STARTS[cube.first_month + np.arange(kept_from, cube.months)], kept.sum(axis=1)
                )
            ).cast(pl.Date),
            "documents": months_ago(values),
            "documents_m1": months_ago(values, 1),
            "documents_m12": months_ago(values, 12),
            # Cumul sur 12 mois : différence de sommes cumulées le long des mois ; les 12 mois vides de tête la
            # rendent définie dès le premier mois (incomplète, donc null, avant le douzième).
            "cumul_12_mois": months_ago(running) - months_ago(running, 12),
            "donnees_demo": months_ago(demo),
            "_m1": months_ago(delivered, 1),
            "_m12": months_ago(delivered, 12),
            "_cumul": months_ago(running_count) - months_ago(running_count, 12) == 12,
        }
    )
    nullable = {"documents_m1": "_m1", "documents_m12": "_m12", "cumul_12_mois": "_cumul"}
    return frame.select(
        pl.when(pl.col(nullable[name])).then(pl.col(name)).alias(name) if name in nullable else pl.col(name)
        for name in frame.columns
        if not name.startswith("_")
    )


def _running_sums(values: np.ndarray, delivered: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Sommes cumulées le long des mois (rangées 0 à `months` − 1) des documents et des mois livrés, série par série.
    Rangée par rangée : une addition de deux rangées contiguës par mois (`np.cumsum` le long de l'axe 0 parcourt le
    tableau colonne par colonne, cinq fois plus lentement)."""
    running = np.empty((months, values.shape[1]), dtype=np.int64)
    running_count = np.empty((months, values.shape[1]), dtype=np.int16)
    running[0], running_count[0] = values[0], delivered[0]
    for month in range(1, months):
        np.add(running[month - 1], values[month], out=running[month])
        np.add(running_count[month - 1], delivered[month], out=running_count[month], casting="unsafe")
    return running, running_count


def attachment_sums(rows: CurrentRows, contributes: np.ndarray | None) -> pl.DataFrame:
    """Ce que les établissements apportent aux niveaux supérieurs : par mois, couloir et rattachement (région,
    département de chaque ligne), la somme des lignes qui font la valeur de leur case, et si une vient de la démo."""
    if contributes is not None:
        rows = rows.take(contributes)
    # Une case par mois de la période livrée × couloir × région × département livrés (quelques centaines de milliers
    # au plus) : addition indexée, comme les séries (un regroupement Polars sur ces quatre colonnes coûtait 0,45 s à
    # 10 M de lignes).
    couloirs, couloir = dense_positions(rows.couloir)
    regions, region = dense_positions(rows.region)
    departements, departement = dense_positions(rows.departement)
    first_month = int(rows.month.min(initial=0))
    shape = (regions.size, departements.size, couloirs.size, int(rows.month.max(initial=0)) - first_month + 1)
    size = int(np.prod(shape))
    # Case de chaque ligne, calculée sur place en 32 bits (`np.ravel_multi_index` passe par 64 bits et vérifie les
    # bornes : 0,15 s de plus à 10 M de lignes).
    cells: npt.NDArray[np.signedinteger] = region.astype(np.int32 if size < 2**31 else np.int64)
    for position, axis in ((departement, 1), (couloir, 2), (rows.month - first_month, 3)):
        cells *= shape[axis]
        cells += position
    delivered = np.zeros(size, dtype=bool)
    delivered[cells] = True
    documents = np.zeros(size, dtype=np.int64)
    np.add.at(documents, cells, rows.documents)
    demo = np.zeros(size, dtype=bool)
    demo[cells[rows.demo]] = True
    kept = np.flatnonzero(delivered)
    r, d, c, m = np.unravel_index(kept, shape)
    return pl.DataFrame(
        {
            "rang_mois": (m + first_month).astype(np.int16),
            "couloir_num": couloirs[c],
            "region_num": regions[r],
            "departement_num": departements[d],
            "documents": documents[kept],
            "donnees_demo": demo[kept],
        }
    )


def latest_attachment(
    establishment: np.ndarray, rows: CurrentRows, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Le rattachement affiché de chaque établissement (par position) : région et département de son dernier mois
    livré (à égalité, une de ces lignes, comme `arg_max` en SQL)."""
    last = np.full(count, -1, dtype=np.int32)
    np.maximum.at(last, establishment, rows.month.astype(np.int32))
    at_last = rows.month == last[establishment]
    region = np.zeros(count, dtype=np.int32)
    departement = np.zeros(count, dtype=np.int32)
    region[establishment[at_last]] = rows.region[at_last]
    departement[establishment[at_last]] = rows.departement[at_last]
    return region, departement


def blocks(count: int, cells_per_establishment: int) -> list[tuple[int, int]]:
    """Blocs d'établissements [premier, suivant[ (positions) dont le cube tient dans `CELLS_PER_BLOCK` cases."""
    step = max(1, CELLS_PER_BLOCK // max(cells_per_establishment, 1))
    return [(first, min(first + step, count)) for first in range(0, count, step)]


def month_start(rank: int) -> dt.date:
    """Le 1er du mois de rang `rank` (0 = janvier 1900)."""
    return dt.date(FIRST_YEAR + rank // 12, rank % 12 + 1, 1)


def month_rank(month: dt.date) -> int:
    """Le rang du mois de `month` depuis janvier 1900."""
    return (month.year - FIRST_YEAR) * 12 + month.month - 1


# Ce qu'une valeur du mois m change dans les séries : m lui-même, m + 1 (son m − 1), m + 12 (son m − 12) et les
# cumuls sur 12 mois de m à m + 11. Recalculer ces mois demande de connaître les 12 mois qui les précèdent.
DEPENDENT_MONTHS = 12


@dataclass(frozen=True)
class MonthSpan:
    """Mois (rangs depuis janvier 1900, bornes comprises) : ceux qu'un import livre, ceux qu'on relit ou récrit."""

    first: int
    last: int

    @property
    def dates(self) -> dict[str, dt.date]:
        return {"debut": month_start(self.first), "fin": month_start(self.last)}


ALL_MONTHS = MonthSpan(0, MONTH_RANKS - 1)


def _read_current(
    con: duckdb.DuckDBPyConnection, steps: dict[str, str], etablissement: int, all_types: int, span: MonthSpan
) -> CurrentRows:
    # `fetchnumpy`, pas Arrow : l'allocateur d'Arrow garde ses tampons libérés, et la mémoire de pointe de la
    # commande en est plus haute (docs/decisions/003-fetchnumpy-plutot-qu-arrow.md).
    columns = con.execute(
        steps["current_rows"], {"etablissement": etablissement, "tous_types": all_types, **span.dates}
    ).fetchnumpy()
    return CurrentRows(
        establishment=columns["geo_num"],
        couloir=columns["couloir_num"],
        month=columns["rang_mois"],
        all_types=columns["tous_types"],
        documents=columns["documents"],
        demo=columns["donnees_demo"],
        region=columns["region_num"],
        departement=columns["departement_num"],
    )


@dataclass(frozen=True)
class StoredCells:
    """Les cases déjà calculées des mois relus hors des mois livrés (`series_etablissements`, hors TOUS) : une par
    case livrée, en numéros de codes et rang du mois."""

    establishment: np.ndarray  # etablissement_id (numéro du FINESS dans `codes_geo`)
    couloir: np.ndarray  # couloir_id (numéro de `codes_couloirs`)
    month: np.ndarray
    documents: np.ndarray
    demo: np.ndarray


def _read_stored(
    con: duckdb.DuckDBPyConnection, steps: dict[str, str], read: MonthSpan, delivered: MonthSpan
) -> StoredCells:
    columns = con.execute(
        steps["stored_series"],
        {**read.dates, "livre_debut": month_start(delivered.first), "livre_fin": month_start(delivered.last)},
    ).fetchnumpy()
    return StoredCells(
        establishment=columns["etablissement_id"],
        couloir=columns["couloir_id"],
        month=columns["rang_mois"],
        documents=columns["documents"],
        demo=columns["donnees_demo"],
    )


def _store(con: duckdb.DuckDBPyConnection, sql: str, name: str, frame: pl.DataFrame) -> None:
    """Exécute `sql`, qui lit `name` : les lignes de `frame`, en flux de lots Arrow lâchés une fois lus. Dans une
    transaction, DuckDB garde jusqu'à sa fin tout objet Python enregistré, même désenregistré ; d'un flux, il ne garde
    que le lecteur, vide (docs/decisions/008-lots-arrow-en-flux.md). Un flux se lit une fois : `sql` ne lit `name`
    qu'une fois."""
    import pyarrow as pa

    table = frame.to_arrow()
    schema, batches = table.schema, table.to_batches(max_chunksize=_ROWS_PER_BATCH)
    del table  # les lots seuls tiennent les tampons : lâchés un à un
    batches.reverse()

    def release() -> Iterator[pa.RecordBatch]:
        while batches:
            yield batches.pop()

    con.register(name, pa.RecordBatchReader.from_batches(schema, release()))
    try:
        con.execute(sql)
    finally:
        con.unregister(name)


_ROWS_PER_BATCH = 122_880  # un groupe de lignes DuckDB


def refresh_establishments(con: duckdb.DuckDBPyConnection, delivered: MonthSpan | None = None) -> bool:
    """Remplace les établissements, leurs couloirs, leurs séries (`indicateurs_etablissements`, 30_indicateurs.sql)
    et leur somme par rattachement (`sommes_etablissements`, qui entre dans `indicateurs_flux`), depuis les valeurs
    courantes. `delivered` : les mois qu'un import vient de livrer pour des établissements ; seuls ces mois et ceux qui
    en dépendent sont alors récrits (None : tout), et seules les lignes courantes des mois livrés sont relues : les
    fenêtres (m − 1, m − 12, cumul sur 12 mois) prennent les autres mois dans les séries déjà calculées. Rend vrai
    quand la complétude des établissements est à recompter en entier : recalcul complet, ou établissement déjà connu
    qui change de rattachement."""
    steps = named_statements("queries/indicateurs_etablissements.sql")
    numbers = first_row(con, steps["numbers"])
    assert numbers is not None
    etablissement, all_types = (int(n) for n in numbers)
    if delivered is None:
        rewritten = ALL_MONTHS
        con.execute(steps["clear"])
        rows = _read_current(con, steps, etablissement, all_types, ALL_MONTHS)
        stored = None
        moved = True
    else:
        rewritten = MonthSpan(delivered.first, min(delivered.last + DEPENDENT_MONTHS, MONTH_RANKS - 1))
        read = MonthSpan(max(delivered.first - DEPENDENT_MONTHS, 0), rewritten.last)
        # Avant d'effacer les mois récrits : leurs séries servent aux fenêtres, et dire qui est livré après.
        stored = _read_stored(con, steps, read, delivered)
        rows = _read_current(con, steps, etablissement, all_types, delivered)
        moved = _store_attachments(con, steps, rows, delivered)
        con.execute(steps["clear_series_months"], rewritten.dates)
        con.execute(steps["clear_sums_months"], {"debut": delivered.first, "fin": delivered.last})
    if rows.documents.size == 0 and (stored is None or stored.documents.size == 0):
        return delivered is None
    stored_documents = stored_demo = None
    if stored is None:
        establishment_ids, establishment = dense_positions(rows.establishment)
        couloir_numbers, couloir = dense_positions(rows.couloir)
        months = rows.month
    else:
        establishment_ids, establishment = dense_positions(
            np.concatenate([rows.establishment, stored.establishment])
        )
        couloir_numbers, couloir = dense_positions(np.concatenate([rows.couloir, stored.couloir]))
        months = np.concatenate([rows.month, stored.month])
        # Des cases gardées, seuls documents et démo servent encore (leurs positions sont prises) : le reste est lâché
        # avant les copies qui suivent.
        stored_documents, stored_demo = stored.documents, stored.demo
        del stored
    if delivered is None:
        region, departement = latest_attachment(establishment, rows, establishment_ids.size)
        _store_establishments(con, steps, establishment_ids, region, departement, None)
    first_month = int(months.min())
    kept_from = max(rewritten.first - first_month, 0)
    whole = Cube(
        establishments=establishment_ids.size,
        couloirs=couloir_numbers.size + 1,
        months=int(months.max()) - first_month + 1,
        first_month=first_month,
        lead=max(WINDOW - kept_from, 0),
    )
    # Case de chaque ligne dans le cube entier ; un bloc d'établissements en est une tranche contiguë.
    per_establishment = whole.couloirs * whole.months
    cells = (establishment.astype(np.int64) * whole.couloirs + couloir + 1) * whole.months
    cells += months - first_month
    del establishment, couloir, months
    current = rows.documents.size  # les lignes courantes d'abord, puis les cases déjà calculées
    contributes = contributing_rows(cells[:current], rows.all_types, whole.cells)
    # Des lignes courantes qui comptent, seules celles d'un type de document peuvent partager leur case (la clé d'une
    # ligne courante est unique) ; les cases gardées, d'autres mois, en ont chacune une. Dès qu'une ligne d'un type
    # compte, toutes les lignes courantes s'additionnent : les ranger d'abord par type coûterait une permutation de
    # toutes les lignes, pour un gain qui ne vaut que sur les fichiers mêlant types et totaux.
    totals_only = bool(rows.all_types.all() if contributes is None else rows.all_types[contributes].all())
    shared = 0 if totals_only else (current if contributes is None else int(contributes.sum()))
    # Les sommes ne dépendent que de leur mois : elles se récrivent pour les mois livrés, ceux des lignes courantes.
    _store(con, steps["store_sums"], "sommes_calculees", attachment_sums(rows, contributes))
    documents, demo = rows.documents, rows.demo
    del rows  # ~30 octets par ligne : seuls la case, les documents et la démo servent aux séries
    if contributes is not None:
        kept = np.concatenate([contributes, np.ones(cells.size - current, dtype=bool)])
        cells, documents, demo = cells[kept], documents[contributes], demo[contributes]
    if stored_documents is not None and stored_demo is not None:
        documents = np.concatenate([documents, stored_documents])
        demo = np.concatenate([demo, stored_demo])
        del stored_documents, stored_demo
    couloir_ids = np.concatenate([[TOUS], couloir_numbers])
    # Un bloc se compte avec ses mois vides de tête : sa mémoire reste bornée même sur peu de mois.
    for first, following in blocks(whole.establishments, whole.couloirs * whole.padded_months):
        cube = replace(whole, establishments=following - first)
        if cube.establishments == whole.establishments:
            selected: np.ndarray | slice = slice(None)
            shared_in_block = shared
        else:
            low, high = first * per_establishment, following * per_establishment
            selected = np.flatnonzero((cells >= low) & (cells < high))
            shared_in_block = int(np.searchsorted(selected, shared))
        values, delivered_cells, demo_cells = cell_values(
            cells[selected] - first * per_establishment,
            documents[selected],
            demo[selected],
            cube,
            shared_in_block,
        )
        series = series_rows(
            values,
            delivered_cells,
            demo_cells,
            cube,
            establishment_ids[first:following],
            couloir_ids,
            kept_from,
        )
        del values, delivered_cells, demo_cells
        # Un bloc à la fois : l'écriture DuckDB occupe déjà les deux cœurs (docs/decisions/002-un-bloc-a-la-fois.md).
        _store(con, steps["store_series"], "series_calculees", series)
        del series
    if delivered is not None:
        known = con.execute(steps["known_couloirs"]).fetchnumpy()["couloir_num"]
        couloir_numbers = np.union1d(known, couloir_numbers)
        con.execute(steps["clear_couloirs"])
    _store(con, steps["store_couloirs"], "couloirs_calcules", pl.DataFrame({"couloir_num": couloir_numbers}))
    return moved


def _store_attachments(
    con: duckdb.DuckDBPyConnection, steps: dict[str, str], rows: CurrentRows, delivered: MonthSpan
) -> bool:
    """Recalcul incrémental : le rattachement des établissements des lignes courantes des mois livrés
    (`_store_establishments`). Rend vrai quand un établissement déjà connu change de rattachement."""
    if rows.documents.size == 0:
        return False
    establishment_ids, establishment = dense_positions(rows.establishment)
    region, departement = latest_attachment(establishment, rows, establishment_ids.size)
    return _store_establishments(con, steps, establishment_ids, region, departement, delivered)


def _store_establishments(
    con: duckdb.DuckDBPyConnection,
    steps: dict[str, str],
    establishment_ids: np.ndarray,
    region: np.ndarray,
    departement: np.ndarray,
    read: MonthSpan | None,
) -> bool:
    """Écrit le rattachement affiché des établissements relus. Recalcul incrémental (`read` : les mois dont les
    lignes courantes sont relues, ceux que l'import livre) : un établissement livré après ces mois garde le sien ; les
    autres le prennent de leur dernier mois, relu (à lancer avant d'effacer les séries des mois récrits). Rend vrai
    quand la complétude est à recompter en entier (recalcul complet, ou un établissement déjà connu a changé de
    rattachement)."""
    computed = pl.DataFrame(
        {"etablissement_id": establishment_ids, "region_num": region, "departement_num": departement},
        schema={"etablissement_id": pl.Int32, "region_num": pl.Int32, "departement_num": pl.Int32},
    )
    if read is None:
        _store(con, steps["store_establishments"], "etablissements_calcules", computed)
        return True
    later = con.sql(steps["established_after"], params={"fin": month_start(read.last)}).pl()
    computed = computed.join(later, on="etablissement_id", how="anti")
    con.register("etablissements_calcules", computed)
    try:
        moved = first_row(con, steps["moved_establishments"])
        con.execute(steps["clear_establishments"])
        con.execute(steps["store_establishments"])
    finally:
        con.unregister("etablissements_calcules")
    return bool(moved and moved[0])


def establishment_sums(con: duckdb.DuckDBPyConnection) -> pl.LazyFrame:
    """La somme des établissements par mois, couloir et rattachement (`sommes_etablissements`), décodée : un
    établissement fictif par rattachement, qui entre dans `indicateurs_flux`."""
    return con.sql(named_statements("queries/indicateurs_etablissements.sql")["attachment_sums"]).pl().lazy()
