"""Les natures de fichier que l'entrepôt accepte, chacune déclarée par son module (voir `declaration.py`).

Ajouter une nature : un module qui déclare `SOURCE`, une ligne dans `_DECLARED`, et `warehouse/sql/load/<nature>.sql`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.intake.problems import Problem, RefusedFile
from pipelines.sources import (
    cibles,
    etablissements,
    flux,
    population,
    sons,
    sons_etablissements,
    sunes,
    usage,
)
from pipelines.sources.declaration import Source

_DECLARED = (
    flux.SOURCE,
    sons.SOURCE,
    sunes.SOURCE,
    population.SOURCE,
    cibles.SOURCE,
    usage.SOURCE,
    etablissements.SOURCE,
    sons_etablissements.SOURCE,
)
SOURCES: dict[str, Source] = {s.kind: s for s in _DECLARED}


def source_of(kind: str, name: str) -> Source:
    """La source d'une nature donnée (`--kind`), ou `RefusedFile` pour une nature inconnue."""
    if kind not in SOURCES:
        raise RefusedFile(
            name, [Problem(name, None, None, kind, f"nature inconnue (admises : {', '.join(SOURCES)})")]
        )
    return SOURCES[kind]


def _required_found(source: Source, headers: Sequence[str]) -> int:
    return len({c.name for c in source.columns if c.required} & source.recognised(headers))


def detect_kind(headers: list[str], name: str) -> Source:
    """La nature d'un fichier d'après ses en-têtes, ou `RefusedFile` si aucune ou plusieurs conviennent."""
    matches = [s for s in SOURCES.values() if s.detect(headers)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        kinds = ", ".join(s.kind for s in matches)
        reason = f"colonnes compatibles avec plusieurs natures ({kinds}) ; précisez --kind"
        raise RefusedFile(name, [Problem(name, 1, None, None, reason)])
    # Aucune source complète : celle dont on reconnaît le plus de colonnes obligatoires (deux au moins) est retenue,
    # pour que la validation dise précisément quelle colonne manque.
    found = {kind: _required_found(s, headers) for kind, s in SOURCES.items()}
    best = max(found.values())
    leaders = [SOURCES[kind] for kind, count in found.items() if count == best]
    if best >= 2 and len(leaders) == 1:
        return leaders[0]
    reason = (
        f"nature du fichier non reconnue d'après ses colonnes ({_listed(headers)}) ; "
        f"précisez --kind parmi {', '.join(SOURCES)}"
    )
    raise RefusedFile(name, [Problem(name, 1, None, None, reason)])


def _listed(headers: Sequence[str], shown: int = 12) -> str:
    """Les premiers en-têtes, sans recopier les milliers d'un fichier démesuré."""
    listed = ", ".join(h[:60] for h in headers[:shown])
    return listed + (f", … ({len(headers)} colonnes en tout)" if len(headers) > shown else "")
