"""Indicateurs de flux : chaque fonction est une transformation pure LazyFrame → LazyFrame.

Entrée : les flux courants (`stg_flux`) ; sortie : `indicateurs_flux`, une ligne par mois × niveau × géographie ×
couloir (et `TOUS` pour tous couloirs). Les définitions sont reprises dans docs/INDICATEURS.md.
"""

from __future__ import annotations

import polars as pl

from pipelines.indicators.codes import ALL_COULOIRS

SERIES = ["niveau", "code_geo", "couloir"]
KEYS = ["mois", *SERIES]


def collapse_document_types(flux: pl.LazyFrame) -> pl.LazyFrame:
    """Un flux par mois × couloir × géographie : la ligne « tous types » si elle est livrée, sinon la somme des types.
    Un fichier ventilé par type de document et un total livré à part ne se comptent donc jamais deux fois."""
    group = [*KEYS, "code_region", "code_departement"]
    totals = flux.filter(pl.col("type_document") == "").drop("type_document")
    typed = (
        flux.filter(pl.col("type_document") != "")
        .group_by(group)
        .agg(pl.col("documents").sum(), pl.col("donnees_demo").any())
        .join(totals.select(KEYS), on=KEYS, how="anti")
    )
    return pl.concat(
        [
            totals.select([*group, "documents", "donnees_demo"]),
            typed.select([*group, "documents", "donnees_demo"]),
        ]
    )


def _combine(declared: pl.LazyFrame, children: pl.LazyFrame, niveau: str) -> pl.LazyFrame:
    keys = ["mois", "couloir", "code_geo"]
    joined = declared.select([*keys, "code_region", "documents", "donnees_demo"]).join(
        children.select(
            [
                *keys,
                pl.col("code_region").alias("region_enfants"),
                pl.col("documents").alias("documents_ventiles"),
                pl.col("donnees_demo").alias("demo_enfants"),
            ]
        ),
        on=keys,
        how="full",
        coalesce=True,
    )
    return joined.select(
        *keys,
        pl.lit(niveau).alias("niveau"),
        pl.coalesce("code_region", "region_enfants", pl.lit("")).alias("code_region"),
        pl.coalesce("documents", "documents_ventiles").alias("documents"),
        "documents_ventiles",
        (pl.col("documents") - pl.col("documents_ventiles")).alias("non_ventile"),
        pl.when(pl.col("documents").is_not_null())
        .then(pl.lit("declare"))
        .otherwise(pl.lit("somme"))
        .alias("origine"),
        pl.when(pl.col("documents").is_not_null())
        .then(pl.col("donnees_demo"))
        .otherwise(pl.col("demo_enfants"))
        .alias("donnees_demo"),
    )


def _sum_by(frame: pl.LazyFrame, code: str) -> pl.LazyFrame:
    return (
        frame.group_by(["mois", "couloir", code])
        .agg(pl.col("documents").sum(), pl.col("donnees_demo").any(), pl.col("code_region").first())
        .rename({code: "code_geo"})
    )


def roll_up_geography(flux: pl.LazyFrame) -> pl.LazyFrame:
    """Chaque niveau (établissement → département → région → France) vaut sa valeur déclarée si elle existe, sinon la
    somme du niveau inférieur ; quand les deux existent, `non_ventile` = déclaré − somme des niveaux inférieurs."""
    etab = flux.filter(pl.col("niveau") == "etablissement")
    dep = _combine(
        flux.filter(pl.col("niveau") == "departement"),
        _sum_by(etab.filter(pl.col("code_departement") != ""), "code_departement"),
        "departement",
    )
    region_children = pl.concat(
        [
            dep.select("mois", "couloir", "code_region", "documents", "donnees_demo"),
            etab.filter((pl.col("code_departement") == "") & (pl.col("code_region") != "")).select(
                "mois", "couloir", "code_region", "documents", "donnees_demo"
            ),
        ]
    ).filter(pl.col("code_region") != "")
    region = _combine(
        flux.filter(pl.col("niveau") == "region"),
        region_children.with_columns(pl.col("code_region").alias("code_geo_region"))
        .group_by(["mois", "couloir", "code_geo_region"])
        .agg(pl.col("documents").sum(), pl.col("donnees_demo").any(), pl.col("code_region").first())
        .rename({"code_geo_region": "code_geo"}),
        "region",
    )
    national_children = pl.concat(
        [
            region.select("mois", "couloir", "documents", "donnees_demo"),
            etab.filter(pl.col("code_region") == "").select("mois", "couloir", "documents", "donnees_demo"),
        ]
    ).with_columns(pl.lit("FR").alias("code_geo"), pl.lit("").alias("code_region"))
    pays = _combine(
        flux.filter(pl.col("niveau") == "pays"),
        national_children.group_by(["mois", "couloir", "code_geo"]).agg(
            pl.col("documents").sum(), pl.col("donnees_demo").any(), pl.col("code_region").first()
        ),
        "pays",
    )
    etab_out = etab.select(
        "mois",
        "couloir",
        "code_geo",
        "niveau",
        "code_region",
        "documents",
        pl.lit(None, dtype=pl.Int64).alias("documents_ventiles"),
        pl.lit(None, dtype=pl.Int64).alias("non_ventile"),
        pl.lit("declare").alias("origine"),
        "donnees_demo",
    )
    columns = [*CONSOLIDATED, "donnees_demo"]
    return pl.concat([f.select(columns) for f in (pays, region, dep, etab_out)])


def add_all_couloirs(flux: pl.LazyFrame) -> pl.LazyFrame:
    """Ajoute le couloir `TOUS` : la somme des couloirs pour chaque mois et géographie."""
    total = (
        flux.group_by(["mois", "niveau", "code_geo"])
        .agg(
            pl.col("code_region").first(),
            pl.col("documents").sum(),
            pl.col("documents_ventiles").sum().alias("documents_ventiles"),
            pl.col("documents_ventiles").is_null().all().alias("_sans_ventilation"),
            pl.col("non_ventile").sum(),
            pl.col("non_ventile").is_null().all().alias("_sans_ecart"),
            pl.when((pl.col("origine") == "declare").all())
            .then(pl.lit("declare"))
            .otherwise(pl.lit("somme"))
            .alias("origine"),
            pl.col("donnees_demo").any(),
        )
        .with_columns(
            pl.lit(ALL_COULOIRS).alias("couloir"),
            pl.when(pl.col("_sans_ventilation"))
            .then(None)
            .otherwise(pl.col("documents_ventiles"))
            .alias("documents_ventiles"),
            pl.when(pl.col("_sans_ecart")).then(None).otherwise(pl.col("non_ventile")).alias("non_ventile"),
        )
        .drop("_sans_ventilation", "_sans_ecart")
    )
    return pl.concat([flux, total.select(flux.collect_schema().names())])


def annualise(flux: pl.LazyFrame) -> pl.LazyFrame:
    """`flux_annualise` = documents du mois × 12 : le « rythme annuel » du programme."""
    return flux.with_columns((pl.col("documents") * 12).alias("flux_annualise"))


def rolling_12_months(flux: pl.LazyFrame) -> pl.LazyFrame:
    """`cumul_12_mois` = somme des 12 derniers mois, mois courant compris (le volume réel d'une année glissante) ;
    null tant que les 12 mois ne sont pas tous connus."""
    known = pl.col("documents").is_not_null().cast(pl.Int32)
    return (
        flux.sort([*SERIES, "mois"])
        .with_columns(
            pl.col("documents").rolling_sum_by("mois", window_size="12mo").over(SERIES).alias("_somme"),
            known.rolling_sum_by("mois", window_size="12mo").over(SERIES).alias("_n"),
        )
        .with_columns(pl.when(pl.col("_n") == 12).then(pl.col("_somme")).alias("cumul_12_mois"))
        .drop("_somme", "_n")
    )


def population_by_year(population: pl.LazyFrame, years: pl.LazyFrame) -> pl.LazyFrame:
    """Population applicable à chaque année : celle de l'année si elle est connue, sinon celle de la dernière année
    antérieure disponible ; jamais une année postérieure. Colonnes : niveau, code_geo, annee, population,
    annee_population."""
    codes = population.select("niveau", "code_geo").unique()
    grid = codes.join(years.select(pl.col("annee").cast(pl.Int32)).unique(), how="cross")
    known = population.select(
        "niveau",
        "code_geo",
        pl.col("annee").cast(pl.Int32),
        "population",
        pl.col("annee").cast(pl.Int32).alias("annee_population"),
    )
    all_years = pl.concat(
        [
            grid.join(
                known.select("niveau", "code_geo", "annee"), on=["niveau", "code_geo", "annee"], how="anti"
            ),
            known.select("niveau", "code_geo", "annee"),
        ]
    )
    return (
        all_years.join(known, on=["niveau", "code_geo", "annee"], how="left")
        .sort("niveau", "code_geo", "annee")
        .with_columns(
            pl.col("population").forward_fill().over("niveau", "code_geo"),
            pl.col("annee_population").forward_fill().over("niveau", "code_geo"),
        )
    )


def per_inhabitant(flux: pl.LazyFrame, population: pl.LazyFrame) -> pl.LazyFrame:
    """`documents_par_habitant_an` = flux annualisé ÷ population de la même géographie (population de l'année du mois,
    sinon de la dernière année antérieure connue) ; null quand aucune population n'est connue."""
    years = flux.select(pl.col("mois").dt.year().cast(pl.Int32).alias("annee")).unique()
    applicable = population_by_year(population, years)
    return (
        flux.with_columns(pl.col("mois").dt.year().cast(pl.Int32).alias("annee"))
        .join(applicable, on=["niveau", "code_geo", "annee"], how="left")
        .with_columns((pl.col("flux_annualise") / pl.col("population")).alias("documents_par_habitant_an"))
        .drop("annee")
    )


def couloir_shares(flux: pl.LazyFrame) -> pl.LazyFrame:
    """`part_couloir` = documents du couloir ÷ documents de tous les couloirs, même mois et même géographie."""
    total = flux.filter(pl.col("couloir") == ALL_COULOIRS).select(
        "mois", "niveau", "code_geo", pl.col("documents").alias("_total")
    )
    return (
        flux.join(total, on=["mois", "niveau", "code_geo"], how="left")
        .with_columns(
            pl.when(pl.col("_total") > 0)
            .then(pl.col("documents") / pl.col("_total"))
            .otherwise(None)
            .alias("part_couloir")
        )
        .drop("_total")
    )


def _value_months_ago(flux: pl.LazyFrame, months: int, name: str) -> pl.LazyFrame:
    earlier = flux.select(
        *SERIES, pl.col("mois").dt.offset_by(f"{months}mo"), pl.col("documents").alias(name)
    )
    return flux.join(earlier, on=KEYS, how="left")


def evolutions(flux: pl.LazyFrame) -> pl.LazyFrame:
    """`evolution_1_mois` et `evolution_12_mois` = documents ÷ documents du même couloir et de la même géographie un
    mois (douze mois) plus tôt − 1 ; null quand le mois de comparaison manque ou vaut zéro."""
    out = _value_months_ago(_value_months_ago(flux, 1, "documents_m1"), 12, "documents_m12")
    return out.with_columns(
        pl.when(pl.col("documents_m1") > 0)
        .then(pl.col("documents") / pl.col("documents_m1") - 1)
        .alias("evolution_1_mois"),
        pl.when(pl.col("documents_m12") > 0)
        .then(pl.col("documents") / pl.col("documents_m12") - 1)
        .alias("evolution_12_mois"),
    )


def reference_months(months: pl.LazyFrame, cosui_dates: pl.LazyFrame) -> pl.LazyFrame:
    """Pour chaque mois m, `mois_reference_cosui` = le mois du dernier COSUI tenu avant le mois m (mois strictement
    antérieur) : la base de « l'évolution depuis le dernier COSUI »."""
    cosui = (
        cosui_dates.select(pl.col("date").dt.truncate("1mo").alias("mois_reference_cosui"))
        .unique()
        .with_columns(pl.col("mois_reference_cosui").dt.offset_by("1mo").alias("_a_partir_de"))
        .sort("_a_partir_de")
    )
    return (
        months.select("mois")
        .unique()
        .sort("mois")
        .join_asof(cosui, left_on="mois", right_on="_a_partir_de", strategy="backward")
        .drop("_a_partir_de")
    )


def change_since_reference(flux: pl.LazyFrame, cosui_dates: pl.LazyFrame) -> pl.LazyFrame:
    """`evolution_depuis_cosui` = documents ÷ documents au mois du COSUI précédent − 1, même couloir et géographie."""
    refs = reference_months(flux, cosui_dates)
    base = flux.select(
        *SERIES, pl.col("mois").alias("mois_reference_cosui"), pl.col("documents").alias("_documents_ref")
    )
    return (
        flux.join(refs, on="mois", how="left")
        .join(base, on=[*SERIES, "mois_reference_cosui"], how="left")
        .with_columns(
            pl.when(pl.col("_documents_ref") > 0)
            .then(pl.col("documents") / pl.col("_documents_ref") - 1)
            .alias("evolution_depuis_cosui")
        )
        .drop("_documents_ref")
    )


def multiplier_since_base(flux: pl.LazyFrame) -> pl.LazyFrame:
    """`multiplicateur_depuis_base` = documents ÷ documents du premier mois de la série (`mois_base`) : le
    « ×19 depuis le lancement » du programme."""
    base = (
        flux.filter(pl.col("documents") > 0)
        .group_by(SERIES)
        .agg(
            pl.col("mois").min().alias("mois_base"),
            pl.col("documents").sort_by("mois").first().alias("_documents_base"),
        )
    )
    return (
        flux.join(base, on=SERIES, how="left")
        .with_columns((pl.col("documents") / pl.col("_documents_base")).alias("multiplicateur_depuis_base"))
        .drop("_documents_base")
    )


def target_scope(targets: pl.LazyFrame) -> pl.LazyFrame:
    """Périmètre d'une cible de flux annualisé : `FR` → France tous couloirs ; un code couloir → France, ce couloir ;
    un code région → la région, tous couloirs."""
    perimetre = pl.col("perimetre")
    is_region = perimetre.str.contains(r"^\d{2}$")
    return targets.filter(pl.col("indicateur") == "flux_annualise").select(
        pl.when(is_region).then(pl.lit("region")).otherwise(pl.lit("pays")).alias("niveau"),
        pl.when(is_region).then(perimetre).otherwise(pl.lit("FR")).alias("code_geo"),
        pl.when((perimetre == "FR") | is_region)
        .then(pl.lit(ALL_COULOIRS))
        .otherwise(perimetre)
        .alias("couloir"),
        pl.col("echeance").alias("echeance_cible"),
        pl.col("valeur").alias("cible"),
    )


def target_attainment(flux: pl.LazyFrame, targets: pl.LazyFrame) -> pl.LazyFrame:
    """`taux_atteinte_cible` = flux annualisé ÷ cible ; `ecart_cible_mensuel` = cible ÷ 12 − documents du mois ;
    `mois_avant_echeance` = mois restants jusqu'à l'échéance. La cible retenue est celle de la prochaine échéance, ou
    à défaut la dernière échue."""
    scoped = target_scope(targets)
    candidates = flux.select(*KEYS).join(scoped, on=SERIES, how="inner")
    chosen = (
        candidates.with_columns((pl.col("echeance_cible") < pl.col("mois")).alias("_echue"))
        .sort([*KEYS, "_echue", "echeance_cible"])
        .group_by(KEYS)
        .agg(
            pl.col("cible").first(),
            pl.col("echeance_cible").first(),
            pl.col("cible").sort_by("echeance_cible").last().alias("_cible_derniere"),
            pl.col("echeance_cible").max().alias("_echeance_derniere"),
            pl.col("_echue").all().alias("_toutes_echues"),
        )
        .with_columns(
            pl.when(pl.col("_toutes_echues"))
            .then(pl.col("_cible_derniere"))
            .otherwise(pl.col("cible"))
            .alias("cible"),
            pl.when(pl.col("_toutes_echues"))
            .then(pl.col("_echeance_derniere"))
            .otherwise(pl.col("echeance_cible"))
            .alias("echeance_cible"),
        )
        .select(*KEYS, "cible", "echeance_cible")
    )
    months_left = (pl.col("echeance_cible").dt.year() - pl.col("mois").dt.year()) * 12 + (
        pl.col("echeance_cible").dt.month().cast(pl.Int32) - pl.col("mois").dt.month().cast(pl.Int32)
    )
    return flux.join(chosen, on=KEYS, how="left").with_columns(
        (pl.col("flux_annualise") / pl.col("cible")).alias("taux_atteinte_cible"),
        (pl.col("cible") / 12 - pl.col("documents")).alias("ecart_cible_mensuel"),
        months_left.cast(pl.Int32).alias("mois_avant_echeance"),
    )


# Colonnes d'une série consolidée entre niveaux géographiques, puis celles de `indicateurs_flux`.
CONSOLIDATED = [
    "mois",
    "niveau",
    "code_geo",
    "code_region",
    "couloir",
    "documents",
    "documents_ventiles",
    "non_ventile",
    "origine",
]
COLUMNS = [
    *CONSOLIDATED,
    "flux_annualise",
    "cumul_12_mois",
    "population",
    "annee_population",
    "documents_par_habitant_an",
    "part_couloir",
    "documents_m1",
    "evolution_1_mois",
    "documents_m12",
    "evolution_12_mois",
    "mois_reference_cosui",
    "evolution_depuis_cosui",
    "mois_base",
    "multiplicateur_depuis_base",
    "cible",
    "echeance_cible",
    "taux_atteinte_cible",
    "ecart_cible_mensuel",
    "mois_avant_echeance",
    "donnees_demo",
]


def _checkpoint(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Matérialise un résultat intermédiaire. Chaque étape joint la table à elle-même : sans point d'arrêt, le plan
    Polars double à chaque étape et son optimisation coûte plus que le calcul."""
    return frame.collect().lazy()


def flux_indicators(
    flux: pl.LazyFrame,
    population: pl.LazyFrame,
    targets: pl.LazyFrame,
    cosui_dates: pl.LazyFrame,
    establishments: bool = True,
) -> pl.LazyFrame:
    """La chaîne complète, des flux courants à `indicateurs_flux`. Avec `establishments=False`, les lignes
    d'établissement ne servent qu'à consolider les niveaux supérieurs (leurs propres séries viennent de
    `indicators/establishments.py`, en cube dense numpy)."""
    rolled_up = roll_up_geography(collapse_document_types(flux))
    if not establishments:
        rolled_up = rolled_up.filter(pl.col("niveau") != "etablissement")
    consolidated = _checkpoint(add_all_couloirs(_checkpoint(rolled_up)))
    out = _checkpoint(consolidated.pipe(annualise).pipe(rolling_12_months).pipe(per_inhabitant, population))
    out = _checkpoint(out.pipe(couloir_shares).pipe(evolutions))
    out = _checkpoint(out.pipe(change_since_reference, cosui_dates).pipe(multiplier_since_base))
    out = out.pipe(target_attainment, targets)
    return out.select(COLUMNS).sort(["niveau", "code_geo", "couloir", "mois"])
