"""docs/PERFORMANCE.md à partir des résultats mesurés (benchmarks/results/*.json) : tableau face aux cibles, courbe
du coût selon le nombre de lignes. `python -m benchmarks.report` (appelé par `make bench`)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from pipelines import formats
from pipelines.settings import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results"
DOC = REPO_ROOT / "docs" / "PERFORMANCE.md"
PLOT = REPO_ROOT / "docs" / "performance.svg"
TARGET_ROWS = 10_000_000


def load() -> list[dict[str, Any]]:
    return sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in RESULTS.glob("[0-9]*.json")),
        key=lambda r: r["lignes"],
    )


def _s(value: float | None) -> str:
    return "—" if value is None else formats.decimal(value, 2) + " s"


def _mo(value: float | None) -> str:
    return "—" if value is None else formats.integer(value) + " Mo"


def table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| lignes | import CSV (lecture, validation, chargement) | import Parquet | commande `ingest` entière "
        "(CSV, recalcul et publication compris) | recalcul des indicateurs | chiffres clés (médiane) | pages, "
        "chaud (max) | pages, froid (max) | pandas (lecture + indicateurs) | rapport pandas ÷ nous | mémoire "
        "max (nos étapes) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        pages = {k: v for k, v in r.get("pages", {}).get("mesures", {}).items() if k != "premier_rendu"}
        warm = max((v["chaud_s"] for v in pages.values()), default=None)
        cold = max((v["froid_s"] for v in pages.values()), default=None)
        peak = _our_peak(r)
        lines.append(
            f"| {formats.integer(r['lignes'])} "
            f"| {_s(r['import_csv']['import_s'])} ({formats.integer(r['import_csv']['lignes_par_s'])} l/s) "
            f"| {_s(r['import_parquet']['import_s'])} ({formats.integer(r['import_parquet']['lignes_par_s'])} l/s) "
            f"| {_s(r['import_csv']['secondes'])} ({_mo(r['import_csv']['rss_max_mo'])}) "
            f"| {_s(r['recalcul']['mesures']['secondes'])} ({_mo(r['recalcul']['rss_max_mo'])}) "
            f"| {formats.decimal(r['kpi']['mesures']['mediane_s'] * 1000, 0)} ms "
            f"| {formats.decimal(warm * 1000, 0) + ' ms' if warm is not None else '—'} "
            f"| {_s(cold)} "
            f"| {_s(r['pandas']['secondes'])} ({_mo(r['pandas']['rss_max_mo'])}) "
            f"| {formats.decimal(r['rapport_pandas'], 2)} "
            f"| {_mo(peak)} |"
        )
    return lines


def plot(results: list[dict[str, Any]]) -> None:
    import kaleido  # noqa: F401 - exportateur de Plotly ; Chromium du système

    rows = [r["lignes"] for r in results]
    fig = go.Figure()
    for name, values in (
        ("Commande ingest CSV (tout compris)", [r["import_csv"]["secondes"] for r in results]),
        ("Import CSV (lecture, validation, chargement)", [r["import_csv"]["import_s"] for r in results]),
        ("Import Parquet (idem)", [r["import_parquet"]["import_s"] for r in results]),
        ("Recalcul des indicateurs", [r["recalcul"]["mesures"]["secondes"] for r in results]),
        ("Référence pandas", [r["pandas"]["secondes"] for r in results]),
    ):
        fig.add_trace(go.Scatter(x=rows, y=values, name=name, mode="lines+markers"))
    fig.update_layout(
        title="Coût selon le nombre de lignes (échelles logarithmiques)",
        separators=", ",
        width=900,
        height=500,
    )
    fig.update_xaxes(type="log", title="lignes")
    fig.update_yaxes(type="log", title="secondes")
    fig.write_image(PLOT)


def measured_when(results: list[dict[str, Any]]) -> str:
    """« 999 900 lignes le 2026-11-22 12:05 (version 0.4.1) ; … » : chaque taille a sa propre mesure."""
    return " ; ".join(
        f"{formats.integer(r['lignes'])} lignes le {r['machine']['date']} "
        f"(version {r['machine'].get('produit', 'non notée')})"
        for r in results
    )


def main() -> int:
    results = load()
    if not results:
        raise SystemExit("aucun résultat dans benchmarks/results : lancez d'abord `python -m benchmarks.run`")
    machine = results[-1]["machine"]
    target = next((r for r in results if r["lignes"] >= TARGET_ROWS * 0.95), None)
    text = [
        "# Performance",
        "",
        f"Mesuré sur {machine['processeurs']} cœurs, {formats.decimal(machine['memoire_go'], 0)} Go ; "
        f"Python {machine['python']}, {', '.join(f'{k} {v}' for k, v in machine['versions'].items())}. "
        f"Date et version du produit de chaque mesure : {measured_when(results)}.",
        "",
        "Reproduire : `make bench` (génère les fichiers, mesure, réécrit ce document). Chaque étape tourne "
        "dans son propre",
        "processus ; la mémoire est la mémoire résidente de pointe de ce processus (`/usr/bin/time -f %M`). Import et",
        "recalcul : médiane de plusieurs passages (`--repetitions`, 3 par défaut ; tous dans "
        "`benchmarks/results/`), la",
        "machine variant de 10 à 15 % d'un passage à l'autre, et parfois de moitié d'une heure à l'autre (machine",
        "virtuelle partagée) ; mémoire : la plus haute des passages. Tous les passages de chaque taille sont dans",
        "`benchmarks/results/<lignes>.json`.",
        "",
        *table(results),
        "",
        "![Coût selon le nombre de lignes](performance.svg)",
        "",
        "## Face aux cibles (10 M de lignes)",
        "",
    ]
    if target is None:
        text.append(
            "La taille de 10 M de lignes n'a pas encore été mesurée : les cibles ne sont ni atteintes ni réfutées ici."
        )
    else:
        text += targets_table(target)
        text += floor_table(target)
    text += monthly_section()
    text += shapes_section()
    text += load_section()
    (REPO_ROOT / "docs").mkdir(exist_ok=True)
    generated = START + "\n" + "\n".join(text) + "\n" + END
    existing = DOC.read_text(encoding="utf-8") if DOC.exists() else START + "\n" + END + "\n"
    before, _, rest = existing.partition(START)
    _, _, after = rest.partition(END)
    DOC.write_text(before + generated + after, encoding="utf-8")
    plot(results)
    return 0


def monthly_section() -> list[str]:
    """Les livraisons mensuelles (`benchmarks.monthly`) face aux cibles de l'issue 19, quand elles sont mesurées."""
    from benchmarks.monthly import table as monthly_table

    monthly = sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in RESULTS.glob("mensuel_*.json")),
        key=lambda r: r["lignes_historique"],
    )
    if not monthly:
        return []
    lines = [
        "",
        "## Livraisons mensuelles",
        "",
        "`python -m benchmarks.monthly --rows 1000000 10000000` : premier chargement de 59 mois, puis la livraison du "
        "60e mois (1/60 des lignes), sa relivraison à l'identique et la révision d'un mois ancien, chacune dans son "
        "processus ; la copie du fichier de l'entrepôt que fait chaque import ; la chaîne pandas relancée sur tout "
        "l'historique.",
        "",
        monthly_table(monthly),
        "",
        "| cible (livraison mensuelle) | mesuré | atteinte |",
        "|---|---|---|",
    ]
    for r in monthly:
        rows = formats.integer(r["lignes_historique"])
        share = r["livraison_mensuelle"]["part_du_premier_chargement"]
        identical = r["relivraison_identique"]["secondes"]
        lines.append(
            f"| ≤ 10 % du premier chargement ({rows} lignes) | {formats.percent(share, 0)} | "
            f"{'oui' if share <= 0.10 else '**non**'} |"
        )
        lines.append(
            f"| relivraison identique ≤ 0,5 s ({rows} lignes) | {_s(identical)} | "
            f"{'oui' if identical <= 0.5 else '**non**'} |"
        )
        if "pandas_historique_complet" in r:
            ratio = r["pandas_historique_complet"]["secondes"] / r["livraison_mensuelle"]["secondes"]
            lines.append(
                f"| ≥ 10 × plus rapide que pandas sur tout l'historique ({rows} lignes) | "
                f"{formats.decimal(ratio, 1)} × | {'oui' if ratio >= 10 else '**non**'} |"
            )
    return lines


def shapes_section() -> list[str]:
    """Le premier chargement selon la forme du fichier (`benchmarks.shapes`), quand il est mesuré."""
    from benchmarks.shapes import table as shapes_table

    measured = [
        shape
        for path in sorted(RESULTS.glob("formes_*.json"))
        for shape in json.loads(path.read_text(encoding="utf-8"))["formes"]
    ]
    if not measured:
        return []
    lines = [
        "",
        "## Premier chargement selon la forme du fichier",
        "",
        "`python -m benchmarks.shapes --rows 10000000` : la commande `ingest` entière dans un entrepôt neuf, et le "
        "script pandas qui ne fait que lire le fichier et sommer par mois, couloir et établissement. Cible : au moins "
        "1 M de lignes par seconde de bout en bout, sous 2 Go.",
        "",
        shapes_table(measured),
        "",
    ]
    for r in measured:
        speed, memory = r["ingest"]["lignes_par_s"], r["ingest"]["rss_max_mo"] or 0
        met = speed >= 1e6 and memory <= 2048
        lines.append(
            f"- {r['description']}, {formats.integer(r['lignes'])} lignes : "
            f"{formats.decimal(speed / 1e6, 2)} M de lignes/s, {formats.integer(memory)} Mo — "
            f"{'cible atteinte' if met else '**cible non atteinte**'}."
        )
    return lines


def load_section() -> list[str]:
    """L'application sous charge (`benchmarks.load`), quand elle est mesurée."""
    path = RESULTS / "charge.json"
    if not path.exists():
        return []
    r = json.loads(path.read_text(encoding="utf-8"))
    p95 = r["p95_s"]
    met = r["erreurs"] == 0 and p95 is not None and p95 <= 1.5
    return [
        "",
        "## L'application sous charge",
        "",
        f"`python -m benchmarks.load --sessions {r['sessions']} --secondes {formats.integer(r['duree_s'])}` "
        f"({r['entrepot']}) : chaque session, un contexte de Chromium, ouvre page après page par l'adresse (mois et "
        "territoire tirés au hasard), une nouvelle session Streamlit à chaque fois.",
        "",
        "| pages affichées | erreurs | médiane | 95e centile | mémoire du serveur "
        "| cible : 95e centile ≤ 1,5 s, sans erreur |",
        "|---|---|---|---|---|---|",
        f"| {formats.integer(r['pages'])} | {r['erreurs']} | {_s(r['mediane_s'])} | {_s(p95)} | "
        f"{_mo(r['memoire_serveur_mo'])} | {'oui' if met else '**non**'} |",
    ]


START, END = "<!-- mesures:debut (écrit par python -m benchmarks.report) -->", "<!-- mesures:fin -->"


def targets_table(r: dict[str, Any]) -> list[str]:
    pages = {k: v for k, v in r.get("pages", {}).get("mesures", {}).items() if k != "premier_rendu"}
    warm = max((v["chaud_s"] for v in pages.values()), default=float("nan"))
    cold = max((v["froid_s"] for v in pages.values()), default=float("nan"))
    first = r.get("pages", {}).get("mesures", {}).get("premier_rendu", {}).get("froid_s")
    peak = _our_peak(r)
    pandas_compute = r["pandas"]["mesures"]["secondes"] - r["pandas"]["mesures"]["lecture_s"]
    rows = [
        (
            "import ≥ 1 M lignes/s, validation comprise",
            f"{formats.integer(r['import_csv']['lignes_par_s'])} lignes/s (CSV){_spread(r['import_csv'], r['lignes'])}",
            r["import_csv"]["lignes_par_s"] >= 1e6,
        ),
        (
            "recalcul des indicateurs ≤ 10 s",
            _s(r["recalcul"]["mesures"]["secondes"]) + _spread(r["recalcul"]),
            r["recalcul"]["mesures"]["secondes"] <= 10,
        ),
        (
            "pages ≤ 200 ms à chaud",
            f"{formats.decimal(warm * 1000, 0)} ms (la plus lente ; médiane de 5 rendus par page)",
            warm <= 0.2,
        ),
        (
            "pages ≤ 1,5 s à froid",
            f"{_s(cold)} (la plus lente) ; tout premier affichage après démarrage, imports Python compris : "
            f"{_s(first)}",
            cold <= 1.5,
        ),
        ("mémoire de pointe ≤ 2 Go", _mo(peak), peak <= 2048),
    ]
    ruptures = r.get("ruptures", {}).get("mesures")
    if ruptures:
        rows.append(
            (
                "ruptures du mois pour la France ≤ 2 s",
                f"{_s(ruptures['mediane_s'])} (médiane de 7 passages, chacun sa connexion ; premier "
                f"{_s(ruptures['premiere_s'])}) ; {formats.integer(ruptures['alertes'])} alertes",
                ruptures["mediane_s"] <= 2,
            )
        )
    if "etablissements" in pages:
        rows.append(
            (
                "page Établissements ≤ 1 s à chaud",
                f"{_s(pages['etablissements']['chaud_s'])} (médiane de 5 rendus ; à froid "
                f"{_s(pages['etablissements']['froid_s'])})",
                pages["etablissements"]["chaud_s"] <= 1,
            )
        )
    # Le rapport à pandas n'est plus une cible (issue 19) : il est rapporté pour mémoire.
    rows.append(
        (
            "pour mémoire : rapport à pandas (import + indicateurs)",
            f"{formats.decimal(r['rapport_pandas'], 2)} × : pandas {_s(r['pandas']['secondes'])}"
            f"{_spread(r['pandas'])} ; notre commande `ingest` {_s(_command_s(r))}, passages alternés avec pandas",
            None,
        )
    )
    verdict = {True: "oui", False: "**non**", None: "—"}
    return [
        "| cible | mesuré | atteinte |",
        "|---|---|---|",
        *[f"| {a} | {b} | {verdict[ok]} |" for a, b, ok in rows],
        "",
        "Pour lire le dernier rapport : la référence pandas lit le CSV et calcule, sans valider ni écrire ; "
        "notre commande "
        "valide chaque cellule, garde l'historique, recalcule et publie l'entrepôt d'un coup. Calcul seul "
        "contre calcul "
        f"seul — pandas hors lecture du CSV ({_s(pandas_compute)}) contre notre recalcul "
        f"({_s(r['recalcul']['mesures']['secondes'])}) : "
        f"{formats.decimal(pandas_compute / r['recalcul']['mesures']['secondes'], 1)} ×.",
    ]


FLOOR_STEPS = {
    "lecture_csv": "lire le CSV (Polars, codes en catégories), sans rien valider",
    "ecriture_raw_flux": "écrire les lignes validées, codes numérotés, dans `raw_flux` (instruction `insert` seule)",
    "ecriture_series": "écrire autant de lignes de séries d'établissement (instruction `store_series` seule)",
    "demarrage": "démarrer Python et importer la commande",
}


def floor_table(r: dict[str, Any], folder: Path = RESULTS / "plancher") -> list[str]:
    """Le plancher mesuré par `benchmarks.floor` à la même taille, face au temps que permettrait la cible de 5 ×."""
    candidates = sorted(folder.glob("*.json"))
    floor = next(
        (
            f
            for f in (json.loads(c.read_text(encoding="utf-8")) for c in candidates)
            if f["lignes"] == r["lignes"]
        ),
        None,
    )
    if floor is None:
        return []
    m = floor["mesures"]
    allowed = r["pandas"]["secondes"] / 5
    return [
        "",
        f"### Le plancher à {formats.integer(r['lignes'])} lignes",
        "",
        "Ce que coûtent, seules, les opérations qu'aucune implémentation de la commande ne peut éviter avec l'entrepôt "
        "actuel (`python -m benchmarks.floor`, médiane de 3 passages) :",
        "",
        "| opération | temps |",
        "|---|---|",
        *[f"| {label} | {_s(m[key])} |" for key, label in FLOOR_STEPS.items()],
        f"| **somme, avec une validation et un recalcul instantanés** | **{_s(m['somme'])}** |",
        f"| temps permis par la cible de 5 × pandas ({_s(r['pandas']['secondes'])} ÷ 5) | {_s(allowed)} |",
        *(
            [
                "| pour mémoire : les mêmes lignes, codes en texte (`raw_flux` avant 0.3) | "
                f"{_s(m['ecriture_raw_textes'])} |"
            ]
            if "ecriture_raw_textes" in m
            else []
        ),
        "",
        f"Il reste {_s(max(allowed - m['somme'], 0))} pour valider chaque cellule, comparer au contenu courant et "
        "recalculer tous les indicateurs.",
    ]


def _command_s(r: dict[str, Any]) -> float:
    """La commande `ingest` entière (CSV), médiane de ses passages (résultats plus anciens : le passage médian)."""
    runs = r["import_csv"].get("commandes_s")
    return statistics.median(runs) if runs else float(r["import_csv"]["secondes"])


def _spread(step: dict[str, Any], rows: int | None = None) -> str:
    """« ; médiane de 3 passages, de … à … » (débits si `rows`, sinon secondes)."""
    runs = step.get("passages") or []
    if len(runs) < 2:
        return ""
    if rows:
        low, high = formats.integer(rows / max(runs)), formats.integer(rows / min(runs))
    else:
        low, high = _s(min(runs)), _s(max(runs))
    return f" ; médiane de {len(runs)} passages, de {low} à {high}"


def _our_peak(r: dict[str, Any]) -> float:
    """Mémoire de pointe de nos étapes (la référence pandas a la sienne, à part)."""
    return max(
        v.get("rss_max_mo") or 0
        for k, v in r.items()
        if isinstance(v, dict) and "rss_max_mo" in v and k != "pandas"
    )


if __name__ == "__main__":
    raise SystemExit(main())
