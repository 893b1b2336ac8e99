"""Diapositives décrites une fois (titre, textes, tableaux, images placés en pouces), écrites deux fois : en PowerPoint
(python-pptx) et en PDF (WeasyPrint, même mise en page page à page). Le PDF est donc le même dossier que le PPTX.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

SLIDE_SIZE = (13.333, 7.5)  # pouces : format 16:9 de PowerPoint
FONT_FAMILY = "Liberation Sans, Arial, sans-serif"


@dataclass(frozen=True)
class Text:
    text: str
    left: float
    top: float
    width: float
    height: float
    size: int
    bold: bool = False
    color: str | None = None  # « D55E00 »


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    top: float
    size: int
    left: float = 0.5
    width: float = 12.3


@dataclass(frozen=True)
class Picture:
    path: Path  # PNG
    left: float
    top: float
    width: float
    alt: str = ""


@dataclass
class Slide:
    blocks: list[Text | Table | Picture] = field(default_factory=list)


def write_pptx(slides: list[Slide], out: Path) -> Path:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_SIZE[0]), Inches(SLIDE_SIZE[1])
    for model in slides:
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        for block in model.blocks:
            if isinstance(block, Text):
                box = slide.shapes.add_textbox(
                    Inches(block.left), Inches(block.top), Inches(block.width), Inches(block.height)
                )
                frame = box.text_frame
                frame.word_wrap = True
                for i, line in enumerate(block.text.split("\n")):
                    paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                    paragraph.text = line
                    paragraph.font.size = Pt(block.size)
                    paragraph.font.bold = block.bold
                    if block.color:
                        paragraph.font.color.rgb = RGBColor.from_string(block.color)
            elif isinstance(block, Table):
                shape = slide.shapes.add_table(
                    len(block.rows) + 1,
                    len(block.header),
                    Inches(block.left),
                    Inches(block.top),
                    Inches(block.width),
                    Inches(0.4 * (len(block.rows) + 1)),
                )
                table = shape.table
                for j, name in enumerate(block.header):
                    table.cell(0, j).text = name
                for i, row in enumerate(block.rows, start=1):
                    for j, value in enumerate(row):
                        table.cell(i, j).text = value
                for i in range(len(block.rows) + 1):
                    for j in range(len(block.header)):
                        for paragraph in table.cell(i, j).text_frame.paragraphs:
                            paragraph.font.size = Pt(block.size)
            else:
                picture = slide.shapes.add_picture(
                    str(block.path), Inches(block.left), Inches(block.top), width=Inches(block.width)
                )
                picture._element.nvPicPr.cNvPr.set("descr", block.alt)  # texte alternatif de l'image
    out.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(out))
    return out


def _html_block(block: Text | Table | Picture) -> str:
    if isinstance(block, Text):
        style = (
            f"left:{block.left}in;top:{block.top}in;width:{block.width}in;font-size:{block.size}pt;"
            f"font-weight:{'bold' if block.bold else 'normal'};"
            + (f"color:#{block.color};" if block.color else "")
        )
        lines = "".join(f"<p>{html.escape(line) or '&nbsp;'}</p>" for line in block.text.split("\n"))
        return f'<div class="bloc" style="{style}">{lines}</div>'
    if isinstance(block, Table):
        head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in block.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in block.rows
        )
        style = f"left:{block.left}in;top:{block.top}in;width:{block.width}in;font-size:{block.size}pt;"
        return (
            f'<table class="bloc" style="{style}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        )
    style = f"left:{block.left}in;top:{block.top}in;width:{block.width}in;"
    return f'<img class="bloc" style="{style}" src="{block.path.resolve().as_uri()}" alt="{html.escape(block.alt)}">'


def write_pdf(slides: list[Slide], out: Path, title: str) -> Path:
    """Le même dossier en PDF : une page par diapositive, chaque bloc à la même place et à la même taille."""
    from weasyprint import HTML

    pages = "".join(
        '<section class="diapositive">' + "".join(_html_block(b) for b in s.blocks) + "</section>"
        for s in slides
    )
    document = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>
@page {{ size: {SLIDE_SIZE[0]}in {SLIDE_SIZE[1]}in; margin: 0 }}
body {{ margin: 0; font-family: {FONT_FAMILY}; color: #1a1a1a }}
.diapositive {{ position: relative; width: {SLIDE_SIZE[0]}in; height: {SLIDE_SIZE[1]}in; page-break-after: always;
  overflow: hidden }}
.bloc {{ position: absolute; margin: 0; padding: 0.05in 0.1in; box-sizing: border-box }}
.bloc p {{ margin: 0 0 0.2em 0; line-height: 1.2 }}
table.bloc {{ border-collapse: collapse; padding: 0 }}
table.bloc th, table.bloc td {{ border: 1px solid #999; padding: 0.06in 0.1in; text-align: left }}
table.bloc th {{ background: #e8eef4 }}
img.bloc {{ padding: 0 }}
</style></head><body>{pages}</body></html>"""
    out.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=document, base_url=str(out.parent)).write_pdf(str(out))
    return out
