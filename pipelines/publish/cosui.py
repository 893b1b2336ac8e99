"""Dossier COSUI (PowerPoint, et le même en PDF à côté) : les diapositives que l'équipe de pilotage construisait à
la main.

Chiffres clés du dernier mois complet, trajectoire vers 250 M, couloirs face à leurs cibles, évolution depuis le
COSUI précédent, SONS, SUN-ES, errata et révisions depuis le COSUI précédent. Polices lisibles au projecteur.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import polars as pl

from pipelines import formats
from pipelines.indicators import completeness
from pipelines.indicators.codes import ALL_COULOIRS, ALL_WINDOWS, DISPOSITIF_GROUPS
from pipelines.indicators.kpi import key_figures
from pipelines.indicators.target_status import target_status
from pipelines.progress import Progress, silent
from pipelines.publish import charts, figure_cards
from pipelines.publish.export import watermark, write_images
from pipelines.publish.slides import Picture, Slide, Table, Text, write_pdf, write_pptx
from pipelines.publish.theme import COULOIR_LABELS, DOMAINE_LABELS
from pipelines.warehouse import queries
from pipelines.warehouse.connection import first_row

TITLE_PT, BODY_PT, TABLE_PT, NUMBER_PT = 32, 20, 16, 40


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
    slide: Slide,
    text: str,
    left: float,
    top: float,
    width: float,
    height: float,
    size: int = BODY_PT,
    bold: bool = False,
    color: str | None = None,
) -> None:
    slide.blocks.append(Text(text, left, top, width, height, size, bold, color))


def _table(
    slide: Slide, header: Sequence[str], rows: Sequence[Sequence[str]], top: float = 1.4, size: int = TABLE_PT
) -> None:
    slide.blocks.append(Table(list(header), [list(r) for r in rows], top, size))


COSUI_CARDS = (
    "documents_mois",
    "flux_annualise",
    "taux_atteinte_cible",
    "documents_par_habitant_an",
    "evolution_12_mois",
    "evolution_depuis_cosui",
)


def _month(iso_month: str | None) -> str:
    """« 2024-02 » (forme JSON des chiffres clés) → « février 2024 »."""
    return formats.month(dt.date.fromisoformat(f"{iso_month}-01")) if iso_month else formats.MISSING


@dataclass(frozen=True)
class Dossier:
    """Ce que les diapositives partagent : les diapositives déjà écrites et les chiffres du COSUI."""

    con: duckdb.DuckDBPyConnection
    date: dt.date  # date du COSUI
    mois: dt.date  # dernier mois complet
    demo: bool
    figures: dict[str, Any]  # chiffres clés du mois (`kpi.key_figures`)
    series: pl.DataFrame  # série nationale, tous couloirs et `TOUS`
    jalons: pl.DataFrame
    previous: dt.date | None  # COSUI précédent
    images: Path  # dossier temporaire des graphiques, le temps d'écrire le PPTX et le PDF
    deck: list[Slide] = field(default_factory=list)

    @property
    def reference(self) -> dt.date | None:
        """Mois du dernier COSUI tenu avant le mois des chiffres : la base de « l'évolution depuis le COSUI »."""
        iso = self.figures["mois_reference_cosui"]
        return dt.date.fromisoformat(f"{iso}-01") if iso else None

    def slide(self, title: str) -> Slide:
        slide = Slide()
        _text(slide, title, 0.5, 0.3, 12.3, 0.9, TITLE_PT, bold=True)
        if self.demo:
            _text(
                slide, "DONNÉES DE DÉMONSTRATION — NON OFFICIELLES", 0.5, 6.9, 12.3, 0.5, 16, True, "D55E00"
            )
        self.deck.append(slide)
        return slide


def _title_slide(dossier: Dossier) -> None:
    slide = dossier.slide(f"Ségur du numérique en santé — COSUI du {formats.date(dossier.date)}")
    subtitle = (
        "Alimentation de Mon espace santé, SONS et SUN-ES\n"
        f"Chiffres {formats.of_month(dossier.mois)} (dernier mois complet)"
    )
    _text(slide, subtitle, 0.5, 2.5, 12.3, 2, 28)


def _key_figures_slide(dossier: Dossier) -> None:
    k = dossier.figures
    slide = dossier.slide(f"Chiffres clés {formats.of_month(dossier.mois)}")
    cards = figure_cards.cards(k, COSUI_CARDS)
    for i, (label, value) in enumerate(cards):
        left, top = 0.5 + (i % 3) * 4.2, 1.6 + (i // 3) * 2.5
        _text(slide, value, left, top, 4.0, 1.0, NUMBER_PT, bold=True)
        _text(slide, label, left, top + 1.0, 4.0, 1.0, BODY_PT)


def _chart_figures(dossier: Dossier) -> tuple[go.Figure, go.Figure, pl.DataFrame]:
    """Trajectoire nationale jusqu'au mois du COSUI et couloirs face à leur cible, lisibles au projecteur."""
    k = dossier.figures
    national = dossier.series.filter(pl.col("couloir") == ALL_COULOIRS)
    projection = queries.projections(dossier.con, ALL_COULOIRS)
    if dossier.mois != latest_national_complete(dossier.con):  # la projection part du dernier mois complet
        projection = projection.head(0)
    published = queries.published_flux(dossier.con).filter(
        (pl.col("couloir") == ALL_COULOIRS) & (pl.col("mois") <= dossier.mois)
    )
    finding = (
        f"{formats.millions(k['flux_annualise'])} de documents par an, "
        f"{formats.percent(k['taux_atteinte_cible'], 0)} de la cible"
    )
    trend = charts.annualised_trend(
        national.filter(pl.col("mois") <= dossier.mois),
        published,
        dossier.jalons,
        projection,
        k["cible_annuelle"],
        finding,
        today=dossier.date,
    )
    latest = dossier.series.filter((pl.col("mois") == dossier.mois) & (pl.col("couloir") != ALL_COULOIRS))
    targets = charts.couloir_targets(latest, "Couloirs face à leur cible", font_size=20)
    for fig in (trend, targets):
        fig.update_layout(font={"size": 20}, title={"font": {"size": 24}})
        if dossier.demo:
            watermark(fig)
    return trend, targets, latest


def _trajectory_slide(dossier: Dossier, image: Path, alt: str) -> None:
    status = target_status(dossier.figures)
    slide = dossier.slide("Trajectoire vers 250 M de documents par an")
    slide.blocks.append(Picture(image, 0.5, 1.2, 9.5, alt))
    text = f"{status.label} : {status.value}.\n{status.detail}\n\nRythme annuel = documents du mois × 12."
    _text(slide, text, 10.2, 1.5, 2.9, 4.5, 18)


def _couloirs_slide(dossier: Dossier, image: Path, latest: pl.DataFrame, alt: str) -> None:
    slide = dossier.slide("Couloirs face à leurs cibles")
    slide.blocks.append(Picture(image, 0.5, 1.2, 9.5, alt))
    below = latest.filter(pl.col("cible").is_not_null() & (pl.col("taux_atteinte_cible") < 1))
    names = ", ".join(COULOIR_LABELS[c] for c in below["couloir"].to_list()) or "aucun"
    _text(slide, f"Sous leur cible : {names}", 10.2, 1.5, 2.9, 4.5, 18)


def _chart_slides(dossier: Dossier, progress: Progress) -> None:
    """Trajectoire et couloirs : les deux images écrites d'un seul démarrage de kaleido."""
    progress("graphiques du COSUI…")
    trend, targets, latest = _chart_figures(dossier)
    images = write_images(
        {"trajectoire": (trend, "", pl.DataFrame()), "couloirs": (targets, "", pl.DataFrame())},
        dossier.images,
        progress,
    )
    png = {p.stem: p for p in images if p.suffix == ".png"}
    _trajectory_slide(dossier, png["trajectoire"], str(trend.layout.title.text).replace("<br>", " "))
    _couloirs_slide(dossier, png["couloirs"], latest, str(targets.layout.title.text).replace("<br>", " "))


def _since_previous_slide(dossier: Dossier) -> None:
    """Évolution par couloir depuis le dernier COSUI tenu avant le mois des chiffres (même base que les chiffres
    clés : le COSUI du 5 novembre ne sert pas de base à des chiffres d'octobre)."""
    reference = dossier.reference
    slide = dossier.slide(f"Évolution {figure_cards.since_cosui(reference)}")
    if reference is None:
        _text(slide, "Aucun COSUI antérieur dans les jalons.", 0.5, 1.5, 12, 1)
        return
    ref_month = reference
    then = dossier.series.filter(pl.col("mois") == ref_month)
    now = dossier.series.filter(pl.col("mois") == dossier.mois)
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
    header = [
        "Couloir",
        f"Documents {formats.of_month(ref_month)}",
        f"Documents {formats.of_month(dossier.mois)}",
        "Évolution",
    ]
    _table(slide, header, rows)


def _sons_slide(dossier: Dossier) -> None:
    sons = queries.sons_latest(dossier.con, "pays", "FR")
    slide = dossier.slide("SONS : commandes, installations, soldes")
    if not sons.height:
        return
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
    header = ["Dispositif", "Situation au", "BDC", "Installations", "Soldes", "Couverture", "Taux de solde"]
    _table(slide, header, rows, size=14)


def _sunes_slide(dossier: Dossier) -> None:
    sunes = queries.sunes(dossier.con, "pays", "FR")
    slide = dossier.slide("SUN-ES : établissements engagés et validés")
    if not sunes.height:
        return
    last_date = sunes["date_situation"].max()
    snap = sunes.filter((pl.col("date_situation") == last_date) & (pl.col("fenetre") == ALL_WINDOWS)).sort(
        "domaine"
    )
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


def _errata_slide(dossier: Dossier) -> None:
    slide = dossier.slide("Errata et révisions depuis le COSUI précédent")
    since = dossier.previous or dt.date(1900, 1, 1)
    errata = queries.errata(dossier.con).filter(
        (pl.col("date_correction") >= since) & (pl.col("date_correction") <= dossier.date)
    )
    revisions = queries.revisions(dossier.con).filter(pl.col("accepte_le").cast(pl.Date) >= since)
    lines = [
        f"Erratum du {formats.date(r['date_correction'])} : {formats.millions(r['valeur_affichee'], 0)} affichés, "
        f"{formats.millions(r['valeur_corrigee'], 0)} corrigés — {r['explication']}"
        for r in errata.iter_rows(named=True)
    ]
    lines += [
        f"Révision {formats.of_month(r['mois'])} : {formats.integer(r['documents_avant'])} → "
        f"{formats.integer(r['documents_apres'])} documents (import n° {r['import_id']}, {r['fichier']})"
        for r in revisions.head(8).iter_rows(named=True)
    ]
    text = "\n".join(lines) or "Aucun erratum ni révision depuis le COSUI précédent."
    _text(slide, text, 0.5, 1.4, 12.3, 5, 18)


def _dossier(con: duckdb.DuckDBPyConnection, date: dt.date, images: Path) -> Dossier:
    month = latest_complete_month(con, date)
    if month is None:
        raise CosuiError(f"aucun mois complet de flux avant le {formats.date(date)}")
    milestones = queries.milestones(con)
    return Dossier(
        con=con,
        date=date,
        mois=month,
        demo=queries.has_demo(con),
        figures=key_figures(con, month),
        series=queries.flux_series(con, "pays", "FR"),
        jalons=milestones,
        previous=_previous_cosui(milestones, date),
        images=images,
    )


def cosui_figures(con: duckdb.DuckDBPyConnection, date: dt.date) -> dict[str, go.Figure]:
    """Les graphiques du dossier, tels qu'ils sont écrits sur les diapositives (pour les vérifier)."""
    trend, targets, _ = _chart_figures(_dossier(con, date, Path(tempfile.gettempdir())))
    return {"trajectoire": trend, "couloirs": targets}


def build_cosui(
    con: duckdb.DuckDBPyConnection, out: Path, date: dt.date, progress: Progress = silent
) -> Path:
    """Écrit le dossier du COSUI du `date` en PPTX (`out`) et le même en PDF à côté (`out` en .pdf) : une fonction
    par diapositive, dans l'ordre de la séance."""
    with tempfile.TemporaryDirectory(prefix="mes-cosui-") as tmp:
        dossier = _dossier(con, date, Path(tmp))
        _title_slide(dossier)
        _key_figures_slide(dossier)
        _chart_slides(dossier, progress)
        _since_previous_slide(dossier)
        _sons_slide(dossier)
        _sunes_slide(dossier)
        _errata_slide(dossier)
        write_pptx(dossier.deck, out)
        progress("PDF du dossier…")
        write_pdf(dossier.deck, out.with_suffix(".pdf"), f"COSUI du {formats.date(date)}")
    return out


def cosui_file(
    con: duckdb.DuckDBPyConnection, date: dt.date, progress: Progress = silent
) -> tuple[str, tuple[bytes, bytes], str]:
    """Le dossier COSUI à télécharger : (nom sans extension, (PPTX, PDF), compte rendu). Lève `CosuiError`."""
    with tempfile.TemporaryDirectory(prefix="mes-cosui-") as tmp:
        out = build_cosui(con, Path(tmp) / "cosui.pptx", date, progress=progress)
        return (
            f"cosui_{date:%Y-%m-%d}",
            (out.read_bytes(), out.with_suffix(".pdf").read_bytes()),
            "Dossier prêt",
        )
