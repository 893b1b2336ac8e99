"""Dépôt d'un fichier dans l'application en deux temps : vérifier, puis (sur confirmation) importer le résultat de
cette vérification, sans relire ni revalider le fichier."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.intake.limits import Limits
from pipelines.intake.problems import RefusedFile
from pipelines.intake.reading import filled_sheets
from pipelines.intake.validation import Context
from pipelines.progress import Progress, silent
from pipelines.settings import Settings, get_settings
from pipelines.sources.declaration import Source
from pipelines.warehouse.connection import write_session
from pipelines.warehouse.ingest import (
    Incoming,
    IngestResult,
    checked_result,
    load_validated,
    preview,
    refused_result,
    scratch_copy,
    sha256_of,
    validate_file,
)
from pipelines.warehouse.reference import install_reference_tables


@dataclass
class Checked:
    """Un fichier vérifié : le compte rendu, et s'il est valide la table validée prête à charger."""

    incoming: Incoming
    result: IngestResult
    source: Source | None = None
    frames: list[pl.DataFrame] = field(default_factory=list)
    ctx: Context | None = None
    digest: str = ""


def sheets_to_choose(incoming: Incoming, settings: Settings | None = None) -> list[str]:
    """Les feuilles remplies d'un classeur déposé, quand il y en a plusieurs (une seule s'importe à la fois : à
    l'utilisateur de dire laquelle) ; une liste vide sinon, et pour tout autre format. Un classeur illisible ou trop
    gros rend une liste vide : la vérification donne alors son refus en français."""
    if incoming.path.suffix.lower() != ".xlsx":
        return []
    try:
        filled = filled_sheets(incoming.path, incoming.name, Limits.of(settings or get_settings()))
    except RefusedFile:
        return []
    return filled if len(filled) > 1 else []


def check_file(
    incoming: Incoming,
    settings: Settings | None = None,
    progress: Progress = silent,
    sheet: str | None = None,
) -> Checked:
    """Vérifie un fichier comme `ingest --dry-run` (feuille `sheet` d'un classeur), et garde la table validée pour
    `import_checked`."""
    settings = settings or get_settings()
    try:
        source, frame, ctx = validate_file(incoming, None, settings, sheet, progress)
    except RefusedFile as refused:
        return Checked(incoming, refused_result(incoming, None, refused))
    result = checked_result(incoming, source, frame, ctx)
    digest = sha256_of(incoming.path)
    # Ce que l'import changerait (chiffres de tête, chiffres publiés révisés), chiffré sur une copie jetable : la même
    # liste que `ingest --dry-run`, montrée avant la confirmation.
    with scratch_copy(settings.db_path(), settings) as con:
        if not isinstance(con, str):
            result = preview(con, incoming, source, frame, ctx, digest)
    return Checked(incoming, result, source, [frame], ctx, digest)


def import_checked(
    checked: Checked, settings: Settings | None = None, db: Path | None = None, progress: Progress = silent
) -> IngestResult:
    """Importe la table d'une vérification réussie (une seule fois : elle est libérée au chargement)."""
    if checked.source is None or checked.ctx is None or not checked.frames:
        raise ValueError("import d'un fichier non vérifié")
    settings = settings or get_settings()
    from pipelines.indicators.refresh import refresh_after_import

    with write_session(
        db or settings.db_path(), settings.verrou_attente_s, memory_limit_mb=settings.memoire_max_mo
    ) as writer:
        install_reference_tables(writer.con)
        result = load_validated(
            writer.con,
            checked.incoming,
            checked.source,
            checked.frames,
            checked.ctx,
            checked.digest,
            refresh_after_import,
        )
        writer.changed |= result.import_id is not None
    progress(result.message)
    return result
