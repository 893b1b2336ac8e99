"""Source « flux » : documents envoyés chaque mois à Mon espace santé, par couloir et géographie.

Lit la forme longue (`mois`, `couloir`, `documents`) et la forme large des tableurs (une colonne par mois), valide,
et rend les lignes de `raw_flux`. Une ligne sans géographie est nationale.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.intake.parsing import is_blank, looks_like_month
from pipelines.intake.reading import ROW_COLUMN, RawTable
from pipelines.intake.validation import Column, Context, column_origin
from pipelines.sources.declaration import Source, flagger, recognised
from pipelines.warehouse import flux_codes

COLUMNS = (
    Column(
        "mois",
        "month",
        aliases=("periode", "mois_d_envoi", "mois_envoi", "mois_de_depot", "date", "date_mois"),
    ),
    Column("couloir", "couloir", aliases=("secteur", "couloir_emetteur", "emetteur", "couloir_segur")),
    Column(
        "documents",
        "integer",
        aliases=(
            "nombre_de_documents",
            "nb_documents",
            "nombre_documents",
            "documents_envoyes",
            "nb_docs",
            "volume",
            "nombre_de_documents_envoyes",
            "documents_mes",
            "flux",
        ),
    ),
    Column("region", "region", required=False, aliases=("code_region", "reg", "region_insee", "code_reg")),
    Column(
        "departement", "departement", required=False, aliases=("code_departement", "dep", "dept", "code_dep")
    ),
    Column(
        "finess",
        "finess",
        required=False,
        aliases=("finess_geographique", "finess_et", "n_finess", "numero_finess"),
    ),
    Column("type_document", "text", required=False, aliases=("type_de_document", "type_doc", "typologie")),
)
KEYS = ("mois", "couloir", "niveau", "code_geo", "type_document")
LOAD_COLUMNS = (
    "ligne",
    "mois",
    "couloir",
    "niveau",
    "code_geo",
    "code_region",
    "code_departement",
    "type_document",
    "documents",
)
_WIDE_ID_COLUMNS = {"couloir", "region", "departement", "finess", "type_document"}


def _month_headers(headers: Sequence[str]) -> list[str]:
    return [h for h in headers if looks_like_month(h)]


def detect(headers: Sequence[str]) -> bool:
    names = recognised(COLUMNS, headers)
    long_form = {"mois", "couloir", "documents"} <= names
    wide_form = "couloir" in names and "documents" not in names and bool(_month_headers(headers))
    return long_form or wide_form


def _to_long(table: RawTable) -> RawTable:
    """Forme large → forme longue : chaque cellule mois × ligne devient une ligne, l'en-tête du mois est gardé.
    Un tableau déjà en forme longue est rendu tel quel."""
    names = recognised(COLUMNS, table.headers)
    if "documents" in names or "mois" in names or not _month_headers(table.headers):
        return table
    months = _month_headers(table.headers)
    ids = [h for h in table.headers if h not in months]
    frame = table.frame.unpivot(
        index=[*ids, ROW_COLUMN], on=months, variable_name="__mois", value_name="__documents"
    )
    frame = frame.filter(~is_blank("__documents")).with_columns(
        pl.col("__mois").alias(column_origin("mois")), pl.col("__mois").alias(column_origin("documents"))
    )
    frame = frame.rename({"__mois": "mois", "__documents": "documents"})
    notes = [*table.notes, f"tableau large : {len(months)} colonnes de mois dépliées"]
    return RawTable(table.name, frame, [*ids, "mois", "documents"], notes)


GEOGRAPHY = ["region", "departement", "finess"]


def _places(geography: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Niveau, code géographique, rattachement et contrôles (région et FINESS d'accord avec le département, FINESS de
    Corse) de chaque combinaison (région, département, FINESS) livrée.

    Calculé une fois par combinaison distincte, puis joint à chaque ligne : sur un fichier national, quelques
    dizaines de milliers de combinaisons pour des millions de lignes."""
    region, departement, finess = (pl.col(c).cast(pl.String) for c in GEOGRAPHY)
    region_of_dep = departement.replace_strict(
        {code: reg for code, (_, reg) in ctx.reference.departements.items()},
        default=None,
        return_dtype=pl.String,
    )
    places = geography.with_columns(
        pl.when(finess.is_not_null())
        .then(pl.lit("etablissement"))
        .when(departement.is_not_null())
        .then(pl.lit("departement"))
        .when(region.is_not_null())
        .then(pl.lit("region"))
        .otherwise(pl.lit("pays"))
        .alias("niveau"),
        pl.coalesce(finess, departement, region, pl.lit("FR")).alias("code_geo"),
        pl.coalesce(region, region_of_dep, pl.lit("")).alias("code_region"),
        departement.fill_null("").alias("code_departement"),
        (region.is_not_null() & departement.is_not_null() & (region != region_of_dep)).alias("__incoherent"),
        _finess_contradicts_departement().alias("__finess_autre"),
        finess.str.contains("^2[AB]").fill_null(False).alias("__corse"),
    )
    if ctx.in_batches:  # gardés en catégories, comme les autres codes d'un gros fichier
        places = places.with_columns(
            pl.col("niveau", "code_geo", "code_region", "code_departement").cast(pl.Categorical)
        )
    return places


_BITS = 21  # un identifiant de catégorie par 21 bits : trois tiennent dans une clé de 64


def _geography_key(values: pl.DataFrame) -> pl.Series | None:
    """Une clé entière par combinaison (région, département, FINESS), faite des identifiants de leurs catégories ;
    `None` si une colonne n'est pas en catégories ou si un identifiant dépasse 21 bits."""
    parts = []
    for position, column in enumerate(GEOGRAPHY):
        codes = values.get_column(column)
        if not isinstance(codes.dtype, pl.Categorical):
            if codes.null_count() < codes.len():
                return None
            continue  # colonne absente du fichier, toute vide : 0 dans la clé
        ids = (pl.col(column).to_physical().cast(pl.UInt64) + 1).fill_null(0)
        parts.append(ids * (1 << (_BITS * position)))
    if not parts:
        return values.select(pl.repeat(0, values.height, dtype=pl.UInt64).alias("__geo")).to_series()
    categorical = [c for c in GEOGRAPHY if isinstance(values.schema[c], pl.Categorical)]
    widest = values.select(pl.max_horizontal(pl.col(c).to_physical().max() for c in categorical)).item()
    if (widest or 0) + 1 >= 1 << _BITS:
        return None
    return values.select(pl.sum_horizontal(parts).alias("__geo")).to_series()


def _with_places(values: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Les lignes avec niveau, code géographique, rattachement et contrôles géographiques (`_places`),
    calculés par combinaison distincte. Par tranches, les colonnes sont en catégories : la combinaison se lit sur
    une clé entière, sans hacher ni comparer de textes (1,3 s → 0,3 s à 10 M de lignes)."""
    key = _geography_key(values) if ctx.in_batches else None
    if key is None:
        return values.join(
            _places(values.select(GEOGRAPHY).unique(), ctx),
            on=GEOGRAPHY,
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    first_rows = key.arg_unique()
    places = _places(values.select(GEOGRAPHY).gather(first_rows), ctx).drop(GEOGRAPHY)
    keyed = values.with_columns(key)
    return keyed.join(
        places.with_columns(key.gather(first_rows)), on="__geo", how="left", maintain_order="left"
    ).drop("__geo")


def rules(
    values: pl.DataFrame, origins: dict[str, str], ctx: Context
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Niveau, code géographique et rattachement de chaque ligne ; département cohérent avec la région indiquée."""
    current = ctx.today.replace(day=1)
    if "mois" in values.columns and (values.get_column("mois") == current).any():
        note = f"mois en cours ({current:%Y-%m}) : accepté, provisoire tant qu'il n'est pas achevé"
        if note not in ctx.notes:
            ctx.notes.append(note)
    values = _with_places(values, ctx).with_columns(pl.col("type_document").fill_null(""))
    mismatch = "ce département n'appartient pas à la région indiquée sur la même ligne"
    flag = flagger(values, origins)
    region_mismatch = flag("departement", pl.col("__incoherent"), mismatch)
    finess_mismatch = flag(
        "finess",
        pl.col("__finess_autre"),
        "le numéro FINESS commence par le code d'un autre département que celui de la colonne département",
    )
    if values.get_column("__corse").any():
        note = (
            "FINESS de Corse (2A, 2B) : clé de contrôle non vérifiée (voir docs/INDICATEURS.md, « FINESS »)"
        )
        if note not in ctx.notes:
            ctx.notes.append(note)
    return values.drop("__incoherent", "__finess_autre", "__corse"), [region_mismatch, finess_mismatch]


def _finess_contradicts_departement() -> pl.Expr:
    """Vrai quand le FINESS ne commence pas par le département de sa ligne : ses deux premiers caractères pour un
    département métropolitain (2A et 2B compris), « 97 » ou « 98 » pour un département d'outre-mer (la suite du
    préfixe d'outre-mer n'est pas contrôlée, docs/INDICATEURS.md)."""
    finess = pl.col("finess").cast(pl.String)
    departement = pl.col("departement").cast(pl.String)
    overseas = departement.str.len_chars() == 3
    expected = finess.str.slice(0, 2)
    return (
        finess.is_not_null()
        & departement.is_not_null()
        & pl.when(overseas).then(~expected.is_in(["97", "98"])).otherwise(expected != departement)
    ).fill_null(False)


SOURCE = Source(
    kind="flux",
    label="Flux mensuels de documents vers Mon espace santé",
    columns=COLUMNS,
    keys=KEYS,
    values=("documents",),
    load_columns=LOAD_COLUMNS,
    rules=rules,
    detects=detect,
    reshape=_to_long,
    prepare_load=flux_codes.encode,
)
