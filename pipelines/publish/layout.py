"""Mise en page des graphiques exportés, calculée d'après leurs textes : titre replié à la largeur, marges qui
contiennent les graduations et la légende, place réservée aux valeurs écrites au bout des barres. Rien n'est coupé
dans le PNG ou le SVG, à la taille du paquet de transparence comme à celle des diapositives.
"""

from __future__ import annotations

import plotly.graph_objects as go

# Largeurs des glyphes de Liberation Sans (métriques d'Arial), en fraction de la taille de police ; les caractères
# absents comptent comme les plus larges des minuscules, pour ne jamais sous-estimer.
_NARROW = set("ijlI.,:;!'|()[]/\u202f\u00a0 ·")
_SEMI = set('frt-"*')
_WIDE = set("mwMW%—…@")
_UPPER = set("ABCDEFGHJKLNOPQRSTUVXYZÉÈÀÇ")


def text_width(text: str, size: float) -> float:
    """Largeur estimée (px) d'une ligne de texte à la taille `size` (px), par excès de 5 %."""
    total = 0.0
    for char in text:
        if char in _NARROW:
            total += 0.28
        elif char in _SEMI:
            total += 0.36
        elif char in _WIDE:
            total += 0.86
        elif char in _UPPER:
            total += 0.70
        else:
            total += 0.57
    return total * size * 1.05


def wrap(text: str, max_px: float, size: float) -> list[str]:
    """Coupe `text` en lignes d'au plus `max_px` pixels, aux espaces (un mot trop long reste entier)."""
    lines: list[str] = []
    current = ""
    for word in text.replace("<br>", "\n").replace("\n", " \n ").split(" "):
        if word == "\n":
            lines.append(current)
            current = ""
            continue
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size) > max_px:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return [line for line in lines if line.strip()] or [""]


def _font_size(fig: go.Figure, default: float = 14) -> float:
    size = fig.layout.font.size
    return float(size) if size else default


LEGEND_AT_BOTTOM = {"yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left"}


def legend_below(fig: go.Figure, plot_width: float) -> float:
    """Hauteur (px) à réserver sous le graphique pour une légende horizontale posée au pied de la figure, sous les
    graduations et le titre de l'axe horizontal qu'elle ne doit pas recouvrir ; 0 sans légende horizontale."""
    if fig.layout.showlegend is False or fig.layout.legend.orientation != "h":
        return 0.0
    font = _font_size(fig)
    # Un nom de légende par groupe (les cartes répètent le nom de la classe sur chaque contour).
    names = list(dict.fromkeys(t.name for t in fig.data if t.name and t.showlegend is not False))
    if not names:
        return 0.0
    rows, used = 1, 0.0
    for name in names:
        item = text_width(name, font) + 50
        if used and used + item > plot_width:
            rows, used = rows + 1, 0.0
        used += item
    height = rows * font * 1.9 + 10
    xaxis = fig.layout.xaxis
    if xaxis.visible is not False:
        height += font * 1.8 + (font * 1.9 if xaxis.title.text else 0)
    return height


def fit(fig: go.Figure, width: int) -> go.Figure:
    """Adapte la figure à `width` pixels : titre replié, marges du titre et de la légende, graduations contenues."""
    font = _font_size(fig)
    title_font = float(fig.layout.title.font.size or font * 1.3)
    margin = fig.layout.margin
    left, right = margin.l if margin.l is not None else 10, margin.r if margin.r is not None else 10
    # Le titre commence au bord du graphique (x = 0 du papier) et s'arrête avant la marge de droite.
    title = fig.layout.title.text
    top = margin.t if margin.t is not None else 40
    if title:
        lines = wrap(title, width - left - right - 20, title_font)
        title_layout = {"text": "<br>".join(lines), "x": 0, "xref": "paper", "xanchor": "left"}
        fig.update_layout(
            title={**title_layout, "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12}}
        )
        top = max(top, int(len(lines) * title_font * 1.35 + 24))
    bottom = margin.b if margin.b is not None else 10
    below = legend_below(fig, width - left - right)
    if below:
        fig.update_layout(legend=LEGEND_AT_BOTTOM)
        bottom = int(bottom + below)
    fig.update_layout(margin={"t": top, "b": bottom, "l": left, "r": right, "autoexpand": True})
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig
