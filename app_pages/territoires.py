"""Territoires : cartes par région et département (outre-mer compris, hors ligne), classement, ruptures de flux."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages.common import chart, choropleth, demo_note, feed_page, index_vs_national, read, show_table
from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.publish import titles
from pipelines.publish.theme import MAP_ATTRIBUTION, couloir_label
from pipelines.warehouse import queries

sel, mois = feed_page("Territoires", "Aucun flux à cartographier.", territory=False)
month = formats.month(mois) + (" (provisoire)" if sel.provisoire else "")
if sel.provisoire:
    st.warning(
        f"{formats.month(mois)} est provisoire : {formats.coverage(sel.couverture or {})}. Cartes et classement "
        "ne comparent que ce qui est déjà livré ; aucun territoire n'est dit « en tête » sur un mois incomplet.",
        icon=":material/hourglass_top:",
    )
regions = read(queries.flux_month, "region", mois)
departements = read(queries.flux_month, "departement", mois)
demo_note(bool(regions["donnees_demo"].any()) if regions.height else False)
# Le territoire choisi dans la barre latérale cadre la page : sa région (celle du département choisi), ses
# départements, ses comparaisons à son parent.
geographies = read(queries.geographies).filter(
    pl.col("niveau") == "departement"
)  # « 93 » : région et département
region_of = dict(zip(geographies["code_geo"], geographies["code_region"], strict=True))
focus = (
    sel.code if sel.niveau == "region" else region_of.get(sel.code) if sel.niveau == "departement" else None
)
region_names = dict(zip(regions["code_geo"], regions["libelle_geo"], strict=True))
if focus is not None:
    st.caption(
        f"Territoire : {sel.libelle}. Cartes et classement restreints à "
        f"{region_names.get(focus, focus)} et à ses départements ; comparaisons à la région et à la France."
    )
    own = departements.filter(pl.col("code_region") == focus)
    has_rate = own.height and own["documents_par_habitant_an"].is_not_null().any()
    column, unit, digits = (
        ("documents_par_habitant_an", "doc./hab./an", 1) if has_rate else ("documents", "documents", 0)
    )
    title = titles.territory_leader(
        own,
        column,
        unit,
        digits,
        sel.provisoire,
        neutral=f"Départements de {region_names.get(focus, focus)}, {month}",
        within=str(region_names.get(focus, focus)),
    )
    chart(
        choropleth(
            dict(zip(own["code_geo"], own[column], strict=True)),
            "departement",
            title,
            unit,
            digits,
            only=frozenset(own["code_geo"].to_list()),
        ),
        f"Départements de {region_names.get(focus, focus)}, {month} : "
        + (
            "documents par habitant et par an."
            if has_rate
            else "documents du mois (population départementale absente)."
        )
        + f" {MAP_ATTRIBUTION}",
        own.select(
            pl.col("code_geo").alias("Code"),
            pl.col("libelle_geo").alias("Département"),
            pl.col(column).alias(unit),
        ),
        key="carte_territoire",
    )

left, right = st.columns(2)
with left:
    values = dict(zip(regions["code_geo"], regions["documents_par_habitant_an"], strict=True))
    title = titles.territory_leader(
        regions,
        "documents_par_habitant_an",
        "documents/habitant/an",
        1,
        sel.provisoire,
        neutral=f"Documents par habitant, {month}",
    )
    chart(
        choropleth(values, "region", title, "doc./hab./an", 1),
        f"Documents par habitant et par an en {month} (rythme annuel ÷ population INSEE de la région). "
        f"Classes de quantiles. {MAP_ATTRIBUTION}",
        regions.sort("documents_par_habitant_an", descending=True, nulls_last=True).select(
            pl.col("libelle_geo").alias("Région"),
            pl.col("code_geo").alias("Code"),
            pl.col("documents_par_habitant_an").alias("Documents/habitant/an"),
        ),
        key="carte_regions",
        digits={"Documents/habitant/an": 1},
    )
with right:
    has_population = departements.height and departements["documents_par_habitant_an"].is_not_null().any()
    column, unit, digits = (
        ("documents_par_habitant_an", "doc./hab./an", 1) if has_population else ("documents", "documents", 0)
    )
    values = dict(zip(departements["code_geo"], departements[column], strict=True))
    chart(
        choropleth(
            values,
            "departement",
            f"Par département, {month}" + ("" if has_population else " : documents du mois"),
            unit,
            digits,
        ),
        (
            "Documents par habitant et par an par département."
            if has_population
            else "La population des départements n'est pas dans l'entrepôt (importez un fichier « population » "
            "au niveau département) : la carte montre le nombre de documents du mois, pas un taux."
        )
        + f" {MAP_ATTRIBUTION}",
        departements.sort(column, descending=True, nulls_last=True).select(
            pl.col("libelle_geo").alias("Département"),
            pl.col("code_geo").alias("Code"),
            pl.col(column).alias(unit),
        ),
        key="carte_departements",
        digits={unit: digits},
    )

if focus is not None:
    st.subheader(f"Classement des départements de {region_names.get(focus, focus)} — {month}")
    show_table(
        departements.filter(pl.col("code_region") == focus)
        .sort("documents_par_habitant_an", "documents", descending=True, nulls_last=True)
        .select(
            pl.col("libelle_geo").alias("Département"),
            pl.col("code_geo").alias("Code"),
            pl.col("documents").alias("Documents du mois"),
            pl.col("flux_annualise").alias("Rythme annuel"),
            pl.col("documents_par_habitant_an").alias("Documents/habitant/an"),
            pl.col("evolution_12_mois").alias("Évolution sur 12 mois"),
        ),
        percent=("Évolution sur 12 mois",),
    )
st.subheader(f"Classement des régions — {month}")
ranking = regions.sort("documents_par_habitant_an", descending=True, nulls_last=True).select(
    pl.col("libelle_geo").alias("Région"),
    pl.col("code_geo").alias("Code"),
    pl.col("documents").alias("Documents du mois"),
    pl.col("flux_annualise").alias("Rythme annuel"),
    pl.col("population").alias("Population"),
    pl.col("documents_par_habitant_an").alias("Documents/habitant/an"),
    pl.col("evolution_12_mois").alias("Évolution sur 12 mois"),
)
show_table(ranking, percent=("Évolution sur 12 mois",))

st.subheader("Une région et ses départements")
names = region_names
if names:
    # Le territoire de la barre latérale décide ; le choix sur la page ne sert qu'à la vue France.
    region: str = (
        focus
        if focus is not None and focus in names
        else st.selectbox(
            "Région", list(names), format_func=lambda c: f"{names[c]} ({c})", key="territoires_region"
        )
    )
    children = read(queries.flux_children, region, mois)
    pivot = (
        children.select("code_geo", "libelle_geo", "couloir", "documents")
        .pivot(on="couloir", index=["code_geo", "libelle_geo"], values="documents")
        .rename({"code_geo": "Département", "libelle_geo": "Nom"})
    )
    show_table(
        pivot.rename({c: couloir_label(c) for c in pivot.columns if c not in ("Département", "Nom")}),
    )
    region_series = read(queries.flux_series, "region", region).filter(pl.col("couloir") == ALL_COULOIRS)
    national_series = read(queries.flux_series, "pays", "FR").filter(pl.col("couloir") == ALL_COULOIRS)
    gap = read(queries.national_gap, "region", region, mois)
    if gap is not None:
        title = (
            f"{names[region]} : {formats.percent(gap, 0, signed=True)} par rapport à la moyenne nationale "
            f"en {month}"
        )
    else:
        title = f"{names[region]} face à la France"
    chart(
        index_vs_national(region_series, national_series, names[region], title),
        "Documents par habitant et par an (rythme annuel ÷ population INSEE) : la région en trait plein, la "
        "France en tirets.",
        region_series.select(
            formats.month_column("mois").alias("Mois"),
            pl.col("documents_par_habitant_an").round(3).alias(names[region]),
        ).join(
            national_series.select(
                formats.month_column("mois").alias("Mois"),
                pl.col("documents_par_habitant_an").round(3).alias("France"),
            ),
            on="Mois",
            how="left",
        ),
        key="region_vs_france",
    )

if sel.niveau == "departement" and focus is not None:
    own_series = read(queries.flux_series, "departement", sel.code).filter(pl.col("couloir") == ALL_COULOIRS)
    parent_series = read(queries.flux_series, "region", focus).filter(pl.col("couloir") == ALL_COULOIRS)
    parent_gap = read(queries.parent_gap, "departement", sel.code, "region", focus, mois)
    parent_name = str(region_names.get(focus, focus))
    chart(
        index_vs_national(
            own_series,
            parent_series,
            sel.libelle,
            f"{sel.libelle} : {formats.percent(parent_gap, 0, signed=True)} par rapport à {parent_name} en {month}"
            if parent_gap is not None
            else f"{sel.libelle} face à {parent_name}",
            parent_label=parent_name,
        ),
        f"Documents par habitant et par an : le département en trait plein, sa région ({parent_name}) en tirets.",
        key="departement_vs_region",
    )

st.subheader(f"Qui a cessé d'envoyer ? — {month}")
stopped = read(queries.ruptures, mois, focus)
if sel.niveau == "departement":
    stopped = stopped.filter(pl.col("code_geo") == sel.code)
st.caption("Par département et couloir ; par établissement, voir la page « Établissements ».")
if stopped.height == 0:
    st.success(
        "Aucune rupture de flux : chaque département qui envoyait des documents en envoie encore ce mois-ci."
    )
else:
    st.warning(f"{stopped.height} rupture(s) de flux : le dernier envoi précède {month}.")
    show_table(
        stopped.select(
            pl.col("code_geo").alias("Département"),
            pl.col("libelle_geo").alias("Nom"),
            pl.col("couloir")
            .replace_strict({c: couloir_label(c) for c in stopped["couloir"].unique().to_list()})
            .alias("Couloir"),
            formats.month_column("dernier_mois_avec_envoi", short=False).alias("Dernier mois avec envoi"),
            pl.col("documents_dernier_envoi").alias("Documents ce mois-là"),
        ),
    )
