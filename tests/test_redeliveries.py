"""Relivraisons et révisions de chiffres publiés, sur de vrais entrepôts : « identique » veut dire « ne change rien à
l'état courant » ; un chiffre publié changé est dit avant l'écriture et inscrit aux errata ; une livraison qui ne
touche que d'autres mois ne change jamais un chiffre national (propriété)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pipelines import formats
from pipelines.settings import Settings, get_settings
from pipelines.warehouse.ingest import Incoming, ingest
from tests.conftest import write_text
from tests.test_cli import cli

A = "mois;couloir;documents\n2025-10;BIO;1000\n2025-10;HOP;2000\n"
B = "mois;couloir;documents\n2025-10;BIO;1500\n2025-10;HOP;2000\n"


def _current(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT couloir, documents FROM flux_mensuel ORDER BY couloir").fetchall())


def test_a_then_b_then_a_ends_with_a_and_the_history_shows_three(settings: Settings, tmp_path: Path) -> None:
    a, b = write_text(tmp_path / "a.csv", A), write_text(tmp_path / "b.csv", B)
    first, second, third = (ingest([Incoming(p)], settings=settings)[0] for p in (a, b, a))
    assert (first.statut, second.statut, third.statut) == ("nouveau", "revision", "revision")
    assert third.revisees == 1 and third.inchangees == 1
    assert _current(settings.db_path()) == {"BIO": 1000, "HOP": 2000}
    with duckdb.connect(str(settings.db_path()), read_only=True) as con:
        history = con.execute(
            "SELECT documents FROM flux_historique WHERE couloir = 'BIO' ORDER BY import_id"
        ).fetchall()
    assert [h[0] for h in history] == [1000, 1500, 1000]


def test_the_same_content_in_other_bytes_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    ingest([Incoming(write_text(tmp_path / "a.csv", A))], settings=settings)
    published = settings.db_path().read_bytes()
    variants = {
        "crlf.csv": (A.replace("\n", "\r\n"), "utf-8"),
        "windows.csv": (
            "Mois;Couloir;Nombre de documents\noct. 2025;BIO;1 000\noct. 2025;HOP;2 000\n",
            "cp1252",
        ),
        "colonnes.csv": ("documents;mois;couloir\n2000;2025-10;HOP\n1000;2025-10;BIO\n", "utf-8"),
    }
    for name, (text, encoding) in variants.items():
        [result] = ingest([Incoming(write_text(tmp_path / name, text, encoding))], settings=settings)
        assert result.statut == "identique", (name, result.message)
        assert "rien n'a changé" in result.message
    assert settings.db_path().read_bytes() == published  # pas même la date de l'entrepôt


def test_a_region_row_for_december_2023_is_a_revision_of_the_published_figure(
    demo_db: Path, tmp_path: Path
) -> None:
    # Le rejeu de l'erratum de janvier 2024 (19 250 000 → 18 800 000) est déjà aux errata de la démonstration.
    errata_before = _published_revisions(demo_db)
    assert [r[5:] for r in errata_before] == [(19_250_000, 18_800_000)]
    path = write_text(
        tmp_path / "idf_decembre.csv", "mois;couloir;region;documents\n2023-12;BIO;11;1200000\n"
    )
    preview = cli("ingest", "--dry-run", str(path), db=demo_db)
    assert preview.returncode == 0, preview.stderr
    expected = (
        "France, décembre 2023, tous couloirs : 18\u202f800\u202f000 → 18\u202f752\u202f835 — RÉVISION D'UN CHIFFRE "
        "PUBLIÉ (Documents envoyés dans le mois : 18\u202f800\u202f000"
    )
    assert expected in preview.stdout and "rien n'a encore été écrit" in preview.stdout
    assert _published_revisions(demo_db) == errata_before  # l'essai à blanc n'a rien écrit
    done = cli("ingest", str(path), db=demo_db)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    # Le même constat avant et après : la liste de l'essai à blanc est celle de l'import.
    changed = [line for line in done.stdout.splitlines() if "chiffre de tête modifié" in line]
    assert changed == [line for line in preview.stdout.splitlines() if "chiffre de tête modifié" in line]
    assert _published_revisions(demo_db) == [
        *errata_before,
        (dt.date(2023, 12, 1), "pays", "FR", "TOUS", 18_800_000.0, 18_800_000, 18_752_835),
    ]
    figures = json.loads(cli("kpi", "--json", "--mois", "2023-12", db=demo_db).stdout)
    assert (
        figures["documents_mois"] == 18_752_835
    )  # la règle de préséance : le total régional livré l'emporte


# --- Propriété : une livraison qui ne touche que d'autres mois ne change pas un chiffre national ----------------------

_MONTHS = ["2025-07", "2025-08", "2025-09"]


@hypothesis_settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["BIO", "HOP", "MDV"]), st.sampled_from(["11", "24", "53"]), st.integers(0, 10**9)
        ),
        min_size=1,
        max_size=6,
        unique_by=lambda r: (r[0], r[1]),
    ),
    st.sampled_from(_MONTHS),
)
def test_a_delivery_for_other_months_never_changes_a_national_figure(
    tmp_path_factory: object, rows: list[tuple[str, str, int]], month: str
) -> None:
    folder = tmp_path_factory.mktemp("propriete")  # type: ignore[attr-defined]
    settings = get_settings(db=folder / "w.duckdb", aujourdhui=dt.date(2026, 11, 21))
    base = write_text(folder / "base.csv", "mois;couloir;documents\n2025-10;BIO;1000\n2025-10;HOP;2000\n")
    ingest([Incoming(base)], settings=settings)
    before = _national(settings.db_path(), "2025-10-01")
    delivery = "mois;couloir;region;documents\n" + "".join(f"{month};{c};{r};{n}\n" for c, r, n in rows)
    [result] = ingest([Incoming(write_text(folder / "autre_mois.csv", delivery))], settings=settings)
    assert result.ok, result.message
    assert _national(settings.db_path(), "2025-10-01") == before
    assert all(c.mois != dt.date(2025, 10, 1) for c in result.changements)


def _national(db: Path, month: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT couloir, documents, flux_annualise FROM indicateurs_flux "
            "WHERE niveau = 'pays' AND mois = CAST(? AS DATE) ORDER BY couloir",
            [month],
        ).fetchall()


def _published_revisions(db: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT mois, niveau, code_geo, couloir, valeur_publiee, documents_avant, documents_apres "
            "FROM revisions_publiees ORDER BY import_id"
        ).fetchall()


def test_a_figure_of_an_earlier_transparency_package_is_a_published_figure(
    demo_export: tuple[Path, Path], tmp_path: Path
) -> None:
    """`export` inscrit les chiffres de tête qu'il publie (France et régions) ; un import qui change l'un d'eux est
    signalé comme révision d'un chiffre publié, le paquet pour source, dès l'essai à blanc."""
    folder, db = demo_export
    with duckdb.connect(str(db), read_only=True) as con:
        packages, demo, levels = con.execute(
            "SELECT count(DISTINCT diffusion_id), bool_and(donnees_demo), list(DISTINCT niveau ORDER BY niveau) "
            "FROM chiffres_diffuses"
        ).fetchall()[0]
        [(brittany_bio,)] = con.execute(
            "SELECT documents FROM chiffres_diffuses WHERE mois = DATE '2025-10-01' AND niveau = 'region' "
            "AND code_geo = '53' AND couloir = 'BIO'"
        ).fetchall()
    assert (packages, demo, levels) == (1, True, ["pays", "region"])
    # La valeur inscrite est celle que le paquet publie.
    published = [
        line.split(",")
        for line in (folder / "csv" / "indicateurs_flux.csv").read_text(encoding="utf-8").splitlines()
        if line.startswith("2025-10-01,region,53,")
    ]
    header = (folder / "csv" / "indicateurs_flux.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    bio = next(row for row in published if row[header.index("couloir")] == "BIO")
    assert int(bio[header.index("documents")]) == brittany_bio

    path = write_text(
        tmp_path / "bretagne_octobre.csv",
        f"mois;couloir;region;documents\n2025-10;BIO;53;{brittany_bio + 1000}\n",
    )
    preview = cli("ingest", "--dry-run", str(path), db=db)
    assert preview.returncode == 0, preview.stderr
    expected = (
        f"Bretagne (53), octobre 2025, couloir BIO : {formats.integer(brittany_bio)} → "
        f"{formats.integer(brittany_bio + 1000)} — RÉVISION D'UN CHIFFRE PUBLIÉ (Documents envoyés dans le mois : "
        f"{formats.integer(brittany_bio)}, source paquet de transparence du 21/11/2026 (démonstration))"
    )
    assert expected in preview.stdout, preview.stdout
