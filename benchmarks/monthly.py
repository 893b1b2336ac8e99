"""Banc d'essai des livraisons mensuelles : `python -m benchmarks.monthly --rows 1000000 10000000 30000000`.

Pour chaque taille d'historique (les flux par établissement de `benchmarks.generate`, 60 mois) : premier chargement
des 59 premiers mois, puis, chacune dans son propre processus (temps et mémoire de pointe), la livraison du 60e mois
(1/60 des lignes), sa relivraison à l'identique (elle ne change rien) et la révision d'un mois ancien, chacune trois
fois (médiane ; la livraison et la révision repartent de l'entrepôt d'avant elles), et le même mois livré à un
entrepôt sans historique (le plancher d'une livraison) ; à côté, la copie du fichier de l'entrepôt que fait chaque
import (publication) et, jusqu'à 10 M de lignes, la chaîne pandas relancée sur tout l'historique (ce que ferait un
script mensuel ; ≈ 5 Go de mémoire à 10 M de lignes, sautée au-delà). Résultats :
benchmarks/results/mensuel_<lignes>.json (ou `--out`), puis les tableaux en français sur la sortie : les mesures, et
chaque cible de l'issue 19 avec sa valeur mesurée.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from benchmarks.generate import MONTHS, feed
from benchmarks.run import measure_sizes, median_run, reference_warehouse, size_parser, timed_rss
from pipelines import formats
from pipelines.settings import REFERENCE_DIR

REVISED_MONTH = MONTHS[10]
SIZES = [1_000_000, 10_000_000, 30_000_000]
PANDAS_MAX_ROWS = (
    10_000_000  # ≈ 5 Go de mémoire à 10 M de lignes : au-delà, la chaîne pandas n'est pas relancée
)
PANDAS_SKIPPED = "non relancée au-delà de 10 M de lignes (≈ 5 Go de mémoire à 10 M de lignes)"
IDENTICAL_RUNS = 3  # passages de chaque livraison mesurée (médiane)
REPRODUCE = "python -m benchmarks.monthly --rows 1000000 10000000 30000000 && python -m benchmarks.report"

# Les cibles de l'issue 19.
SHARE_MAX = (
    0.10  # livraison mensuelle, révision d'un mois ancien : ≤ 10 % du premier chargement du même entrepôt
)
IDENTICAL_MAX_S = 0.5  # relivraison identique, quelle que soit la taille
PANDAS_RATIO_MIN = 10.0  # la chaîne pandas sur tout l'historique ÷ la livraison mensuelle, à 10 M de lignes
MEMORY_MAX_MO = 1024.0  # mémoire de pointe de la livraison mensuelle, à 30 M de lignes
COPY_MAX_S = 1.0  # copie du fichier de l'entrepôt à chaque import, à 30 M de lignes
# « Son coût reste plat quand l'historique grandit » : l'issue ne chiffre pas ce « plat ». Seuil retenu ici : le coût
# à 30 M de lignes au plus 3 × celui à 1 M. Le mois livré grandit avec l'historique (1/60 des lignes, 30 × plus de
# lignes) ; un coût proportionnel à l'historique ferait ≈ 30 × (le premier chargement le montre à côté).
FLAT_MAX = 3.0


class Sizes(NamedTuple):
    """Les tailles d'historique (lignes demandées) auxquelles les cibles se lisent : 1, 10 et 30 M."""

    small: int
    reference: int
    large: int


ISSUE_SIZES = Sizes(*SIZES)


def files(rows: int, folder: Path, complete: bool = True) -> dict[str, Path]:
    """Historique (59 mois), livraison du dernier mois, révision d'un mois ancien (+1 document par ligne) ; le fichier
    complet (60 mois, pour la chaîne pandas) si `complete`."""
    frame = feed(rows)
    folder.mkdir(parents=True, exist_ok=True)
    # Une partie à la fois (à 30 M de lignes, chaque copie filtrée pèse ≈ 2 Go dans ce processus).
    parts = {
        "historique": lambda: frame.filter(pl.col("mois") != MONTHS[-1]),
        "mois": lambda: frame.filter(pl.col("mois") == MONTHS[-1]),
        "revision": lambda: frame.filter(pl.col("mois") == REVISED_MONTH).with_columns(
            pl.col("documents") + 1
        ),
        **({"complet": lambda: frame} if complete else {}),
    }
    paths = {}
    for name, part in parts.items():
        paths[name] = folder / f"{name}_{rows}.csv"
        part().write_csv(paths[name], separator=";")
    return paths


def copy_seconds(db: Path, repetitions: int = 3) -> list[float]:
    """La copie du fichier de l'entrepôt qu'un import fait avant d'écrire : chaque passage, en secondes."""
    times = []
    for _ in range(repetitions):
        target = db.with_name(db.name + ".copie")
        started = time.perf_counter()
        shutil.copyfile(db, target)
        times.append(time.perf_counter() - started)
        target.unlink()
    return times


def repeated_delivery(
    state: Path, db: Path, command: list[str], runs: int = IDENTICAL_RUNS
) -> dict[str, Any]:
    """`command` lancée `runs` fois sur `db`, remis chaque fois dans l'état `state` (copié) ; le passage médian,
    avec tous les passages."""
    measured = []
    for _ in range(runs):
        shutil.copyfile(state, db)
        measured.append(timed_rss(command))
    return median_run(measured, "secondes")


def _rows(path: Path) -> int:
    return int(pl.scan_csv(path, separator=";").select(pl.len()).collect().item())


def run_size(rows: int, work: Path, pandas: bool) -> dict[str, Any]:
    py = sys.executable
    paths = files(rows, work / "donnees", complete=pandas)
    db = work / f"mensuel_{rows}.duckdb"
    db.unlink(missing_ok=True)
    reference_warehouse(db)
    # La commande telle qu'un utilisateur la lance : démarrage de Python et imports compris.
    step = [py, "-m", "pipelines", "ingest", "--db", str(db)]
    out: dict[str, Any] = {
        "lignes_demandees": rows,
        "lignes_historique": _rows(paths["historique"]),
        "lignes_mois_livre": _rows(paths["mois"]),
        "lignes_revision": _rows(paths["revision"]),
    }
    # Le même mois livré à un entrepôt sans historique (les seules tables de référence) : ce qu'une livraison coûte
    # quoi qu'il y ait avant elle (démarrage, validation, chargement, calcul du mois, publication).
    bare = work / f"mensuel_{rows}_sans_historique.duckdb"
    out["mois_sans_historique"] = repeated_delivery(
        db, bare, [py, "-m", "pipelines", "ingest", "--db", str(bare), str(paths["mois"])]
    )
    bare.unlink()
    # Le premier chargement se répète aussi, depuis l'entrepôt de référence : chaque part « du premier chargement »
    # rapporte une médiane à une médiane, pas à un passage pris à une heure lente ou rapide de la machine. Le dernier
    # passage laisse l'entrepôt chargé sur lequel les livraisons suivantes se mesurent.
    reference = work / f"mensuel_{rows}_reference.duckdb"
    shutil.copyfile(db, reference)
    out["premier_chargement"] = repeated_delivery(reference, db, [*step, str(paths["historique"])])
    reference.unlink()
    # La livraison du mois et la révision se répètent chacune sur l'entrepôt tel qu'il était avant elle (recopié) :
    # d'un passage à l'autre, cette machine varie de ± 20 % ; le médian est retenu.
    before = work / f"mensuel_{rows}_avant.duckdb"
    shutil.copyfile(db, before)
    out["livraison_mensuelle"] = repeated_delivery(before, db, [*step, str(paths["mois"])])
    # Relivrer le même mois ne change rien : les passages se répètent sur le même entrepôt ; le médian est retenu.
    out["relivraison_identique"] = median_run(
        [timed_rss([*step, str(paths["mois"])]) for _ in range(IDENTICAL_RUNS)], "secondes"
    )
    shutil.copyfile(db, before)
    out["revision_mois_ancien"] = repeated_delivery(before, db, [*step, str(paths["revision"])])
    before.unlink()
    out["taille_entrepot_mo"] = db.stat().st_size / 2**20
    copies = copy_seconds(db)
    out["copie_entrepot_s"] = sorted(copies)[len(copies) // 2]
    out["copie_entrepot_passages"] = copies
    if pandas:
        population = REFERENCE_DIR / "population.csv"
        out["pandas_historique_complet"] = timed_rss(
            [py, "-m", "benchmarks.steps", "pandas", str(paths["complet"]), str(population)]
        )
        out["rapport_pandas"] = (
            out["pandas_historique_complet"]["secondes"] / out["livraison_mensuelle"]["secondes"]
        )
    else:
        out["pandas_omis"] = PANDAS_SKIPPED
    first = out["premier_chargement"]["secondes"]
    for key in ("livraison_mensuelle", "relivraison_identique", "revision_mois_ancien"):
        out[key]["part_du_premier_chargement"] = out[key]["secondes"] / first
    return out


def table(results: list[dict[str, Any]]) -> str:
    """Le tableau Markdown des mesures, une ligne par taille d'historique."""
    lines = [
        "| historique | premier chargement | mois livré (1/60) | même mois sans historique | relivraison identique "
        "| révision d'un mois ancien | copie de l'entrepôt | pandas sur tout l'historique |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(step: dict[str, Any]) -> str:
        share = step.get("part_du_premier_chargement")
        extra = f", {formats.percent(share, 0)} du premier" if share is not None else ""
        return f"{formats.decimal(step['secondes'], 2)} s ({formats.integer(step['rss_max_mo'])} Mo{extra})"

    for r in results:
        pandas = cell(r["pandas_historique_complet"]) if "pandas_historique_complet" in r else "non relancée"
        lines.append(
            f"| {formats.integer(r['lignes_historique'])} lignes ({formats.integer(r['taille_entrepot_mo'])} Mo) "
            f"| {cell(r['premier_chargement'])} | {cell(r['livraison_mensuelle'])} "
            f"| {cell(r['mois_sans_historique']) if 'mois_sans_historique' in r else 'non mesuré'} "
            f"| {cell(r['relivraison_identique'])} | {cell(r['revision_mois_ancien'])} "
            f"| {formats.decimal(r['copie_entrepot_s'], 2)} s | {pandas} |"
        )
    return "\n".join(lines)


def _at(results: list[dict[str, Any]], rows: int) -> dict[str, Any] | None:
    return next((r for r in results if r.get("lignes_demandees") == rows), None)


def _size(rows: int) -> str:
    """« 10 M de lignes » (tailles rondes), sinon « 20 000 lignes »."""
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{formats.integer(rows / 1e6)} M de lignes"
    return f"{formats.integer(rows)} lignes"


MISSING_SIZE = "non mesuré à cette taille"


def targets(results: list[dict[str, Any]], sizes: Sizes = ISSUE_SIZES) -> list[tuple[str, str, bool | None]]:
    """Chaque cible de l'issue 19 : (cible, valeur mesurée, atteinte : oui, non, ou None si la taille manque). Les
    résultats sont repérés par `lignes_demandees` (1, 10 et 30 M de lignes par défaut)."""
    rows: list[tuple[str, str, bool | None]] = []

    def seconds(value: float) -> str:
        return f"{formats.decimal(value, 2)} s"

    for key, label in (
        ("livraison_mensuelle", "livraison mensuelle"),
        ("revision_mois_ancien", "révision d'un mois ancien"),
    ):
        for size in dict.fromkeys((sizes.reference, sizes.large)):
            r = _at(results, size)
            target = f"{label} ≤ 10 % du premier chargement ({_size(size)})"
            if r is None:
                rows.append((target, MISSING_SIZE, None))
                continue
            share = r[key]["secondes"] / r["premier_chargement"]["secondes"]
            rows.append(
                (
                    target,
                    f"{formats.percent(share, 1)} ({seconds(r[key]['secondes'])} contre "
                    f"{seconds(r['premier_chargement']['secondes'])}){_spread(r[key])}"
                    f"{_spread(r['premier_chargement'], 'premier chargement : ')}",
                    share <= SHARE_MAX,
                )
            )
    for size in dict.fromkeys((sizes.reference, sizes.large)):
        rows.append(_beyond_floor(_at(results, size), size))
    for size in dict.fromkeys((sizes.small, sizes.reference, sizes.large)):
        r = _at(results, size)
        target = f"relivraison identique ≤ 0,5 s ({_size(size)})"
        if r is None:
            rows.append((target, MISSING_SIZE, None))
            continue
        step = r["relivraison_identique"]
        rows.append((target, seconds(step["secondes"]) + _spread(step), step["secondes"] <= IDENTICAL_MAX_S))
    r = _at(results, sizes.reference)
    target = (
        f"livraison mensuelle ≥ 10 × plus rapide que pandas sur tout l'historique ({_size(sizes.reference)})"
    )
    if r is None or "pandas_historique_complet" not in r:
        rows.append((target, MISSING_SIZE if r is None else r.get("pandas_omis", "pandas non relancé"), None))
    else:
        pandas_s = r["pandas_historique_complet"]["secondes"]
        ratio = pandas_s / r["livraison_mensuelle"]["secondes"]
        rows.append(
            (
                target,
                f"{formats.decimal(ratio, 1)} × (pandas {seconds(pandas_s)}, livraison "
                f"{seconds(r['livraison_mensuelle']['secondes'])})",
                ratio >= PANDAS_RATIO_MIN,
            )
        )
    large = _at(results, sizes.large)
    target = f"mémoire de pointe d'une livraison mensuelle ≤ 1 Go ({_size(sizes.large)})"
    peak = large["livraison_mensuelle"].get("rss_max_mo") if large else None
    if large is None or peak is None:
        rows.append((target, MISSING_SIZE if large is None else "mémoire non mesurée", None))
    else:
        rows.append((target, f"{formats.integer(peak)} Mo", peak <= MEMORY_MAX_MO))
    target = f"copie du fichier de l'entrepôt à chaque import ≤ 1 s ({_size(sizes.large)})"
    if large is None:
        rows.append((target, MISSING_SIZE, None))
    else:
        rows.append(
            (
                target,
                f"{seconds(large['copie_entrepot_s'])} pour {formats.integer(large['taille_entrepot_mo'])} Mo",
                large["copie_entrepot_s"] <= COPY_MAX_S,
            )
        )
    small = _at(results, sizes.small)
    for key, label in (
        ("livraison_mensuelle", "livraison mensuelle"),
        ("revision_mois_ancien", "révision d'un mois ancien"),
    ):
        target = (
            f"{label} : coût plat quand l'historique grandit, {_size(sizes.large)} ÷ {_size(sizes.small)} "
            f"≤ {formats.integer(FLAT_MAX)} × (seuil retenu ici)"
        )
        if small is None or large is None:
            rows.append(
                (target, MISSING_SIZE if small is None else _partial_flatness(results, key, small), None)
            )
            continue
        ratio = large[key]["secondes"] / small[key]["secondes"]
        first = large["premier_chargement"]["secondes"] / small["premier_chargement"]["secondes"]
        rows.append(
            (
                target,
                f"{formats.decimal(ratio, 1)} × ({seconds(small[key]['secondes'])} puis "
                f"{seconds(large[key]['secondes'])} ; premier chargement : {formats.decimal(first, 1)} ×)",
                ratio <= FLAT_MAX,
            )
        )
    return rows


def _spread(step: dict[str, Any], what: str = "") -> str:
    """« (médiane de 3 passages, de 1,20 s à 1,40 s) » quand l'étape a été répétée ; `what` la nomme en tête."""
    runs = step.get("passages") or []
    if len(runs) < 2:
        return ""
    low, high = (f"{formats.decimal(value, 2)} s" for value in (min(runs), max(runs)))
    return f" ({what}médiane de {len(runs)} passages, de {low} à {high})"


def _beyond_floor(r: dict[str, Any] | None, size: int) -> tuple[str, str, bool | None]:
    """La lecture proposée de la cible des 10 % (issue 19, décision en attente) : ce que la livraison coûte de plus
    que le même mois livré sans historique, rapporté au premier chargement."""
    target = (
        f"livraison mensuelle hors plancher ≤ 10 % du premier chargement ({_size(size)} ; lecture proposée, "
        "décision en attente)"
    )
    if r is None:
        return target, MISSING_SIZE, None
    if "mois_sans_historique" not in r:
        return target, "plancher non mesuré (résultat d'avant cette mesure)", None
    floor = r["mois_sans_historique"]["secondes"]
    beyond = max(r["livraison_mensuelle"]["secondes"] - floor, 0.0)
    share = beyond / r["premier_chargement"]["secondes"]
    value = (
        f"{formats.percent(share, 1)} ({formats.decimal(beyond, 2)} s au-delà du plancher de "
        f"{formats.decimal(floor, 2)} s : le même mois sans historique)"
    )
    return target, value, share <= SHARE_MAX


def _partial_flatness(results: list[dict[str, Any]], key: str, small: dict[str, Any]) -> str:
    """Sans la grande taille : le rapport à la plus grande taille mesurée, pour mémoire."""
    largest = max(results, key=lambda r: r.get("lignes_demandees", 0))
    if largest is small:
        return MISSING_SIZE
    ratio = largest[key]["secondes"] / small[key]["secondes"]
    return (
        f"{MISSING_SIZE} ; pour mémoire, {_size(largest['lignes_demandees'])} ÷ "
        f"{_size(small['lignes_demandees'])} : {formats.decimal(ratio, 1)} ×"
    )


VERDICT = {True: "oui", False: "**non**", None: "—"}


def targets_table(results: list[dict[str, Any]], sizes: Sizes = ISSUE_SIZES) -> str:
    """Le tableau Markdown des cibles : une ligne par cible, la valeur mesurée, atteinte ou non."""
    lines = ["| cible (issue 19) | mesuré | atteinte |", "|---|---|---|"]
    lines += [f"| {target} | {value} | {VERDICT[met]} |" for target, value, met in targets(results, sizes)]
    return "\n".join(lines)


def command(rows: list[int], without_pandas: bool) -> str:
    """La commande qui refait ces mesures (hors `--out`)."""
    return f"python -m benchmarks.monthly --rows {' '.join(map(str, rows))}" + (
        " --sans-pandas" if without_pandas else ""
    )


def main(argv: list[str] | None = None) -> int:
    parser = size_parser("benchmarks.monthly", __doc__, SIZES)
    parser.add_argument("--sans-pandas", action="store_true", help="ne pas relancer la chaîne pandas")
    parser.add_argument(
        "--out", type=Path, default=None, help="dossier des résultats (par défaut benchmarks/results)"
    )
    args = parser.parse_args(argv)
    reproduce = command(args.rows, args.sans_pandas)

    def measure(rows: int, work: Path) -> dict[str, Any]:
        pandas = not args.sans_pandas and rows <= PANDAS_MAX_ROWS
        return {"commande": reproduce, **run_size(rows, work, pandas=pandas)}

    results = measure_sizes(args.rows, "mensuel", measure, out=args.out)
    print(table(results))
    print()
    # Les cibles se lisent à 1, 10 et 30 M de lignes ; un essai à d'autres tailles les lit à ses propres tailles.
    measured = set(args.rows)
    sizes = ISSUE_SIZES if measured & set(SIZES) else Sizes(min(measured), max(measured), max(measured))
    print(targets_table(results, sizes))
    print(f"\nReproduire : {reproduce}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
