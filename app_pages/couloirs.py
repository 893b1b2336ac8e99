"""Couloirs : flux mensuel empilé, parts dans le temps, chaque couloir face à sa cible."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages.common import (
    chart,
    couloir_shares,
    couloir_stacked,
    couloir_targets,
    demo_note,
    feed_page,
    read,
    show_table,
    with_parents,
)
from pipelines import formats
from pipelines.indicators.codes import ALL_COULOIRS
from pipelines.publish import titles
from pipelines.publish.theme import COULOIR_LABELS, couloir_label
from pipelines.warehouse import queries

sel, mois = feed_page("Couloirs", "Aucun flux pour ce périmètre.")
series = read(queries.flux_series, sel.niveau, sel.code)
by_couloir = series.filter(pl.col("couloir") != ALL_COULOIRS)
month_rows = by_couloir.filter(pl.col("mois") == mois).sort("documents", descending=True)
demo_note(bool(series["donnees_demo"].any()))

if sel.provisoire:
    st.warning(
        f"{formats.month(mois)} est provisoire : {formats.coverage(sel.couverture or {})}.",
        icon=":material/hourglass_top:",
    )
title = titles.couloir_leader(month_rows, formats.month(mois), sel.provisoire, COULOIR_LABELS)
label_month = formats.month_column("mois").alias("Mois")
label_couloir = (
    pl.col("couloir")
    .replace_strict({c: couloir_label(c) for c in by_couloir["couloir"].unique().to_list()})
    .alias("Couloir")
)
chart(
    couloir_stacked(by_couloir, title),
    "Documents envoyés à Mon espace santé chaque mois, par couloir d'émetteurs (motif propre à chaque couloir).",
    by_couloir.select(label_month, label_couloir, pl.col("documents").alias("Documents")),
    key="empile",
)
chart(
    couloir_shares(by_couloir, "Part de chaque couloir dans les documents du mois"),
    "Part du couloir = documents du couloir ÷ documents de tous les couloirs, même mois et même géographie.",
    by_couloir.select(label_month, label_couloir, pl.col("part_couloir").alias("Part")),
    key="parts",
    percent=("Part",),
)
targeted = month_rows.filter(pl.col("cible").is_not_null())
if targeted.height:
    below = targeted.filter(pl.col("taux_atteinte_cible") < 1)
    title = (
        f"{len(below)} couloir(s) sous leur cible en {formats.month(mois)} : "
        + ", ".join(couloir_label(c) for c in below["couloir"].to_list())
        if below.height
        else f"Tous les couloirs ciblés atteignent leur cible en {formats.month(mois)}"
    )
    chart(
        couloir_targets(targeted, title),
        "Rythme annuel du couloir (mois × 12) face à sa cible : 120 M médecins de ville, 75 M biologie, 35 M "
        "radiologie, 20 M hôpital (COSUI ; DSIH). Le trait orange vertical marque la cible.",
        targeted.select(
            label_couloir,
            pl.col("flux_annualise").alias("Rythme annuel"),
            pl.col("cible").alias("Cible"),
            pl.col("taux_atteinte_cible").alias("Part de la cible"),
        ),
        key="cibles",
        percent=("Part de la cible",),
    )
else:
    st.caption("Les cibles par couloir sont nationales : choisissez « France » pour les comparer.")

if sel.niveau != "pays":
    # Les parts du territoire face à celles de ses parents, le même mois (les cibles, nationales, n'y sont pas).
    figures = with_parents(sel)
    st.subheader(
        f"Parts des couloirs : {sel.libelle} face à {' et à '.join(name for name, _ in figures[1:])}"
    )
    codes = [c for c in COULOIR_LABELS if any(c in f["parts_couloir"] for _, f in figures)]
    show_table(
        pl.DataFrame(
            {
                "Couloir": [couloir_label(c) for c in codes],
                **{name: [f["parts_couloir"].get(c) for c in codes] for name, f in figures},
            },
            schema_overrides={name: pl.Float64 for name, _ in figures},
        ),
        percent=tuple(name for name, _ in figures),
    )
