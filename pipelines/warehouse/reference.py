"""Nomenclatures et chiffres de référence (dossier `data/reference/`), lus une fois et chargés dans l'entrepôt."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from pipelines.intake.parsing import ParseError, normalise_words
from pipelines.settings import REFERENCE_DIR
from pipelines.warehouse.connection import INSTALL_VERSION, files_fingerprint, is_installed, record_installed

NIVEAUX = ("pays", "region", "departement", "etablissement")


def _csv(name: str, directory: Path = REFERENCE_DIR) -> pl.DataFrame:
    return pl.read_csv(directory / name, infer_schema=False)


@lru_cache(maxsize=8)
def labels(filename: str, column: str = "libelle") -> dict[str, str]:
    """Code → libellé d'une nomenclature de `data/reference/` (couloirs, dispositifs, domaines SUN-ES), dans l'ordre
    du fichier : la seule définition des libellés que l'application, les exports et le dossier COSUI affichent."""
    frame = _csv(filename)
    return dict(zip(frame["code"], frame[column], strict=True))


@dataclass(frozen=True)
class Reference:
    """Ce que la validation doit connaître : codes admis et leurs libellés."""

    couloirs: dict[str, str]  # code → libellé
    couloir_aliases: dict[str, str]  # libellé normalisé → code
    dispositifs: dict[str, str]  # code → couloir
    domaines_sunes: dict[str, str]
    regions: dict[str, str]  # code → nom
    departements: dict[str, tuple[str, str]]  # code → (nom, code région)

    def couloir(self, raw: str) -> str:
        key = raw.strip().upper()
        if key in self.couloirs:
            return key
        code = self.couloir_aliases.get(normalise_words(raw))
        if code is None:
            raise ParseError(f"couloir inconnu (codes admis : {', '.join(self.couloirs)})")
        return code

    def dispositif(self, raw: str) -> str:
        key = raw.strip().upper().replace(" ", "-").replace("_", "-")
        if key not in self.dispositifs:
            raise ParseError(f"dispositif inconnu (admis : {', '.join(self.dispositifs)})")
        return key

    def domaine(self, raw: str) -> str:
        key = raw.strip().upper().replace("DOMAINE", "D").replace(" ", "")
        if key not in self.domaines_sunes:
            raise ParseError(f"domaine SUN-ES inconnu (admis : {', '.join(self.domaines_sunes)})")
        return key

    def region(self, raw: str) -> str:
        text = raw.strip()
        code = _pad_code(text, 2)
        if code in self.regions:
            return code
        by_name = {normalise_words(n): c for c, n in self.regions.items()}
        if normalise_words(text) in by_name:
            return by_name[normalise_words(text)]
        raise ParseError("code région INSEE inconnu")

    def departement(self, raw: str) -> str:
        text = raw.strip().upper()
        code = _pad_code(text, 2)
        if code in self.departements:
            return code
        by_name = {normalise_words(n): c for c, (n, _) in self.departements.items()}
        if normalise_words(raw) in by_name:
            return by_name[normalise_words(raw)]
        raise ParseError("code département INSEE inconnu")

    def region_of(self, departement: str) -> str:
        return self.departements[departement][1]


def _pad_code(text: str, width: int) -> str:
    if text.endswith(".0"):
        text = text[:-2]
    return text.zfill(width) if text.isdigit() else text


@lru_cache(maxsize=4)
def load_reference(directory: Path = REFERENCE_DIR) -> Reference:
    couloirs = _csv("couloirs.csv", directory)
    aliases: dict[str, str] = {}
    for row in couloirs.iter_rows(named=True):
        for label in [row["libelle"], row["libelle_court"], *(row["synonymes"] or "").split("|")]:
            if label:
                aliases[normalise_words(label)] = row["code"]
    dispositifs = _csv("dispositifs.csv", directory)
    domaines = _csv("domaines_sunes.csv", directory)
    regions = _csv("regions.csv", directory)
    departements = _csv("departements.csv", directory)
    return Reference(
        couloirs=dict(zip(couloirs["code"], couloirs["libelle"], strict=True)),
        couloir_aliases=aliases,
        dispositifs=dict(zip(dispositifs["code"], dispositifs["couloir"], strict=True)),
        domaines_sunes=dict(zip(domaines["code"], domaines["libelle"], strict=True)),
        regions=dict(zip(regions["code_region"], regions["nom_region"], strict=True)),
        departements={
            r["code_departement"]: (r["nom_departement"], r["code_region"])
            for r in departements.iter_rows(named=True)
        },
    )


# Tables de référence copiées dans l'entrepôt (à l'écriture qui suit un changement de leurs fichiers) : on peut les
# joindre en SQL.
_REFERENCE_TABLES: dict[str, tuple[str, dict[str, type[pl.DataType]]]] = {
    "ref_couloirs": ("couloirs.csv", {}),
    "ref_dispositifs": ("dispositifs.csv", {}),
    "ref_domaines_sunes": ("domaines_sunes.csv", {}),
    "ref_regions": ("regions.csv", {}),
    "ref_departements": ("departements.csv", {}),
    "chiffres_publies": ("chiffres_publies.csv", {"valeur": pl.Float64}),
    # Contributions attendues déclarées (complétude, docs/INDICATEURS.md) : vide tant que l'historique suffit.
    "ref_contributions_attendues": ("contributions_attendues.csv", {}),
    "jalons": ("jalons.csv", {"date": pl.Date}),
    "usage_publie": ("usage_publie.csv", {"valeur": pl.Float64}),
    "errata": (
        "errata.csv",
        {
            "date_publication": pl.Date,
            "date_correction": pl.Date,
            "valeur_affichee": pl.Float64,
            "valeur_corrigee": pl.Float64,
        },
    ),
}


def install_reference_tables(con: duckdb.DuckDBPyConnection, directory: Path = REFERENCE_DIR) -> None:
    """Remplace les tables `ref_*`, `chiffres_publies`, `jalons` et `errata` par le contenu de `data/reference/` ;
    rien à faire quand elles viennent déjà des mêmes fichiers (un erratum ajouté au CSV change l'empreinte)."""
    fingerprint = files_fingerprint(
        (directory / filename for filename, _ in _REFERENCE_TABLES.values()),
        INSTALL_VERSION + repr(_REFERENCE_TABLES),
    )
    if is_installed(con, "reference", fingerprint):
        return
    for table, (filename, types) in _REFERENCE_TABLES.items():
        frame = _csv(filename, directory).with_columns(
            [
                pl.col(c).str.strptime(t, "%Y-%m-%d") if t == pl.Date else pl.col(c).cast(t)
                for c, t in types.items()
            ]
        )
        con.register("ref_frame", frame)
        # Nom de table pris dans la liste ci-dessus (jamais une donnée reçue) : le formater est sûr.
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM ref_frame")
        con.unregister("ref_frame")
    record_installed(con, "reference", fingerprint)
