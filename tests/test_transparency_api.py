"""Le paquet de transparence tel qu'un réutilisateur le reçoit : l'API JSON statique (120 territoires, schémas JSON,
mêmes chiffres que les CSV), les cartes à intégrer (autonomes, < 200 Ko, sans script) et leur PNG, les métadonnées
data.gouv.fr et un `datapackage.json` que la bibliothèque frictionless valide."""

from __future__ import annotations

import json
from pathlib import Path

import frictionless
import jsonschema
import polars as pl
import pytest

from pipelines import formats
from pipelines.publish.diffusion import MASK_TEXT


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def api_root(demo_export: tuple[Path, Path]) -> Path:
    return demo_export[0] / "api" / "v1"


def test_the_api_has_120_territories_valid_against_their_schema(api_root: Path) -> None:
    index = load(api_root / "index.json")
    jsonschema.Draft202012Validator(load(api_root / "schema" / "index.schema.json")).validate(index)
    assert index["mois"] == "2025-10" and index["demonstration"] is True
    assert index["donnees_arretees_au"] == "2025-10-31"
    levels = [t["niveau"] for t in index["territoires"]]
    assert (levels.count("pays"), levels.count("region"), levels.count("departement")) == (1, 18, 101)
    assert len(list((api_root / "regions").glob("*.json"))) == 18
    assert len(list((api_root / "departements").glob("*.json"))) == 101
    validator = jsonschema.Draft202012Validator(load(api_root / "schema" / "territoire.schema.json"))
    for territory in index["territoires"]:
        document = load(api_root / territory["chemin"])
        validator.validate(document)
        assert document["territoire"]["code"] == territory["code"]


def _csv_number(value: str | None) -> float | None:
    return None if value in (None, "", MASK_TEXT) else float(value)


def test_every_json_figure_equals_the_csv(demo_export: tuple[Path, Path], api_root: Path) -> None:
    folder, _ = demo_export
    flux = pl.read_csv(folder / "csv" / "indicateurs_flux.csv", infer_schema=False).filter(
        pl.col("couloir") == "TOUS"
    )
    usage = pl.read_csv(folder / "csv" / "indicateurs_usage.csv", infer_schema=False)
    csv_flux = {(r["niveau"], r["code_geo"], r["mois"][:7]): r for r in flux.iter_rows(named=True)}
    csv_usage = {
        (r["niveau"], r["code_geo"], r["indicateur"], r["mois"][:7]): _csv_number(r["valeur"])
        for r in usage.iter_rows(named=True)
    }
    checked = 0
    for territory in load(api_root / "index.json")["territoires"]:
        document = load(api_root / territory["chemin"])
        key = (territory["niveau"], territory["code"])
        for point in document["serie_mensuelle"]:
            row = csv_flux[(*key, point["mois"])]
            if point["masque_secret_statistique"]:
                assert row["documents"] == MASK_TEXT and point["documents"] is None
            else:
                assert point["documents"] == int(row["documents"])
            assert point["flux_annualise"] == _csv_number(row["flux_annualise"])
            assert point["documents_par_habitant_an"] == _csv_number(row["documents_par_habitant_an"])
            checked += 1
        latest = csv_flux[(*key, document["mois"])]
        assert document["chiffres_cles"]["documents"] == _csv_number(latest["documents"])
        assert document["chiffres_cles"]["evolution_12_mois"] == _csv_number(latest["evolution_12_mois"])
        for indicator, points in document["usage"]["series"].items():
            for point in points:
                assert point["valeur"] == csv_usage[(*key, indicator, point["mois"])]
                checked += 1
    assert checked > 80_000


def test_api_follows_the_csv_diffusion_rules(api_root: Path) -> None:
    france = load(api_root / "france.json")
    assert "AUT" not in {c["couloir"] for c in france["couloirs"]}, "les séries internes ne sortent pas"
    # Le total publié est celui des couloirs publiés (la série interne en est retirée, comme dans les CSV).
    assert (
        france["chiffres_cles"]["documents"] == sum(c["documents"] for c in france["couloirs"]) < 42_800_000
    )
    assert france["chiffres_cles"]["cible"] == 250_000_000


def test_the_seine_saint_denis_card_is_self_contained_and_shows_its_figures(
    demo_export: tuple[Path, Path], api_root: Path
) -> None:
    folder, _ = demo_export
    cards = sorted((folder / "cartes").rglob("*.html"))
    assert len(cards) == 120
    for card in cards:
        text = card.read_text(encoding="utf-8")
        assert card.stat().st_size < 200_000
        assert "<script" not in text and "src=" not in text and "http" not in text.split("</style>")[0]
        assert (card.with_suffix(".png").read_bytes()[:8]) == b"\x89PNG\r\n\x1a\n"
    page = (folder / "cartes" / "departement" / "93.html").read_text(encoding="utf-8")
    document = load(api_root / "departements" / "93.json")
    assert "Seine-Saint-Denis" in page and "Données de démonstration" in page
    assert formats.integer(document["chiffres_cles"]["documents"]) in page
    rate = next(i["valeur"] for i in document["usage"]["indicateurs"] if i["indicateur"] == "taux_activation")
    assert formats.percent(rate, 0) in page
    assert "Données arrêtées au 31 octobre 2025" in page


def test_datapackage_is_valid_for_frictionless(demo_export: tuple[Path, Path]) -> None:
    folder, _ = demo_export
    package = load(folder / "datapackage.json")
    assert "indicateurs_usage" in [r["name"] for r in package["resources"]]
    report = frictionless.validate(folder / "datapackage.json")
    assert report.valid, [(t.name, [e.message for e in t.errors][:3]) for t in report.tasks if not t.valid]


def test_datagouv_metadata_is_ready(demo_export: tuple[Path, Path]) -> None:
    folder, _ = demo_export
    meta = load(folder / "datagouv.json")
    assert meta["license"] == "lov2" and meta["frequency"] == "monthly"
    assert meta["temporal_coverage"] == {"start": "2021-07-01", "end": "2025-10-31"}
    assert meta["spatial"]["granularity"] == "fr:departement"
    assert meta["title"] and "DÉMONSTRATION" in meta["description"]
    for resource in meta["resources"]:
        assert (folder / resource["url"]).exists(), resource["url"]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "Données arrêtées au 31 octobre 2025" in readme and "api/v1/" in readme
