"""docs/PERFORMANCE.md à partir des résultats mesurés (benchmarks/results/*.json) : tableau face aux cibles, courbe
du coût selon le nombre de lignes. `python -m benchmarks.report` (appelé par `make bench`)."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from pipelines import formats
from pipelines.settings import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results"
DOC = REPO_ROOT / "docs" / "PERFORMANCE.md"
PLOT = REPO_ROOT / "docs" / "performance.svg"
MONTHLY_PLOT = REPO_ROOT / "docs" / "images" / "livraisons_mensuelles.svg"
MONTHLY_TITLE = "Livraisons mensuelles : coût selon la taille de l'historique"
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
    write_svg(fig, PLOT)


def write_svg(fig: go.Figure, path: Path) -> None:
    """L'image SVG de la figure, octet pour octet la même pour les mêmes mesures : Plotly tire au hasard l'identifiant
    de ses définitions (`defs-3fa2c1`, repris par les découpes) et celui de chaque courbe ; ils sont remplacés par des
    identifiants fixes, pour que l'image versionnée ne change que si les mesures changent."""
    import plotly.io as pio

    pio.defaults.mathjax = None  # MathJax serait chargé depuis un CDN
    for number, trace in enumerate(fig.data):
        trace.uid = f"courbe{number}"
    svg = pio.to_image(fig, format="svg").decode("utf-8")
    uid = re.search(r'id="defs-([0-9a-f]+)"', svg)
    if uid:
        svg = svg.replace(uid.group(1), "mesures")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")


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
    monthly = monthly_results()
    text += monthly_section(monthly)
    text += shapes_section()
    text += load_section()
    (REPO_ROOT / "docs").mkdir(exist_ok=True)
    generated = START + "\n" + "\n".join(text) + "\n" + END
    existing = DOC.read_text(encoding="utf-8") if DOC.exists() else START + "\n" + END + "\n"
    before, _, rest = existing.partition(START)
    _, _, after = rest.partition(END)
    DOC.write_text(before + generated + after, encoding="utf-8")
    from pipelines.publish.images import kaleido_server

    with kaleido_server():
        plot(results)
        if monthly:
            growth_plot(monthly, MONTHLY_PLOT)
    if monthly:
        # `make bench` se termine sur les livraisons mensuelles face à leurs cibles, et la courbe de croissance.
        from benchmarks.monthly import REPRODUCE
        from benchmarks.monthly import targets_table as monthly_targets

        print(monthly_targets(monthly))
        print(f"Courbe de croissance : {MONTHLY_PLOT.relative_to(REPO_ROOT)} ; reproduire : {REPRODUCE}")
    print(f"Rapport écrit : {DOC.relative_to(REPO_ROOT)}")
    return 0


def monthly_results(folder: Path = RESULTS) -> list[dict[str, Any]]:
    """Les résultats de `benchmarks.monthly` (mensuel_<lignes>.json), par taille demandée croissante ; les plus
    anciens, qui ne la notaient pas, la tiennent de leur nom de fichier."""
    results = []
    for path in folder.glob("mensuel_*.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        result.setdefault("lignes_demandees", int(path.stem.removeprefix("mensuel_")))
        results.append(result)
    return sorted(results, key=lambda r: r["lignes_demandees"])


def monthly_section(
    monthly: list[dict[str, Any]], image: str = "images/livraisons_mensuelles.svg"
) -> list[str]:
    """Les livraisons mensuelles (`benchmarks.monthly`) face aux cibles de l'issue 19, quand elles sont mesurées :
    les mesures, la courbe de croissance (`image`, chemin relatif à docs/), une ligne par cible."""
    from benchmarks.monthly import PANDAS_SKIPPED, REPRODUCE
    from benchmarks.monthly import table as monthly_table
    from benchmarks.monthly import targets_table as monthly_targets

    if not monthly:
        return []
    measured = " ; ".join(
        f"{formats.integer(r['lignes_demandees'])} lignes le {r['machine']['date']} "
        f"(version {r['machine'].get('produit', 'non notée')}"
        + (f", `{r['commande']}`)" if "commande" in r else ")")
        for r in monthly
    )
    skipped = [
        formats.integer(r["lignes_demandees"]) for r in monthly if "pandas_historique_complet" not in r
    ]
    # Les passages répétés ne se disent que si chaque taille les a (un ancien résultat n'en a qu'un).
    repetitions = ""
    if all(r["livraison_mensuelle"].get("passages") for r in monthly):
        first_load = all(r["premier_chargement"].get("passages") for r in monthly)
        repetitions = (
            ", chacune en trois passages dont le médian est retenu (la livraison et la révision repartent chaque "
            "fois de l'entrepôt d'avant elles"
            + (", le premier chargement de l'entrepôt de référence" if first_load else "")
            + ")"
        )
    return [
        "",
        "## Livraisons mensuelles",
        "",
        f"Reproduire : `{REPRODUCE}` (les deux sont dans `make bench`). Premier chargement de 59 mois, puis la "
        "livraison du 60e mois (1/60 des lignes), sa relivraison à l'identique (elle ne change rien) et la révision "
        "d'un mois ancien (1/60 des lignes, un document de plus par ligne)"
        + repetitions
        + " ; le même mois livré "
        "à un entrepôt sans historique donne le plancher d'une livraison, ce qu'elle coûte quoi qu'il y ait avant "
        "elle. Chacune dans "
        "son processus : la commande `python -m pipelines ingest --db …` telle qu'un utilisateur la lance, "
        "démarrage de Python compris ; mémoire de pointe du processus. À côté : la copie du fichier de l'entrepôt "
        "que fait chaque import (publication), et la chaîne pandas relancée "
        "sur tout l'historique (60 mois), ce que ferait un script mensuel. Mesuré : " + measured + ".",
        "",
        monthly_table(monthly),
        "",
        *(
            [f"Chaîne pandas {PANDAS_SKIPPED} : non mesurée à {', '.join(skipped)} lignes.", ""]
            if skipped
            else []
        ),
        f"![{MONTHLY_TITLE}]({image})",
        "",
        monthly_targets(monthly),
        "",
        "« — » : la taille n'a pas été mesurée, la cible n'est ni atteinte ni réfutée ici.",
    ]


def growth_plot(monthly: list[dict[str, Any]], path: Path) -> None:
    """La courbe de croissance : en abscisse les lignes d'historique, en ordonnée les secondes de chaque commande ;
    le premier chargement, la livraison mensuelle, la révision d'un mois ancien, la relivraison identique, et les
    deux seuils de l'issue 19 (10 % du premier chargement, 0,5 s). Échelles logarithmiques."""
    x = [r["lignes_historique"] for r in monthly]
    fig = go.Figure()
    steps = (
        ("premier_chargement", "Premier chargement (59 mois)", "#1f3b73", "circle"),
        ("livraison_mensuelle", "Livraison mensuelle (1/60 des lignes)", "#c2410c", "diamond"),
        ("revision_mois_ancien", "Révision d'un mois ancien", "#15803d", "square"),
        ("relivraison_identique", "Relivraison identique", "#7e22ce", "triangle-up"),
        ("mois_sans_historique", "Même mois sans historique (plancher)", "#6b7280", "x"),
    )
    for key, name, color, symbol in steps:
        if not all(key in r for r in monthly):  # résultats d'avant cette mesure
            continue
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[r[key]["secondes"] for r in monthly],
                name=name,
                mode="lines+markers",
                line={"color": color, "width": 2.5},
                marker={"symbol": symbol, "size": 9},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[0.1 * r["premier_chargement"]["secondes"] for r in monthly],
            name="Cible : 10 % du premier chargement",
            mode="lines",
            line={"color": "#c2410c", "width": 1.5, "dash": "dash"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[min(x), max(x)],
            y=[0.5, 0.5],
            name="Cible : relivraison identique 0,5 s",
            mode="lines",
            line={"color": "#7e22ce", "width": 1.5, "dash": "dot"},
        )
    )
    fig.update_layout(
        title={"text": MONTHLY_TITLE + " (échelles logarithmiques)", "x": 0.02},
        separators=", ",
        width=900,
        height=520,
        template="plotly_white",
        legend={"orientation": "v", "x": 1.02, "y": 1},
        margin={"r": 290},
    )
    fig.update_xaxes(
        type="log",
        title="lignes d'historique (59 mois)",
        tickvals=x,
        ticktext=[_rows_label(v) for v in x],
    )
    # Graduations lisibles en français (0,5 ; 1 ; 2 ; 5 ; 10…), sans les petites graduations de Plotly.
    values = [v for trace in fig.data for v in trace.y]
    ticks = [
        t * 10**e for e in range(-2, 5) for t in (1, 2, 5) if min(values) / 2 <= t * 10**e <= max(values) * 2
    ]
    fig.update_yaxes(
        type="log",
        title="secondes (commande entière)",
        tickvals=ticks,
        ticktext=[formats.decimal(t, 2 if t < 0.1 else 1 if t < 1 else 0) for t in ticks],
    )
    write_svg(fig, path)


def _rows_label(rows: float) -> str:
    """« 0,98 M », « 9,8 M », « 19 470 »."""
    if rows < 100_000:
        return formats.integer(rows)
    return f"{formats.decimal(rows / 1e6, 2 if rows < 1e6 else 1)} M"


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
        "script pandas qui ne fait que lire le fichier et sommer par mois, couloir et établissement, en passages "
        "alternés (3 par défaut, `--repetitions`) dont le médian est retenu ; mémoire : la plus haute des passages. "
        "Cible : au moins 1 M de lignes par seconde de bout en bout, sous 2 Go.",
        "",
        shapes_table(measured),
        "",
    ]
    for r in measured:
        speed, memory = r["ingest"]["lignes_par_s"], r["ingest"]["rss_max_mo"] or 0
        met = speed >= 1e6 and memory <= 2048
        lines.append(
            f"- {r['description']}, {formats.integer(r['lignes'])} lignes : "
            f"{formats.decimal(speed / 1e6, 2)} M de lignes/s{shape_spread(r)}, {formats.integer(memory)} Mo — "
            f"{'cible atteinte' if met else '**cible non atteinte**'}."
        )
    return lines


def shape_spread(shape: dict[str, Any]) -> str:
    """« (médiane de 3 passages, de … à … M/s ; pandas de … à … s) », ou rien pour un seul passage."""
    ours, pandas = shape["ingest"].get("passages", []), shape["pandas_lire_sommer"].get("passages", [])
    if len(ours) < 2:
        return ""
    rows = shape["lignes"]
    fastest, slowest = rows / min(ours) / 1e6, rows / max(ours) / 1e6
    text = f" (médiane de {len(ours)} passages, de {formats.decimal(slowest, 2)} à {formats.decimal(fastest, 2)} M/s"
    if len(pandas) >= 2:
        text += f" ; pandas de {formats.decimal(min(pandas), 2)} à {formats.decimal(max(pandas), 2)} s"
    return text + ")"


def memory_trend(samples: list[list[float]]) -> str:
    """En français : la mémoire du serveur au début et à la fin d'un passage (médiane du premier et du dernier
    cinquième des relevés), son maximum, et, sur 10 minutes au moins, sa pente (moindres carrés sur la seconde moitié,
    en Mo par 10 minutes)."""
    if len(samples) < 5:
        return ""
    fifth = max(len(samples) // 5, 1)
    first = statistics.median(v for _, v in samples[:fifth])
    last = statistics.median(v for _, v in samples[-fifth:])
    text = (
        f"{_mo(first)} au début, {_mo(last)} à la fin, {_mo(max(v for _, v in samples))} au plus "
        f"({formats.integer(len(samples))} relevés"
    )
    if (
        samples[-1][0] - samples[0][0] < 600
    ):  # sur un passage court, la pente ne dit que le remplissage des caches
        return text + ")"
    later = samples[len(samples) // 2 :]
    slope = statistics.linear_regression([t for t, _ in later], [v for _, v in later]).slope * 600
    sign = "+" if slope >= 0 else "−"
    return text + f"), pente sur la seconde moitié {sign}{formats.decimal(abs(slope), 0)} Mo par 10 minutes"


def long_run_lines() -> list[str]:
    """Le passage long (`charge_longue.json`), quand il est mesuré : la mémoire du serveur tient-elle ?"""
    path = RESULTS / "charge_longue.json"
    if not path.exists():
        return []
    r = json.loads(path.read_text(encoding="utf-8"))
    minutes = formats.integer(r["duree_s"] / 60)
    return [
        "",
        f"Passage long (`python -m benchmarks.load --sessions {r['sessions']} --secondes "
        f"{r['duree_s']:.0f} --out benchmarks/results/charge_longue.json`, soit `make bench-longue` ; "
        f"{r['entrepot']}) : "
        f"{minutes} minutes, {formats.integer(r['pages'])} changements de page, {r['erreurs']} erreur(s), médiane "
        f"{_s(r['mediane_s'])}, 95e centile {_s(r['p95_s'])} ; mémoire résidente du serveur : "
        f"{memory_trend(r.get('memoire_au_fil_mo') or []) or 'non relevée'} ; pointe du processus (VmHWM) "
        f"{_mo(r['memoire_serveur_mo'])}.",
    ]


def load_section() -> list[str]:
    """L'application sous charge (`benchmarks.load`), quand elle est mesurée."""
    path = RESULTS / "charge.json"
    if not path.exists():
        return []
    r = json.loads(path.read_text(encoding="utf-8"))
    p95 = r["p95_s"]
    met = r["erreurs"] == 0 and p95 is not None and p95 <= 1.5
    lines = [
        "",
        "## L'application sous charge",
        "",
        f"`python -m benchmarks.load --sessions {r['sessions']} --secondes {formats.integer(r['duree_s'])}` "
        f"({r['entrepot']}) : chaque session ({r.get('client', 'navigateur')}) reste ouverte et change de page, de "
        f"mois ou de territoire, une pause de {_s(r.get('pause_s', 0))} en moyenne entre deux gestes ; charge de la "
        f"machine {formats.decimal(r.get('charge_machine_avant', 0), 1)} → "
        f"{formats.decimal(r.get('charge_machine_apres', 0), 1)}.",
        "",
        "| changements de page | erreurs | médiane | 95e centile | mémoire du serveur "
        "| cible : 95e centile ≤ 1,5 s, sans erreur |",
        "|---|---|---|---|---|---|",
        f"| {formats.integer(r['pages'])} | {r['erreurs']} | {_s(r['mediane_s'])} | {_s(p95)} | "
        f"{_mo(r['memoire_serveur_mo'])} | {'oui' if met else '**non**'} |",
    ]
    browser = r.get("navigateur_pendant_la_charge")
    if browser:
        lines += [
            "",
            f"Dans la session Chromium qui fait les mêmes gestes pendant la charge (dessin compris) : "
            f"{formats.integer(browser['pages'])} changements, médiane {_s(browser['mediane_s'])}, 95e centile "
            f"{_s(browser['p95_s'])}, {browser['erreurs']} erreur(s)"
            + (f" ({' ; '.join(browser['exemples_erreurs'][:3])})" if browser["erreurs"] else "")
            + ".",
        ]
    pages = r.get("par_page") or {}
    if pages:
        slowest = sorted(pages.items(), key=lambda item: item[1]["p95_s"], reverse=True)
        lines += [
            "",
            "Par page arrivée (changements de page, de mois ou de territoire), de la plus lente à la plus rapide :",
            "",
            "| page | changements | médiane | 95e centile | plus lent |",
            "|---|---|---|---|---|",
            *(
                f"| {page} | {formats.integer(v['nombre'])} | {_s(v['mediane_s'])} | {_s(v['p95_s'])} | "
                f"{_s(v['max_s'])} |"
                for page, v in slowest
            ),
        ]
    trend = memory_trend(r.get("memoire_au_fil_mo") or [])
    if trend:
        lines += ["", f"Mémoire résidente du serveur au fil du passage : {trend}."]
    lines += long_run_lines()
    tab = r.get("nouvel_onglet", {}).get("serveur_chaud")
    if tab:
        lines += [
            "",
            f"Onglet neuf, serveur chaud : {_s(tab['total_s'])} jusqu'au premier graphique, dont paquet statique de "
            f"Streamlit {_s(tab['paquet_statique_s'])}, connexion {_s(tab['connexion_s'])}, premier passage du "
            f"script {_s(tab['passage_du_script_s'])} et dessin par le navigateur {_s(tab['dessin_s'])}.",
        ]
    return lines


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
