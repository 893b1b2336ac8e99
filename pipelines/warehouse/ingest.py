"""Import de fichiers dans l'entrepôt : lire, reconnaître la source, valider, comparer, charger, recalculer.

Chaque fichier est une transaction : accepté en entier ou refusé sans rien écrire. Un fichier identique à un import
déjà accepté, ou qui ne livre aucune valeur nouvelle, ne change rien ; les octets mêmes du dernier import (CSV,
Parquet) reçoivent cette réponse sans être relus ni validés.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines import formats
from pipelines.intake.headers import header_test, refuse_conflicting_headers
from pipelines.intake.limits import Limits
from pipelines.intake.problems import Problem, RefusedFile
from pipelines.intake.reading import PARQUET_EXTENSIONS, NotUtf8, RawTable, read_batches, read_table
from pipelines.intake.validation import Context
from pipelines.progress import Progress, silent
from pipelines.settings import Settings, get_settings
from pipelines.sources import SOURCES, detect_kind, source_of
from pipelines.sources.declaration import Source, conclude_all
from pipelines.warehouse import headlines, redelivery
from pipelines.warehouse.connection import (
    EarlyCopy,
    WarehouseError,
    Writer,
    apply_schema,
    first_row,
    named_statements,
    unavailable,
    write_session,
)
from pipelines.warehouse.redelivery import Incoming, identical_message, sha256_of
from pipelines.warehouse.reference import install_reference_tables, load_reference


@dataclass
class IngestResult:
    fichier: str
    nature: str | None
    statut: str  # nouveau / revision / identique / refuse / verifie
    lignes: int = 0
    nouvelles: int = 0
    revisees: int = 0
    inchangees: int = 0
    import_id: int | None = None
    message: str = ""
    # Chiffres de tête (France, régions) que le fichier change, avant → après, publiés ou non ; et combien il en crée.
    changements: list[headlines.HeadlineChange] = field(default_factory=list)
    nouveaux_totaux: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total_problems: int = 0
    # Secondes par étape : lecture_validation, chargement, recalcul.
    durees: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.statut != "refuse"


@contextlib.contextmanager
def _refused_if_unexpected(name: str) -> Iterator[None]:
    """Une erreur imprévue de lecture refuse le fichier avec sa cause, jamais une trace Python ; un refus, une panne
    de l'entrepôt et une interruption passent telles quelles."""
    try:
        yield
    except (RefusedFile, WarehouseError, KeyboardInterrupt):
        raise
    except MemoryError:
        raise RefusedFile(
            name, [Problem(name, None, None, None, "mémoire insuffisante pour lire ce fichier")]
        ) from None
    except Exception as exc:  # dernier recours : un fichier qu'aucun contrôle n'a prévu
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise RefusedFile(
            name, [Problem(name, None, None, None, f"fichier illisible ({type(exc).__name__} : {first})")]
        ) from None


def _check_headers(table: RawTable, source: Source) -> None:
    refuse_conflicting_headers(table.name, source.columns, table.headers, table.header_row)


def validate_file(
    incoming: Incoming,
    kind: str | None,
    settings: Settings,
    sheet: str | None = None,
    progress: Progress = silent,
) -> tuple[Source, pl.DataFrame, Context]:
    """Lit et valide un fichier sans toucher à l'entrepôt. Lève `RefusedFile`, y compris pour une erreur imprévue de
    lecture (le fichier est refusé avec la cause, jamais une trace Python)."""
    with _refused_if_unexpected(incoming.name):
        if kind is not None:
            source_of(kind, incoming.name)
        ctx = Context(incoming.name, load_reference(), settings.today(), settings.max_problemes)
        progress(f"{incoming.name} : lecture…")
        if _is_large(incoming.path, settings) and sheet is None:
            return _validate_in_batches(incoming, kind, settings, ctx, progress)
        table = read_table(
            incoming.path,
            incoming.display_name,
            sheet,
            Limits.of(settings),
            header_test([s.columns for s in _candidates(kind)]),
            _code_header(kind),
        )
        progress(f"{incoming.name} : {formats.integer(table.frame.height)} lignes lues, validation…")
        source = source_of(kind, incoming.name) if kind else detect_kind(table.headers, incoming.name)
        _check_headers(table, source)
        frame = source.validate(table, ctx)
        return source, frame, ctx


def _candidates(kind: str | None) -> list[Source]:
    return [SOURCES[kind]] if kind in SOURCES else list(SOURCES.values())


def _is_large(path: Path, settings: Settings) -> bool:
    """Plus gros que le seuil, ou, pour un Parquet (très compressé), plus de lignes qu'une tranche."""
    try:
        if path.suffix.lower() in PARQUET_EXTENSIONS:
            return bool(pl.scan_parquet(path).select(pl.len()).collect().item() > settings.tranche_lignes)
        return path.stat().st_size > settings.tranche_seuil_mo * 2**20
    except (OSError, pl.exceptions.PolarsError):
        return False  # la lecture dira ce qui ne va pas


def _validate_in_batches(
    incoming: Incoming, kind: str | None, settings: Settings, ctx: Context, progress: Progress
) -> tuple[Source, pl.DataFrame, Context]:
    """Un gros fichier, tranche par tranche : chaque tranche est validée puis gardée sous forme typée (plus compacte
    que ses textes) ; les contrôles qui portent sur tout le fichier (clés en double) se font à la fin.

    L'encodage est jugé sur le début du fichier ; si de l'UTF-8 invalide apparaît plus loin (rare : un fichier
    Windows-1252 dont les accents sont tardifs), tout est relu, transcodé, avec un contexte neuf."""
    # Le contexte d'une relecture est pris avant que la première lecture ne remplisse celui-ci.
    fresh = Context(ctx.fichier, ctx.reference, ctx.today, ctx.cap)
    try:
        return _validate_batches(incoming, kind, settings, ctx, progress, assume_utf8=True)
    except NotUtf8:
        progress(f"{incoming.name} : encodage autre que l'UTF-8 trouvé en cours de lecture ; relecture…")
    return _validate_batches(incoming, kind, settings, fresh, progress, assume_utf8=False)


def _validate_batches(
    incoming: Incoming,
    kind: str | None,
    settings: Settings,
    ctx: Context,
    progress: Progress,
    assume_utf8: bool,
) -> tuple[Source, pl.DataFrame, Context]:
    ctx.in_batches = True
    source: Source | None = SOURCES[kind] if kind else None
    validated: list[pl.DataFrame] = []
    rows = 0
    batches = read_batches(
        incoming.path,
        incoming.display_name,
        settings.tranche_lignes,
        _code_header(kind),
        assume_utf8,
        Limits.of(settings),
        header_test([s.columns for s in _candidates(kind)]),
        _code_header(kind),
    )
    for table in batches:
        if source is None or not validated:
            source = source or detect_kind(table.headers, incoming.name)
            _check_headers(table, source)
        batch = source.validate(table, ctx)
        # Les codes répétés (couloir, niveau, géographie…) gardés en catégories : 4 octets par cellule au lieu de 16.
        validated.append(batch.with_columns(pl.col(pl.String).cast(pl.Categorical)))
        rows += table.frame.height
        progress(f"{incoming.name} : {formats.integer(rows)} lignes lues et validées…")
    assert source is not None  # read_batches refuse un fichier sans ligne
    return source, conclude_all(ctx, source, validated), ctx


def _code_header(kind: str | None) -> Callable[[str], bool]:
    """Vrai pour un en-tête de colonne de codes (couloir, mois, géographie…) de la nature donnée, ou de toutes si elle
    est à deviner ; faux s'il peut désigner un nombre : celui-là reste un texte, lu par `_parse_number`."""
    columns = [c for source in ([SOURCES[kind]] if kind else SOURCES.values()) for c in source.columns]

    def is_code(header: str) -> bool:
        kinds = {c.kind for c in columns if c.matches(header)}
        return bool(kinds) and not kinds & {"integer", "decimal", "euros"}

    return is_code


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    row = first_row(con, "SELECT COALESCE(MAX(id), 0) + 1 FROM imports")
    assert row is not None
    return int(row[0])


def _already_imported(
    con: duckdb.DuckDBPyConnection, digest: str, kind: str
) -> tuple[int, dt.datetime] | None:
    row = first_row(con, named_statements("queries/imports.sql")["first_import_of"], [digest, kind])
    return (int(row[0]), row[1]) if row else None


def repeats_last_import(
    db_path: Path, incoming: Incoming, kind: str | None
) -> tuple[IngestResult | None, str | None]:
    """Le compte rendu « identique » d'une relivraison des octets du dernier import accepté (voir
    `redelivery.repeats_last_import`), et l'empreinte quand elle a été calculée."""
    repeat, digest = redelivery.repeats_last_import(db_path, incoming, kind)
    if repeat is None:
        return None, digest
    return IngestResult(
        incoming.name,
        repeat.nature,
        "identique",
        lignes=repeat.lignes,
        inchangees=repeat.lignes,
        message=repeat.message,
    ), digest


def load_validated(
    con: duckdb.DuckDBPyConnection,
    incoming: Incoming,
    source: Source,
    frame: pl.DataFrame | list[pl.DataFrame],
    ctx: Context,
    digest: str,
    refresh: Callable[[duckdb.DuckDBPyConnection, int, bool], None] | None,
) -> IngestResult:
    """Compare au contenu courant puis charge, dans une seule transaction. Rend le compte rendu."""
    # Passée dans une liste, la table validée est rendue par l'appelant : elle est libérée dès sa mise en forme pour
    # le chargement (`prepare_load`), et celle-ci dès son écriture, avant le recalcul (des centaines de Mo à
    # l'échelle nationale).
    holder = frame if isinstance(frame, list) else [frame]
    rows = holder[0].height
    result = IngestResult(incoming.name, source.kind, "identique", lignes=rows, notes=ctx.notes)
    # « Identique » veut dire « ne change rien à l'état courant », jugé par la comparaison ci-dessous, pas « mêmes
    # octets qu'un import passé » : relivrer un fichier ancien après une révision est une révision (A, B, A finit
    # sur A). L'empreinte ne sert qu'à nommer l'import dont le contenu est repris.
    previous = _already_imported(con, digest, source.kind)
    statements = named_statements(f"load/{source.kind}.sql")
    month_totals = statements.pop("month_totals", None)
    started = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        lot = source.prepare_load(con, holder[0]) if source.prepare_load else holder[0]
        holder.clear()
        con.register("lot", lot)
        # `overlap` (facultative) : faux si aucune valeur courante ne peut correspondre au lot ; tout est nouveau,
        # seule `insert` reste à faire.
        overlap = first_row(con, statements["overlap"]) if "overlap" in statements else (True,)
        if overlap is not None and not overlap[0]:
            counts: tuple[int, ...] = (rows, 0, 0)
            statements = {"insert": statements["insert"]}
        else:
            counts = tuple(int(c) for c in first_row(con, statements["compare"]) or ())
        result.nouvelles, result.revisees, result.inchangees = counts
        if result.nouvelles == 0 and result.revisees == 0:
            con.execute("ROLLBACK")
            result.message = (
                identical_message(*previous)
                if previous
                else "aucune valeur nouvelle ni modifiée : rien n'a changé"
            )
            return result
        import_id = _next_import_id(con)
        result.statut = "revision" if result.revisees else "nouveau"
        result.import_id = import_id
        result.message = (
            f"import n° {import_id} : {formats.integer(result.nouvelles)} valeur(s) nouvelle(s), "
            f"{formats.integer(result.revisees)} révisée(s), {formats.integer(result.inchangees)} inchangée(s)"
        )
        con.execute(
            "INSERT INTO imports (id, fichier, sha256, nature, lignes, accepte_le, statut, message, donnees_demo, "
            "source, auteur) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                import_id,
                incoming.name,
                digest,
                source.kind,
                rows,
                dt.datetime.now().replace(microsecond=0),
                result.statut,
                "; ".join([result.message, *ctx.notes]),
                incoming.demo,
                incoming.source,
                incoming.auteur,
            ],
        )
        # Les étapes de chargement suivent `compare` dans le fichier SQL, dans l'ordre où elles y sont écrites.
        for name, statement in statements.items():
            if name not in ("overlap", "compare"):
                con.execute(statement, [import_id] if "?" in statement else [])
        if month_totals is not None and (
            too_large := con.execute(month_totals, [MONTH_TOTAL_MAX]).fetchall()
        ):
            con.execute("ROLLBACK")
            return _refused_totals(result, too_large)
        con.unregister("lot")
        del lot
        loaded = time.perf_counter()
        result.durees["chargement"] = loaded - started
        if refresh is not None:
            before = headlines.headline_totals(con) if source.kind == "flux" else None
            refresh(con, import_id, result.nouvelles > 0)
            result.durees["recalcul"] = time.perf_counter() - loaded
            if before is not None:
                result.changements, result.nouveaux_totaux = headlines.compare(
                    con, before, headlines.headline_totals(con)
                )
                headlines.record_errata(con, import_id, result.changements)
                result.message += " ; " + headlines.summary(result.changements, result.nouveaux_totaux)
        con.execute("COMMIT")
    except BaseException:
        # Connexion perdue (disque plein…) : l'annulation peut échouer à son tour ; c'est l'erreur d'origine qui
        # compte, et la copie de travail est jetée de toute façon.
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    return result


# Borne du total d'un mois, toutes lignes courantes comprises (contrôlée en HUGEINT à l'import) : sous elle, le rythme
# annuel (× 12) et le cumul sur 12 mois tiennent dans un entier de 64 bits (9,2 × 10^18). Les lignes, elles, sont
# bornées à 10^10 (`parsing.COUNT_MAX`).
MONTH_TOTAL_MAX = 10**17


def _refused_totals(result: IngestResult, too_large: list[tuple[object, ...]]) -> IngestResult:
    """Refus d'un lot dont un total mensuel dépasserait `MONTH_TOTAL_MAX` : rien n'est écrit."""
    reason = (
        "total mensuel hors de portée : la somme des documents du mois dépasserait 10^17 ; rien n'a été écrit"
    )
    result.statut = "refuse"
    result.import_id = None
    result.problems = [
        Problem(result.fichier, None, "documents", f"{m:%Y-%m} : {t}", reason) for m, t in too_large
    ]
    result.total_problems = len(result.problems)
    result.message = RefusedFile(result.fichier, result.problems).render()
    return result


def ingest(
    files: Sequence[Incoming],
    kind: str | None = None,
    db: Path | None = None,
    dry_run: bool = False,
    sheet: str | None = None,
    settings: Settings | None = None,
    progress: Progress = silent,
) -> list[IngestResult]:
    """Importe les fichiers dans l'ordre. Un fichier refusé n'empêche pas les suivants ; il ne change rien."""
    settings = settings or get_settings()
    db_path = Path(os.path.realpath(db or settings.db_path()))
    if dry_run:
        # Un essai à blanc n'écrit pas l'entrepôt : ni verrou ni copie à côté de lui (il marche sur un disque en
        # lecture seule). Ce que l'import changerait se calcule sur une copie jetable, dans un dossier temporaire.
        return _dry_run(files, kind, settings, sheet, progress, db_path)
    from pipelines.indicators.refresh import refresh_after_import

    results: list[IngestResult] = []
    with ThreadPoolExecutor(max_workers=1) as hasher, contextlib.ExitStack() as session:
        # La session d'écriture (verrou, copie de l'entrepôt) ne s'ouvre qu'au premier fichier valide : un fichier
        # refusé ne garde aucune copie, ne prend pas le verrou et reçoit sa réponse même sur un disque plein ou en
        # lecture seule.
        writer: Writer | None = None
        for incoming in files:
            started = time.perf_counter()
            # Tant que rien n'est écrit dans cette commande, l'entrepôt publié est l'état courant.
            repeated, known_digest = (
                repeats_last_import(db_path, incoming, kind) if writer is None else (None, incoming.empreinte)
            )
            if repeated is not None:
                repeated.durees["lecture_validation"] = time.perf_counter() - started
                progress(f"{incoming.name} : {repeated.message}")
                results.append(repeated)
                continue
            # L'empreinte (idempotence) se calcule pendant la lecture : hashlib relâche le GIL sur les gros blocs.
            stop = threading.Event()
            digest_job = (
                hasher.submit(sha256_of, incoming.path, stop)
                if known_digest is None and incoming.path.is_file()
                else None
            )
            # La copie de travail de l'entrepôt commence pendant la validation, hors du verrou (`EarlyCopy`).
            early = EarlyCopy(db_path) if writer is None and settings.copie_anticipee else None
            try:
                source, frame, ctx = validate_file(incoming, kind, settings, sheet, progress)
            except RefusedFile as refused:
                if early is not None:
                    early.discard()
                stop.set()
                results.append(_refused(incoming, kind, refused, progress))
                continue
            except BaseException:
                if early is not None:
                    early.discard()
                raise
            if writer is None:
                try:
                    _create_folder(db_path)  # un dossier neuf n'est créé que pour un fichier accepté
                    writer = session.enter_context(
                        write_session(
                            db_path,
                            settings.verrou_attente_s,
                            publish=True,
                            memory_limit_mb=settings.memoire_max_mo,
                            early=early,
                        )
                    )
                except BaseException:
                    if early is not None:
                        early.discard()  # sans effet sur une copie que la session a reprise
                    raise
                install_reference_tables(writer.con)
            progress(
                f"{incoming.name} : écriture de {formats.integer(frame.height)} lignes et recalcul des indicateurs…"
            )
            if known_digest is None:
                assert digest_job is not None  # un fichier validé existe
                known_digest = digest_job.result()
            digest = known_digest
            validated = time.perf_counter() - started
            lot = [frame]
            del frame  # load_validated libère la table après chargement
            result = load_validated(writer.con, incoming, source, lot, ctx, digest, refresh_after_import)
            result.durees["lecture_validation"] = validated
            progress(f"{incoming.name} : {result.message} ({_durations_text(result)})")
            results.append(result)
            writer.changed |= result.import_id is not None
    return results


def _create_folder(db_path: Path) -> None:
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unavailable(db_path, exc) from exc


def _refused(incoming: Incoming, kind: str | None, refused: RefusedFile, progress: Progress) -> IngestResult:
    """Le compte rendu d'un refus. Le fil des étapes n'en dit que l'issue : le détail des problèmes est dans le
    compte rendu, que l'appelant montre une fois (la ligne de commande, sur sa sortie standard)."""
    progress(f"{incoming.name} : refusé, {formats.integer(refused.total)} problème(s)")
    return refused_result(incoming, kind, refused)


def refused_result(incoming: Incoming, kind: str | None, refused: RefusedFile) -> IngestResult:
    """Le compte rendu d'un fichier refusé : rien n'a été écrit."""
    return IngestResult(
        incoming.name,
        kind,
        "refuse",
        message=refused.render(),
        problems=refused.problems,
        total_problems=refused.total,
    )


@contextlib.contextmanager
def scratch_copy(db_path: Path, settings: Settings) -> Iterator[duckdb.DuckDBPyConnection | str]:
    """Une copie jetable de l'entrepôt publié, dans un dossier temporaire (jamais à côté de l'entrepôt), schéma et
    référence à jour : de quoi chiffrer l'effet d'un import sans rien écrire. Rend la raison (texte) si l'entrepôt
    manque ou ne se lit pas."""
    if not db_path.is_file():
        yield "entrepôt encore vide"
        return
    with tempfile.TemporaryDirectory(prefix="mes-essai-") as tmp:
        copy = Path(tmp) / "essai.duckdb"
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": f"{settings.memoire_max_mo}MB"
        }
        try:
            shutil.copyfile(db_path, copy)
            con = duckdb.connect(str(copy), config=config)
            apply_schema(con)
            install_reference_tables(con)
        except (OSError, duckdb.Error) as exc:
            yield f"entrepôt illisible ({exc})"
            return
        with con:
            yield con


def preview(
    con: duckdb.DuckDBPyConnection,
    incoming: Incoming,
    source: Source,
    frame: pl.DataFrame,
    ctx: Context,
    digest: str,
) -> IngestResult:
    """Le chargement et le recalcul de l'import, sur une copie jetable (`scratch_copy`) : le compte rendu, au
    conditionnel, avec les chiffres de tête que l'import changerait."""
    from pipelines.indicators.refresh import refresh_after_import

    return _as_preview(
        load_validated(con, incoming, source, [frame], ctx, digest, refresh_after_import), source
    )


def _dry_run(
    files: Sequence[Incoming],
    kind: str | None,
    settings: Settings,
    sheet: str | None,
    progress: Progress,
    db_path: Path,
) -> list[IngestResult]:
    """Validation de chaque fichier puis, si l'entrepôt existe, le même chargement et le même recalcul que l'import
    sur une copie jetable : le compte rendu donne les mêmes chiffres de tête changés, avant que rien ne soit écrit.
    Les fichiers s'enchaînent comme à l'import (le deuxième voit le premier)."""
    results: list[IngestResult] = []
    with scratch_copy(db_path, settings) as con:
        if isinstance(con, str):
            checked = [_check_only(incoming, kind, settings, sheet, progress) for incoming in files]
            if db_path.is_file():
                for result in checked:
                    result.notes.append(f"effet sur les chiffres non calculé : {con}")
            return checked
        for incoming in files:
            try:
                source, frame, ctx = validate_file(incoming, kind, settings, sheet, progress)
            except RefusedFile as refused:
                results.append(_refused(incoming, kind, refused, progress))
                continue
            results.append(preview(con, incoming, source, frame, ctx, sha256_of(incoming.path)))
    return results


def _as_preview(loaded: IngestResult, source: Source) -> IngestResult:
    """Le compte rendu d'un chargement d'essai, dit au conditionnel : rien n'a encore été écrit."""
    if not loaded.ok:
        return loaded
    effect = loaded.message.split(" : ", 1)[1] if loaded.import_id is not None else loaded.message
    loaded.statut = "verifie"
    loaded.import_id = None
    loaded.message = (
        f"fichier valide : {formats.integer(loaded.lignes)} ligne(s) ({source.label}) ; rien n'a encore été écrit. "
        f"À l'import : {effect}"
    )
    return loaded


def _check_only(
    incoming: Incoming, kind: str | None, settings: Settings, sheet: str | None, progress: Progress
) -> IngestResult:
    """Validation seule, sans toucher à l'entrepôt."""
    try:
        source, frame, ctx = validate_file(incoming, kind, settings, sheet, progress)
    except RefusedFile as refused:
        return _refused(incoming, kind, refused, progress)
    return checked_result(incoming, source, frame, ctx)


def checked_result(incoming: Incoming, source: Source, frame: pl.DataFrame, ctx: Context) -> IngestResult:
    """Le compte rendu d'un fichier vérifié sans être écrit (`--dry-run`, dépôt par le navigateur)."""
    return IngestResult(
        incoming.name,
        source.kind,
        "verifie",
        lignes=frame.height,
        notes=ctx.notes,
        message=f"fichier valide : {formats.integer(frame.height)} ligne(s) ({source.label}) ; "
        "rien n'a encore été écrit",
    )


_STEP_LABELS = {
    "lecture_validation": "lecture et validation",
    "chargement": "chargement",
    "recalcul": "recalcul",
}


def _durations_text(result: IngestResult) -> str:
    """« lecture et validation 6,0 s ; chargement 3,1 s ; recalcul 5,8 s »."""
    return " ; ".join(
        f"{label} {formats.decimal(result.durees[key], 1)} s"
        for key, label in _STEP_LABELS.items()
        if key in result.durees
    )
