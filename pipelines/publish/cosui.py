"""Dossier COSUI (PowerPoint) : les diapositives que l'équipe de pilotage construisait à la main.

Chiffres clés du dernier mois complet, trajectoire vers 250 M, couloirs face à leurs cibles, évolution depuis le
COSUI précédent, SONS, SUN-ES, errata et révisions depuis le COSUI précédent. Polices lisibles au projecteur.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from pipelines import formats
from pipelines.indicators import completeness
from pipelines.indicators.codes import ALL_COULOIRS, ALL_WINDOWS, DISPOSITIF_GROUPS
from pipelines.indicators.kpi import key_figures
from pipelines.indicators.target_status import target_status
from pipelines.progress import Progress, silent
from pipelines.publish import charts
from pipelines.publish.export import watermark, write_images
from pipelines.publish.theme import COULOIR_LABELS, DOMAINE_LABELS
from pipelines.warehouse import queries
from pipelines.warehouse.connection import first_row

TITLE_PT, BODY_PT, TABLE_PT, NUMBER_PT = 32, 20, 16, 40
WIDE = (Inches(13.333), Inches(7.5))


class CosuiError(RuntimeError):
    pass


def _previous_cosui(milestones: pl.DataFrame, date: dt.date) -> dt.date | None:
    earlier = milestones.filter((pl.col("programme") == "COSUI") & (pl.col("date") < date))["date"]
    return earlier.max() if earlier.len() else None  # type: ignore[return-value]


def latest_national_complete(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """Dernier mois complet de la France, d'où partent trajectoire et projection."""
    return completeness.latest_complete_month(con, "pays", "FR")


def latest_complete_month(con: duckdb.DuckDBPyConnection, date: dt.date) -> dt.date | None:
    """Dernier mois complet de la France (toutes contributions livrées, `completude`), achevé à la date du COSUI
    (mois strictement antérieur)."""
    try:
        row = first_row(
            con,
            "SELECT max(mois) FROM completude WHERE niveau = 'pays' AND code_geo = 'FR' AND couloir = 'TOUS' "
            "AND complet AND mois < ?",
            [date.replace(day=1)],
        )
    except duckdb.CatalogException:  # entrepôt antérieur à la complétude
        row = first_row(
            con,
            "SELECT max(mois) FROM indicateurs_flux WHERE niveau = 'pays' AND couloir = 'TOUS' AND mois < ?",
            [date.replace(day=1)],
        )
    return row[0] if row else None


def _text(
    slide: Any,
    text: str,
    left: float,
    top: float,
    width: float,
    height: float,
    size: int = BODY_PT,
    bold: bool = False,
    color: RGBColor | None = None,
) -> None:
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
        paragraph.font.bold = bold
        if color is not None:
            paragraph.font.color.rgb = color


def _slide(prs: Any, title: str, demo: bool) -> Any:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _text(slide, title, 0.5, 0.3, 12.3, 0.9, TITLE_PT, bold=True)
    if demo:
        _text(
            slide,
            "DONNÉES DE DÉMONSTRATION — NON OFFICIELLES",
            0.5,
            6.9,
            12.3,
            0.5,
            16,
            bold=True,
            color=RGBColor(0xD5, 0x5E, 0x00),
        )
    return slide


def _table(
    slide: Any, header: Sequence[str], rows: Sequence[Sequence[str]], top: float = 1.4, size: int = TABLE_PT
) -> None:
    shape = slide.shapes.add_table(
        len(rows) + 1, len(header), Inches(0.5), Inches(top), Inches(12.3), Inches(0.4 * (len(rows) + 1))
    )
    table = shape.table
    for j, name in enumerate(header):
        table.cell(0, j).text = name
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    for cell in (table.cell(i, j) for i in range(len(rows) + 1) for j in range(len(header))):
        for paragraph in cell.text_frame.paragraphs:
            paragraph.font.size = Pt(size)


def build_cosui(
    con: duckdb.DuckDBPyConnection, out: Path, date: dt.date, progress: Progress = silent
) -> Path:
    """Écrit le dossier PPTX du COSUI du `date`."""
    month = latest_complete_month(con, date)
    if month is None:
        raise CosuiError(f"aucun mois complet de flux avant le {formats.date(date)}")
    demo = queries.has_demo(con)
    k = key_figures(con, month)
    milestones = queries.milestones(con)
    previous = _previous_cosui(milestones, date)
    series = queries.flux_series(con, "pays", "FR")
    national = series.filter(pl.col("couloir") == ALL_COULOIRS)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(WIDE[0]), Emu(WIDE[1])

    slide = _slide(prs, f"Ségur du numérique en santé — COSUI du {formats.date(date)}", demo)
    _text(
        slide,
        f"Alimentation de Mon espace santé, SONS et SUN-ES\nChiffres au {formats.month(month)} (dernier mois complet)",
        0.5,
        2.5,
        12.3,
        2,
        28,
    )

    slide = _slide(prs, f"Chiffres clés — {formats.month(month)}", demo)
    cards = [
        ("Documents envoyés", formats.integer(k["documents_mois"])),
        ("Rythme annuel", formats.millions(k["flux_annualise"])),
        ("Part de la cible 250 M", formats.percent(k["taux_atteinte_cible"])),
        ("Documents / habitant / an", formats.decimal(k["documents_par_habitant_an"], 2)),
        ("Sur 12 mois", formats.percent(k["evolution_12_mois"], signed=True)),
        (
            f"Depuis le COSUI ({k['mois_reference_cosui'] or '—'})",
            formats.percent(k["evolution_depuis_cosui"], signed=True),
        ),
    ]
    for i, (label, value) in enumerate(cards):
        left, top = 0.5 + (i % 3) * 4.2, 1.6 + (i // 3) * 2.5
        _text(slide, value, left, top, 4.0, 1.0, NUMBER_PT, bold=True)
        _text(slide, label, left, top + 1.0, 4.0, 0.8, BODY_PT)

    progress("graphiques du COSUI…")
    projection = (
        queries.projections(con, ALL_COULOIRS)
        if month == latest_national_complete(con)
        else queries.projections(con, ALL_COULOIRS).head(0)
    )
    published = queries.published_flux(con).filter(
        (pl.col("couloir") == ALL_COULOIRS) & (pl.col("mois") <= month)
    )
    upto = national.filter(pl.col("mois") <= month)
    trend = charts.annualised_trend(
        upto,
        published,
        milestones,
        projection,
        k["cible_annuelle"],
        f"{formats.millions(k['flux_annualise'])} de documents par an, {formats.percent(k['taux_atteinte_cible'], 0)} de la cible",
    )
    latest = series.filter((pl.col("mois") == month) & (pl.col("couloir") != ALL_COULOIRS))
    targets = charts.couloir_targets(latest, "Couloirs face à leur cible")
    for fig in (trend, targets):
        fig.update_layout(font={"size": 20}, title={"font": {"size": 24}})
        if demo:
            watermark(fig)
    with tempfile.TemporaryDirectory(prefix="mes-cosui-") as tmp:
        images = write_images(
            {"trajectoire": (trend, "", pl.DataFrame()), "couloirs": (targets, "", pl.DataFrame())},
            Path(tmp),
            progress,
        )
        png = {p.stem: p for p in images if p.suffix == ".png"}
        status = target_status(k)
        slide = _slide(prs, "Trajectoire vers 250 M de documents par an", demo)
        slide.shapes.add_picture(str(png["trajectoire"]), Inches(0.5), Inches(1.2), width=Inches(9.5))
        _text(
            slide,
            f"{status.label} : {status.value}.\n{status.detail}\n\nRythme annuel = documents du mois × 12.",
            10.2,
            1.5,
            2.9,
            4.5,
            18,
        )
        slide = _slide(prs, "Couloirs face à leurs cibles", demo)
        slide.shapes.add_picture(str(png["couloirs"]), Inches(0.5), Inches(1.2), width=Inches(9.5))
        below = latest.filter(pl.col("cible").is_not_null() & (pl.col("taux_atteinte_cible") < 1))
        _text(
            slide,
            "Sous leur cible : "
            + (", ".join(COULOIR_LABELS[c] for c in below["couloir"].to_list()) or "aucun"),
            10.2,
            1.5,
            2.9,
            4.5,
            18,
        )

    slide = _slide(
        prs, f"Évolution depuis le COSUI précédent ({formats.date(previous) if previous else '—'})", demo
    )
    if previous is not None:
        ref_month = previous.replace(day=1)
        then = series.filter(pl.col("mois") == ref_month)
        now = series.filter(pl.col("mois") == month)
        joined = now.join(
            then.select("couloir", pl.col("documents").alias("avant")), on="couloir", how="left"
        ).sort("couloir")
        rows = [
            [
                COULOIR_LABELS.get(r["couloir"], r["couloir"]),
                formats.integer(r["avant"]),
                formats.integer(r["documents"]),
                formats.percent(r["documents"] / r["avant"] - 1, signed=True) if r["avant"] else "—",
            ]
            for r in joined.iter_rows(named=True)
        ]
        _table(
            slide,
            [
                "Couloir",
                f"Documents {formats.month(ref_month)}",
                f"Documents {formats.month(month)}",
                "Évolution",
            ],
            rows,
        )
    else:
        _text(slide, "Aucun COSUI antérieur dans les jalons.", 0.5, 1.5, 12, 1)

    sons = queries.sons_latest(con, "pays", "FR")
    slide = _slide(prs, "SONS : commandes, installations, soldes", demo)
    if sons.height:
        last = sons.filter(~pl.col("dispositif").is_in(DISPOSITIF_GROUPS)).tail(12)
        rows = [
            [
                f"{r['vague']} {r['dispositif']}",
                formats.date(r["date_situation"]),
                formats.integer(r["bons_de_commande"]),
                formats.integer(r["installations"]),
                formats.integer(r["demandes_de_solde"]),
                formats.percent(r["taux_couverture"]),
                formats.percent(r["taux_solde"]),
            ]
            for r in last.iter_rows(named=True)
        ]
        _table(
            slide,
            ["Dispositif", "Situation au", "BDC", "Installations", "Soldes", "Couverture", "Taux de solde"],
            rows,
            size=14,
        )
    sunes = queries.sunes(con, "pays", "FR")
    slide = _slide(prs, "SUN-ES : établissements engagés et validés", demo)
    if sunes.height:
        last_date = sunes["date_situation"].max()
        snap = sunes.filter(
            (pl.col("date_situation") == last_date) & (pl.col("fenetre") == ALL_WINDOWS)
        ).sort("domaine")
        rows = [
            [
                DOMAINE_LABELS.get(r["domaine"], r["domaine"]),
                formats.integer(r["es_engages"]),
                formats.integer(r["es_valides"]),
                formats.percent(r["taux_validation"]),
            ]
            for r in snap.iter_rows(named=True)
        ]
        _table(slide, ["Domaine", "ES engagés", "ES validés", "Taux de validation"], rows)
        _text(slide, f"Situation au {formats.date(last_date)}.", 0.5, 5.5, 12, 0.6, 18)  # type: ignore[arg-type]

    slide = _slide(prs, "Errata et révisions depuis le COSUI précédent", demo)
    since = previous or dt.date(1900, 1, 1)
    errata = queries.errata(con).filter(
        (pl.col("date_correction") >= since) & (pl.col("date_correction") <= date)
    )
    revisions = queries.revisions(con).filter(pl.col("accepte_le").cast(pl.Date) >= since)
    lines = [
        f"Erratum du {formats.date(r['date_correction'])} : {formats.millions(r['valeur_affichee'], 0)} affichés, "
        f"{formats.millions(r['valeur_corrigee'], 0)} corrigés — {r['explication']}"
        for r in errata.iter_rows(named=True)
    ]
    lines += [
        f"Révision {formats.of_month(r['mois'])} : {formats.integer(r['documents_avant'])} → {formats.integer(r['documents_apres'])} documents "
        f"(import n° {r['import_id']}, {r['fichier']})"
        for r in revisions.head(8).iter_rows(named=True)
    ]
    _text(
        slide,
        "\n".join(lines) or "Aucun erratum ni révision depuis le COSUI précédent.",
        0.5,
        1.4,
        12.3,
        5,
        18,
    )

    out.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(out))
    return out
