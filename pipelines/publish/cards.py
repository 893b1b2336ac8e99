"""Carte à intégrer par territoire (`cartes/<niveau>/<code>.html`) : une page autonome de quelques kilo-octets,
sans script ni ressource extérieure, qu'un site de mairie ou de région peut reprendre dans un cadre ; et son image
PNG pour le partage. Les chiffres sont ceux du document JSON du territoire (`api.py`), donc ceux des CSV.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from pipelines import formats
from pipelines.progress import Progress, silent
from pipelines.publish.images import kaleido_server
from pipelines.publish.theme import FONT_FAMILY

FOLDERS = {"pays": "pays", "region": "region", "departement": "departement"}
SPARK_MONTHS = 24
MAX_BYTES = 200_000


def path_of(niveau: str, code: str, ext: str = "html") -> str:
    """Chemin d'une carte sous le dossier du paquet."""
    return f"cartes/{FOLDERS[niveau]}/{code}.{ext}"


def _usage_value(document: dict[str, Any], indicateur: str) -> float | None:
    found = [i for i in document["usage"]["indicateurs"] if i["indicateur"] == indicateur]
    return found[0]["valeur"] if found else None


def figures(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(libellé, valeur écrite à la française) des chiffres de la carte."""
    key = document["chiffres_cles"]
    documents = "< 11" if key["masque_secret_statistique"] else formats.integer(key["documents"])
    return [
        ("Documents envoyés dans le mois", documents),
        ("Documents par habitant et par an", formats.decimal(key["documents_par_habitant_an"], 1)),
        ("Évolution sur 12 mois", formats.percent(key["evolution_12_mois"], 0, signed=True)),
        (
            "Habitants ayant activé Mon espace santé",
            formats.percent(_usage_value(document, "taux_activation"), 0),
        ),
    ]


def _spark_points(document: dict[str, Any]) -> tuple[list[str], list[float], str]:
    """Mois, valeurs et nom de la série de la courbe : documents par habitant, à défaut rythme annuel."""
    series = document["serie_mensuelle"][-SPARK_MONTHS:]
    field, name = "documents_par_habitant_an", "documents par habitant et par an"
    if not any(p[field] is not None for p in series):
        field, name = "flux_annualise", "documents par an (rythme annuel)"
    kept = [(p["mois"], p[field]) for p in series if p[field] is not None]
    return [m for m, _ in kept], [float(v) for _, v in kept], name


def _sparkline_svg(months: list[str], values: list[float], name: str) -> str:
    """Courbe en SVG écrit à la main (aucune bibliothèque chargée), avec son titre pour les lecteurs d'écran."""
    width, height, pad = 320, 70, 4
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / (len(values) - 1)
    points = " ".join(
        f"{pad + i * step:.1f},{height - pad - (v - low) / span * (height - 2 * pad):.1f}"
        for i, v in enumerate(values)
    )
    first, last = formats.short_month(_date(months[0])), formats.short_month(_date(months[-1]))
    alt = (
        f"Évolution des {name}, de {formats.decimal(values[0], 1)} en {first} "
        f"à {formats.decimal(values[-1], 1)} en {last}"
    )
    return (
        f'<svg role="img" aria-label="{html.escape(alt)}" viewBox="0 0 {width} {height}" width="100%" '
        f'height="{height}"><title>{html.escape(alt)}</title>'
        f'<polyline fill="none" stroke="#0072B2" stroke-width="2.5" points="{points}"/></svg>'
        f'<p class="axe">{html.escape(first)} – {html.escape(last)} : {html.escape(name)}</p>'
    )


def _date(month: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(f"{month}-01")


def card_html(document: dict[str, Any], freshness_text: str, licence: str, warning: str | None = None) -> str:
    """La carte d'un territoire, page HTML autonome (styles en ligne, aucun script)."""
    territory = document["territoire"]
    month = formats.month(_date(document["mois"]))
    items = "".join(
        f"<li><span>{html.escape(label)}</span><strong>{html.escape(value)}</strong></li>"
        for label, value in figures(document)
    )
    demo = (
        "<p class='demo'><strong>Données de démonstration — non officielles</strong></p>"
        if document["demonstration"]
        else ""
    )
    spark = _sparkline_svg(*_spark_points(document))
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(territory["libelle"])} — Mon espace santé, {html.escape(month)}</title>
<style>
body{{font-family:{FONT_FAMILY};margin:0;padding:.8rem;color:#1a1a1a;background:#fff;max-width:28rem}}
h1{{font-size:1.15rem;margin:0 0 .2rem}} p{{margin:.2rem 0}} .sous{{color:#444;font-size:.85rem}}
ul{{list-style:none;padding:0;margin:.6rem 0;display:grid;grid-template-columns:1fr 1fr;gap:.5rem}}
li{{border:1px solid #999;padding:.4rem}} li span{{display:block;font-size:.75rem}} li strong{{font-size:1.3rem}}
.demo{{background:#fff3cd;border:2px solid #D55E00;padding:.3rem}} .axe,.pied{{font-size:.72rem;color:#444}}
</style></head><body>
<main>
<h1>{html.escape(territory["libelle"])}</h1>
<p class="sous">Mon espace santé — chiffres {html.escape(formats.of_month(_date(document["mois"])))}</p>
{demo}
<ul>{items}</ul>
{spark}
<p class="pied">{html.escape(freshness_text)}.</p>
{f'<p class="demo" role="alert">{html.escape(warning)}</p>' if warning else ""}
<p class="pied">Sources : Mon espace santé (Cnam, ANS), COSUI du Ségur numérique, INSEE. {html.escape(licence)}.</p>
</main>
</body></html>
"""


def card_figure(document: dict[str, Any], freshness_text: str, warning: str | None = None) -> go.Figure:
    """La même carte en figure Plotly, pour son image PNG (kaleido) : titre, quatre chiffres, courbe."""
    months, values, name = _spark_points(document)
    fig = go.Figure(
        go.Scatter(
            x=months,
            y=values,
            mode="lines",
            line={"color": "#0072B2", "width": 3},
            xaxis="x",
            yaxis="y",
            name=name,
        )
    )
    title = (
        f"{document['territoire']['libelle']} — Mon espace santé, {formats.month(_date(document['mois']))}"
    )
    for index, (label, value) in enumerate(figures(document)):
        x = 0.0 if index % 2 == 0 else 0.52
        y = 1.0 if index < 2 else 0.74
        fig.add_annotation(
            x=x,
            y=y,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="top",
            showarrow=False,
            text=html.escape(label),
            font={"size": 13},
        )
        fig.add_annotation(
            x=x,
            y=y - 0.07,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="top",
            showarrow=False,
            text=f"<b>{html.escape(value)}</b>",
            font={"size": 28},
        )
    lines = [freshness_text + "."]
    if warning:
        lines.append(warning)
    if document["demonstration"]:
        lines.append("DONNÉES DE DÉMONSTRATION, NON OFFICIELLES")
    fig.add_annotation(
        x=0,
        y=-0.04,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="top",
        showarrow=False,
        align="left",
        text="<br>".join(html.escape(line) for line in lines),
        font={"size": 10, "color": "#444"},
    )
    fig.update_layout(
        title={"text": title, "x": 0.02, "font": {"size": 18}},
        font={"family": FONT_FAMILY, "size": 13, "color": "#1a1a1a"},
        width=640,
        height=380,
        showlegend=False,
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin={"l": 20, "r": 20, "t": 50, "b": 60},
        xaxis={"domain": [0, 1], "showgrid": False, "visible": False},
        yaxis={"domain": [0, 0.4], "showgrid": False, "visible": False},
    )
    return fig


def write_cards(
    folder: Path,
    documents: dict[tuple[str, str], dict[str, Any]],
    freshness_text: str,
    licence: str,
    images: bool,
    warning: str | None = None,
    progress: Progress = silent,
) -> list[Path]:
    """Une carte HTML par territoire et, si `images`, son PNG (un seul démarrage de kaleido pour la série)."""
    written: list[Path] = []
    for (niveau, code), document in documents.items():
        path = folder / path_of(niveau, code)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(card_html(document, freshness_text, licence, warning), encoding="utf-8")
        written.append(path)
    if not images:
        return written
    with kaleido_server():
        for done, ((niveau, code), document) in enumerate(documents.items()):
            if done % 20 == 0:
                progress(f"images des cartes : {done} sur {len(documents)}…")
            target = folder / path_of(niveau, code, "png")
            card_figure(document, freshness_text, warning).write_image(target, width=640, height=380, scale=1)
            written.append(target)
    return written
