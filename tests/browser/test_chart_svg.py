"""Les graphiques exportés ne sont jamais coupés : dans chaque SVG du paquet de transparence et du dossier COSUI (aux
tailles où ils sont écrits), chaque texte tient dans le cadre de l'image et aucune graduation n'est réduite à son
unité (« M » au lieu de « 250 M »). Les boîtes des textes sont mesurées par Chromium, comme un lecteur les verrait."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Page

from pipelines.publish.cosui import cosui_figures
from pipelines.publish.export import write_images
from pipelines.warehouse.connection import connect_read

pytestmark = pytest.mark.browser
UNITS_ONLY = {"", "M", "%", "€", "M€", "k"}

MEASURE = """() => {
  const svg = document.querySelector('svg');
  const frame = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
    const box = t.getBoundingClientRect();
    const tick = t.closest('.xtick, .ytick') !== null;
    return {text: t.textContent, tick, left: box.left - frame.left, top: box.top - frame.top,
            right: box.right - frame.left, bottom: box.bottom - frame.top, width: frame.width, height: frame.height};
  });
}"""


def clipped_texts(page: Page, svg: Path) -> list[str]:
    page.set_content(f"<html><body style='margin:0'>{svg.read_text(encoding='utf-8')}</body></html>")
    problems = []
    for item in page.evaluate(MEASURE):
        outside = (
            item["left"] < -1
            or item["top"] < -1
            or item["right"] > item["width"] + 1
            or item["bottom"] > item["height"] + 1
        )
        if outside:
            problems.append(f"{svg.name} : « {item['text']} » sort du cadre ({item})")
        if item["tick"] and item["text"].strip() in UNITS_ONLY:
            problems.append(f"{svg.name} : graduation réduite à « {item['text']} »")
    return problems


def test_transparency_package_charts_are_not_clipped(page: Page, demo_export: tuple[Path, Path]) -> None:
    folder, _ = demo_export
    svgs = sorted((folder / "graphiques").glob("*.svg"))
    assert len(svgs) >= 4
    problems = [p for svg in svgs for p in clipped_texts(page, svg)]
    assert problems == []


def test_cosui_slide_charts_are_not_clipped(page: Page, demo_warehouse_master: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_warehouse_master, db)
    with connect_read(db) as con:
        figures = cosui_figures(con, dt.date(2025, 11, 20))
    files = write_images({n: (f, "", pl.DataFrame()) for n, f in figures.items()}, tmp_path, lambda _: None)
    svgs = [f for f in files if f.suffix == ".svg"]
    assert {f.stem for f in svgs} == {"trajectoire", "couloirs"}
    problems = [p for svg in svgs for p in clipped_texts(page, svg)]
    assert problems == []
