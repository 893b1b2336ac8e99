"""L'application sous charge : `python -m benchmarks.load --sessions 20 --secondes 120 [--db ENTREPOT | --rows N]`.

Un vrai serveur (`python -m pipelines serve`, 127.0.0.1), trois mesures :

1. Le nouvel onglet, serveur au repos : Chromium sans écran ouvre l'application, une fois juste après le démarrage du
   serveur (le premier passage du processus) puis `--onglets` fois ; le temps jusqu'au premier graphique dessiné est
   découpé en paquet statique (page et JavaScript de Streamlit chargés), connexion (jusqu'au premier message du
   serveur), premier passage du script (jusqu'à son dernier message) et dessin (jusqu'au graphique à l'écran).
2. La charge : `--sessions` sessions restent ouvertes pendant `--secondes` et vont de page en page dans
   l'application (le menu de `st.navigation`), changent de mois et de géographie (listes de la barre latérale), avec
   une pause de lecture tirée entre 0,5 et 1,5 fois `--pause` entre deux gestes. Chaque session est un client
   websocket qui parle le protocole de Streamlit comme le navigateur (BackMsg `rerun_script` avec l'état des
   listes, la page demandée par son empreinte ; ForwardMsg jusqu'à `script_finished`). Sur deux cœurs, vingt
   contextes Chromium prennent à eux seuls le processeur (dessiner une page Plotly coûte ~1,5 s de processeur au
   navigateur) : ils mesureraient le navigateur, pas le serveur. Le temps d'un changement va de la demande au
   dernier message du passage ; une erreur est une exception affichée, une page sans titre, une page inconnue, un
   passage qui ne finit pas ou qui dépasse `--delai` secondes.
3. Pendant la charge, une session de Chromium fait les mêmes gestes (clic dans le menu, choix dans la barre latérale)
   et mesure de bout en bout, dessin compris : du geste au titre de la page affiché et au calcul terminé.

Mesurés en plus : mémoire de pointe du serveur (VmHWM, ou le plus haut relevé de VmRSS s'il la dépasse), son temps
de processeur pendant la charge, la charge de la machine (`os.getloadavg`) avant et après. Résultats :
benchmarks/results/charge.json et un résumé en français.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import formats
from pipelines.serve import local_server
from pipelines.settings import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
GEOGRAPHY_LEVELS = ("France", "Région", "Département")
ACTIONS = ("page", "page", "mois", "geographie")  # une page sur deux gestes, comme une personne qui parcourt


def percentile(values: list[float], share: float) -> float | None:
    """Le centile `share` (0–1) par rang le plus proche (la plus petite valeur dont au moins `share` des valeurs sont
    inférieures ou égales) ; `None` sans valeur."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)] if ordered else None


@dataclass
class Run:
    """Ce que les sessions ont vu : le temps de chaque changement (et sa sorte), chaque erreur avec ce qui la
    précédait."""

    seconds: list[float] = field(default_factory=list)
    kinds: dict[str, list[float]] = field(default_factory=dict)
    pages: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    ignored_clicks: int = (
        0  # clics de Chromium sur une option que la liste a ignorés (voir `browser_session`)
    )

    def add(self, kind: str, seconds: float, page: str | None = None) -> None:
        self.seconds.append(seconds)
        self.kinds.setdefault(kind, []).append(seconds)
        if page is not None:  # la page arrivée, titre sans le territoire (« Vue d'ensemble — Bretagne »)
            self.pages.setdefault(page.split(" — ")[0], []).append(seconds)

    def summary(self) -> dict[str, Any]:
        return {
            "pages": len(self.seconds),
            "erreurs": len(self.errors),
            "exemples_erreurs": self.errors[:10],
            "clics_ignores": self.ignored_clicks,
            "mediane_s": statistics.median(self.seconds) if self.seconds else None,
            "p95_s": percentile(self.seconds, 0.95),
            "max_s": max(self.seconds) if self.seconds else None,
            "par_geste": {
                kind: {
                    "nombre": len(values),
                    "mediane_s": statistics.median(values),
                    "p95_s": percentile(values, 0.95),
                }
                for kind, values in sorted(self.kinds.items())
            },
            "par_page": {
                page: {
                    "nombre": len(values),
                    "mediane_s": statistics.median(values),
                    "p95_s": percentile(values, 0.95),
                    "max_s": max(values),
                }
                for page, values in sorted(self.pages.items())
            },
        }


def _status_mb(pid: int, field_name: str) -> float | None:
    """Un champ en Ko de /proc/<pid>/status (VmHWM, VmRSS…), en Mo ; None si le processus n'existe plus."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_memory_mb(pid: int) -> float | None:
    """La mémoire résidente de pointe d'un processus (VmHWM), en Mo."""
    return _status_mb(pid, "VmHWM")


def resident_memory_mb(pid: int) -> float | None:
    """La mémoire résidente d'un processus à cet instant (VmRSS), en Mo."""
    return _status_mb(pid, "VmRSS")


async def memory_over_time(pid: int, until: float, every_s: float, samples: list[list[float]]) -> None:
    """Relève la mémoire résidente du serveur toutes les `every_s` secondes jusqu'à `until` : [secondes, Mo]."""
    start = time.monotonic()
    while True:
        value = resident_memory_mb(pid)
        if value is not None:
            samples.append([round(time.monotonic() - start, 1), round(value, 1)])
        if time.monotonic() >= until:
            return
        await asyncio.sleep(min(every_s, max(until - time.monotonic(), 0.0)))


def cpu_seconds(pid: int) -> float | None:
    """Le temps de processeur (utilisateur + système) consommé par un processus, en secondes."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- Le protocole de Streamlit, côté client -------------------------------------------------------------------


@dataclass
class Widget:
    """Une liste (selectbox) ou un choix (radio) tel que le serveur l'a envoyé : identifiant, options affichées, valeur
    courante ; `sidebar` vrai dans la barre latérale."""

    id: str
    label: str
    options: list[str]
    value: str | None
    sidebar: bool


@dataclass
class Pass:
    """Ce qu'un passage du script a envoyé : titres, listes, exceptions, statut de fin."""

    titles: list[str] = field(default_factory=list)
    widgets: dict[str, Widget] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    finished: str | None = None
    not_found: bool = False


class ProtocolSession:
    """Une session Streamlit tenue par un client websocket : ce que le navigateur envoie (`rerun_script` avec la page,
    la requête de l'adresse et l'état des listes), ce qu'il lit (messages jusqu'à `script_finished`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pages: dict[str, str] = {}  # chemin d'adresse → empreinte de page
        self.page_hash = ""
        self.query = ""
        self.widgets: dict[str, Widget] = {}
        self.socket: Any = None

    async def open(self, query: str = "") -> Pass:
        from websockets.asyncio.client import connect

        address = self.url.replace("http://", "ws://") + "/_stcore/stream"
        self.socket = await connect(address, subprotocols=["streamlit"], max_size=None, ping_interval=None)  # type: ignore[list-item]
        self.query = query
        return await self.rerun()

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def rerun(self, page_hash: str | None = None, changes: dict[str, str] | None = None) -> Pass:
        """Demande un passage (la page `page_hash`, les listes changées par `changes`, identifiant → valeur) et lit
        ses messages jusqu'au dernier."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if page_hash is not None:
            self.page_hash = page_hash
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        state.context_info.timezone = "Europe/Paris"
        state.context_info.locale = "fr-FR"
        state.context_info.url = self.url + "/"
        # Le navigateur renvoie la valeur de chaque liste affichée au passage précédent, celle qui change comprise.
        values = {w.id: w.value for w in self.widgets.values() if w.value is not None} | (changes or {})
        for widget_id, value in values.items():
            entry = state.widget_states.widgets.add()
            entry.id = widget_id
            entry.string_value = value
        await self.socket.send(message.SerializeToString())
        seen = Pass()
        while seen.finished is None:
            forward = ForwardMsg()
            forward.ParseFromString(await self.socket.recv())
            self._read(forward, seen)
        self.widgets = seen.widgets
        return seen

    def _read(self, forward: Any, seen: Pass) -> None:
        kind = forward.WhichOneof("type")
        if kind == "script_finished":
            seen.finished = type(forward).ScriptFinishedStatus.Name(forward.script_finished)
        elif kind == "navigation":
            self.pages = {page.url_pathname: page.page_script_hash for page in forward.navigation.app_pages}
            self.page_hash = self.page_hash or forward.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = forward.page_info_changed.query_string
        elif kind == "page_not_found":
            seen.not_found = True
        elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
            element = forward.delta.new_element
            which = element.WhichOneof("type")
            if which == "heading" and element.heading.tag == "h1":
                seen.titles.append(element.heading.body)
            elif which == "exception":
                seen.exceptions.append(f"{element.exception.type} : {element.exception.message[:160]}")
            elif which in ("selectbox", "radio"):
                proto = getattr(element, which)
                options = list(proto.options)
                value = (
                    proto.raw_value
                    if proto.set_value and proto.raw_value
                    else (options[proto.default] if 0 <= proto.default < len(options) else None)
                )
                sidebar = bool(forward.metadata.delta_path) and forward.metadata.delta_path[0] == 1
                seen.widgets[proto.id] = Widget(proto.id, proto.label, options, value, sidebar)

    def sidebar(self, label: str) -> Widget | None:
        return next((w for w in self.widgets.values() if w.sidebar and w.label == label), None)


def problem(seen: Pass) -> str | None:
    """Pourquoi un passage est une erreur pour la personne qui regarde, ou `None`."""
    if seen.exceptions:
        return f"exception affichée ({seen.exceptions[0]})"
    if seen.not_found:
        return "page inconnue"
    if seen.finished != "FINISHED_SUCCESSFULLY":
        return f"passage terminé par {seen.finished}"
    if not seen.titles:
        return "page sans titre"
    return None


def next_gesture(session: ProtocolSession, chooser: random.Random) -> tuple[str, str | None, dict[str, str]]:
    """Le geste suivant d'une personne qui parcourt : (sorte, page demandée ou `None`, listes changées)."""
    kind = chooser.choice(ACTIONS)
    if kind == "mois":
        month = session.sidebar("Mois")
        if month and len(month.options) > 1:
            others = [o for o in month.options[:24] if o != month.value]
            return kind, None, {month.id: chooser.choice(others)}
    if kind == "geographie":
        level = session.sidebar("Géographie")
        if level:
            region, departement = session.sidebar("Région"), session.sidebar("Département")
            lists = [w for w in (region, departement) if w and len(w.options) > 1]
            if level.value != "France" and lists and chooser.random() < 0.6:
                chosen = chooser.choice(lists)
                return (
                    kind,
                    None,
                    {chosen.id: chooser.choice([o for o in chosen.options if o != chosen.value])},
                )
            others = [o for o in level.options if o != level.value]
            return kind, None, {level.id: chooser.choice(others)}
    current = next((path for path, h in session.pages.items() if h == session.page_hash), None)
    pages = [h for path, h in session.pages.items() if path != current]
    return "page", chooser.choice(pages) if pages else session.page_hash, {}


async def protocol_session(
    url: str, until: float, seed: int, run: Run, pause_s: float, timeout_s: float, query: str
) -> None:
    """Une personne : ouvre l'application (adresse `query`), puis geste après geste jusqu'à `until`."""
    chooser = random.Random(seed)
    session = ProtocolSession(url)
    try:
        opened = await asyncio.wait_for(session.open(query), timeout_s * 3)
        if trouble := problem(opened):
            run.errors.append(f"ouverture ?{query} : {trouble}")
        while time.monotonic() < until:
            await asyncio.sleep(pause_s * chooser.uniform(0.5, 1.5))
            if time.monotonic() >= until:
                break
            kind, page, changes = next_gesture(session, chooser)
            started = time.perf_counter()
            try:
                seen = await asyncio.wait_for(session.rerun(page, changes), timeout_s)
            except TimeoutError:
                run.errors.append(f"{kind} : aucune réponse complète en {timeout_s:.0f} s")
                await session.close()
                session = ProtocolSession(url)  # comme un onglet qu'on recharge
                await asyncio.wait_for(session.open(query), timeout_s * 3)
                continue
            elapsed = time.perf_counter() - started
            trouble = problem(seen)
            if trouble:
                run.errors.append(f"{kind} ({', '.join(seen.titles[:1]) or 'sans titre'}) : {trouble}")
            else:
                run.add(kind, elapsed, seen.titles[0])
    except Exception as exc:  # une session qui tombe est une erreur de la charge, pas du banc
        run.errors.append(f"session {seed} : {type(exc).__name__} {str(exc)[:160]}")
    finally:
        await session.close()


# --- Chromium ----------------------------------------------------------------------------------------------------


@contextmanager
def chromium_home() -> Iterator[None]:
    """Chromium écrit son profil dans un dossier temporaire, jamais dans le dossier personnel."""
    with tempfile.TemporaryDirectory(prefix="mes-chromium-") as home:
        before = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
        os.environ["XDG_CONFIG_HOME"], os.environ["XDG_CACHE_HOME"] = f"{home}/config", f"{home}/cache"
        try:
            yield
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


CHART = '[data-testid="stPlotlyChart"] .main-svg'
RUNNING = '[data-testid="stStatusWidget"]'


async def fresh_tab(browser: Any, url: str, timeout_s: float) -> dict[str, float]:
    """Un onglet neuf (contexte sans cache) jusqu'au premier graphique dessiné, découpé : paquet statique, connexion,
    premier passage du script, dessin. Les messages du serveur sont lus sur le websocket de la page."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = await context.new_page()
    marks: dict[str, float] = {}

    def received(payload: bytes | str) -> None:
        now = time.perf_counter()
        marks.setdefault("premier_message", now)
        forward = ForwardMsg()
        forward.ParseFromString(payload if isinstance(payload, bytes) else payload.encode("latin-1"))
        if forward.WhichOneof("type") == "script_finished":
            marks.setdefault("fin_du_passage", now)

    page.on("websocket", lambda socket: socket.on("framereceived", received))
    try:
        started = time.perf_counter()
        await page.goto(url, wait_until="load", timeout=timeout_s * 1000)
        marks["paquet"] = time.perf_counter()
        await page.locator(CHART).first.wait_for(timeout=timeout_s * 1000)
        marks["graphique"] = time.perf_counter()
        await page.locator(RUNNING).wait_for(state="detached", timeout=timeout_s * 1000)
        first, end = (
            marks.get("premier_message", marks["paquet"]),
            marks.get("fin_du_passage", marks["graphique"]),
        )
        return {
            "total_s": marks["graphique"] - started,
            "paquet_statique_s": marks["paquet"] - started,
            "connexion_s": max(first - marks["paquet"], 0.0),
            "passage_du_script_s": end - max(first, marks["paquet"]),
            "dessin_s": max(marks["graphique"] - end, 0.0),
        }
    finally:
        await context.close()


async def list_closed(combobox: Any, within_s: float = 1.0) -> bool:
    """Vrai quand la liste déroulante de `combobox` se referme dans les `within_s` secondes (un choix retenu)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await combobox.get_attribute("aria-expanded") != "true":
            return True
        await asyncio.sleep(0.04)
    return False


async def browser_session(
    browser: Any, url: str, until: float, seed: int, timeout_s: float, pause_s: float
) -> Run:
    """Une personne dans Chromium pendant la charge : clic dans le menu, choix du mois et de la géographie dans la
    barre latérale ; chaque geste est mesuré jusqu'à la fin du passage qu'il déclenche (message `script_finished` lu
    sur le websocket de la page), le titre affiché et chaque graphique dessiné."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    chooser = random.Random(seed)
    run = Run()
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = await context.new_page()
    timeout_ms = timeout_s * 1000
    finished = [0]

    def received(payload: bytes | str) -> None:
        forward = ForwardMsg()
        forward.ParseFromString(payload if isinstance(payload, bytes) else payload.encode("latin-1"))
        if forward.WhichOneof("type") == "script_finished":
            finished[0] += 1

    page.on("websocket", lambda socket: socket.on("framereceived", received))

    async def settled(before: int) -> None:
        deadline = time.monotonic() + timeout_s
        while finished[0] <= before:
            if time.monotonic() > deadline:
                raise TimeoutError("passage jamais terminé")
            await asyncio.sleep(0.02)
        await page.locator("h1").first.wait_for(timeout=timeout_ms)
        await page.locator(RUNNING).wait_for(state="detached", timeout=timeout_ms)
        await page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
            ".every(chart => chart.querySelector('.main-svg'))",
            timeout=timeout_ms,
        )
        if await page.locator('[data-testid="stException"]').count():
            raise RuntimeError("exception affichée")

    try:
        await page.goto(url, timeout=timeout_ms)
        await settled(0)
        sidebar = page.locator('[data-testid="stSidebar"]')
        while time.monotonic() < until:
            await asyncio.sleep(pause_s * chooser.uniform(0.5, 1.5))
            kind = chooser.choice(ACTIONS)
            before = finished[0]
            where, chosen = "", ""
            try:
                # La page en place, lue hors du temps mesuré (elle n'entre que dans le message d'une erreur).
                where = await page.locator("h1").first.inner_text(timeout=5000)
                started = time.perf_counter()
                # Toujours un autre choix que celui en place : le même ne relancerait rien.
                if kind == "page":
                    links = page.locator('[data-testid="stSidebarNav"] a:not([aria-current="page"])')
                    await links.nth(chooser.randrange(await links.count())).click(timeout=timeout_ms)
                elif kind == "mois":
                    month_box = sidebar.get_by_label("Mois", exact=False).last
                    await month_box.click(timeout=timeout_ms)
                    options = page.locator('[role="option"]:not([aria-selected="true"])')
                    option = options.nth(chooser.randrange(min(await options.count(), 12)))
                    chosen = await option.inner_text()
                    # La liste de Streamlit (react-aria) ignore les clics sur ses options 300 ms après un
                    # défilement : un clic qui fait défiler jusqu'à une option cachée tombait dans ce délai et ne
                    # choisissait rien (la liste restait ouverte, aucun message ne partait). On fait défiler, on
                    # attend comme une personne qui lit la liste, et le temps mesuré part du clic retenu ; un clic
                    # que la liste a ignoré (elle est restée ouverte) est compté à part et refait, comme le
                    # referait cette personne.
                    await option.scroll_into_view_if_needed(timeout=timeout_ms)
                    for _ in range(3):
                        await page.wait_for_timeout(450)
                        started = time.perf_counter()
                        await option.click(timeout=timeout_ms)
                        if await list_closed(month_box):
                            break
                        run.ignored_clicks += 1
                else:
                    radios = sidebar.locator('[role="radiogroup"] label:not(:has(input:checked))')
                    await radios.nth(chooser.randrange(await radios.count())).click(timeout=timeout_ms)
                await settled(before)
                run.add(kind, time.perf_counter() - started)
            except Exception as exc:  # une page qui ne se dessine pas est une erreur de la charge
                run.errors.append(
                    f"navigateur, {kind} ({where}{', ' + chosen if chosen else ''}) : {type(exc).__name__} "
                    f"{str(exc)[:120]}"
                )
                before = finished[0]
                await page.goto(url, timeout=timeout_ms)
                await settled(before)
    except Exception as exc:
        run.errors.append(f"navigateur : {type(exc).__name__} {str(exc)[:160]}")
    finally:
        await context.close()
    return run


# --- La mesure d'ensemble ----------------------------------------------------------------------------------------


def _split(tabs: list[dict[str, float]]) -> dict[str, Any]:
    """La médiane de chaque part sur les onglets mesurés, et leur nombre."""
    if not tabs:
        return {"onglets": 0}
    return {"onglets": len(tabs), **{k: statistics.median(t[k] for t in tabs) for k in tabs[0]}}


async def _measure(
    url: str,
    sessions: int,
    seconds: float,
    tabs: int,
    pause_s: float,
    timeout_s: float,
    pid: int,
    every_s: float = 10.0,
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    queries = ["", "mois=2025-09", "region=53", "departement=35", "region=11&mois=2025-06"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            first = await fresh_tab(browser, url, timeout_s * 4)
            warm = [await fresh_tab(browser, url, timeout_s * 4) for _ in range(tabs)]
            load_before, cpu_before = os.getloadavg()[0], cpu_seconds(pid)
            until = time.monotonic() + seconds
            run = Run()
            clients = [
                protocol_session(url, until, seed, run, pause_s, timeout_s, queries[seed % len(queries)])
                for seed in range(sessions)
            ]
            memory: list[list[float]] = []
            _, seen, _ = await asyncio.gather(
                asyncio.gather(*clients),
                browser_session(browser, url, until, 1000, timeout_s, pause_s),
                memory_over_time(pid, until, every_s, memory),
            )
            cpu_after = cpu_seconds(pid)
        finally:
            await browser.close()
    server_cpu = cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    return {
        **run.summary(),
        "navigateur_pendant_la_charge": seen.summary(),
        "nouvel_onglet": {"premier_du_serveur": first, "serveur_chaud": _split(warm)},
        "processeur_serveur_s": server_cpu,
        "coeurs_serveur": server_cpu / seconds if server_cpu is not None else None,
        "charge_machine_avant": load_before,
        "charge_machine_apres": os.getloadavg()[0],
        "memoire_au_fil_mo": memory,
    }


def load_run(
    db: Path,
    sessions: int,
    seconds: float,
    today: str | None = None,
    tabs: int = 5,
    pause_s: float = 3.0,
    timeout_s: float = 30.0,
    every_s: float = 10.0,
) -> dict[str, Any]:
    """Nouvel onglet, puis `sessions` sessions pendant `seconds` secondes contre un serveur neuf sur `db`, sa
    mémoire relevée toutes les `every_s` secondes ; le serveur est arrêté en sortie."""
    env = {"MES_DB": str(db), **({"MES_AUJOURDHUI": today} if today else {})}
    with chromium_home(), local_server(env) as (process, url):
        measured = asyncio.run(
            _measure(url, sessions, seconds, tabs, pause_s, timeout_s, process.pid, every_s)
        )
        peak = peak_memory_mb(process.pid)
    # La pointe est au moins chaque relevé : le noyau ne remonte pas VmHWM pour la mémoire que l'allocateur rend par
    # madvise, si bien qu'un relevé de VmRSS peut la dépasser (vu une fois en `make test`).
    observed = [mo for _, mo in measured.get("memoire_au_fil_mo", [])]
    memory = max([*observed, *([peak] if peak is not None else [])], default=None)
    return {
        "sessions": sessions,
        "duree_s": seconds,
        "pause_s": pause_s,
        "client": "websocket (protocole de Streamlit) ; une session Chromium en plus pendant la charge",
        "processeurs": os.cpu_count(),
        **measured,
        "memoire_serveur_mo": memory,
    }


def _warehouse(rows: int, folder: Path) -> Path:
    """Un entrepôt de `rows` lignes de flux par établissement (benchmarks.generate), référence comprise."""
    from benchmarks.generate import write
    from benchmarks.run import reference_warehouse

    _, parquet, _ = write(rows, folder)
    db = folder / "charge.duckdb"
    reference_warehouse(db)
    subprocess.run(
        [sys.executable, "-m", "pipelines", "ingest", str(parquet), "--db", str(db)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    return db


def summary_line(result: dict[str, Any]) -> str:
    """Le résumé en français d'une mesure (`load_run`)."""
    tab, browser = result["nouvel_onglet"]["serveur_chaud"], result["navigateur_pendant_la_charge"]

    def s(value: float | None) -> str:
        return f"{formats.decimal(value, 2)} s" if value is not None else "—"

    parts = (
        f"paquet {s(tab.get('paquet_statique_s'))}, connexion {s(tab.get('connexion_s'))}, passage "
        f"{s(tab.get('passage_du_script_s'))}, dessin {s(tab.get('dessin_s'))}"
    )
    return (
        f"{result['sessions']} sessions, {formats.integer(result['duree_s'])} s (pause {s(result['pause_s'])}) : "
        f"{result['pages']} changements de page, {result['erreurs']} erreur(s) ; médiane {s(result['mediane_s'])}, "
        f"95e centile {s(result['p95_s'])} ; dans Chromium pendant la charge : {browser['pages']} changements, "
        f"médiane {s(browser['mediane_s'])}, 95e centile {s(browser['p95_s'])}, {browser['erreurs']} erreur(s) ; "
        f"nouvel onglet {s(tab.get('total_s'))} ({parts}), premier onglet du serveur "
        f"{s(result['nouvel_onglet']['premier_du_serveur']['total_s'])} ; mémoire du serveur "
        f"{formats.integer(result['memoire_serveur_mo'])} Mo"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--secondes", type=float, default=120)
    parser.add_argument("--pause", type=float, default=3.0, help="pause moyenne entre deux gestes (secondes)")
    parser.add_argument("--onglets", type=int, default=5, help="nouveaux onglets mesurés, serveur chaud")
    parser.add_argument("--delai", type=float, default=30.0, help="au-delà, un changement est une erreur (s)")
    parser.add_argument(
        "--db", type=Path, help="entrepôt à servir (sinon un entrepôt de --rows lignes est construit)"
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--releve", type=float, default=10.0, help="mémoire du serveur relevée toutes les N secondes"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "benchmarks" / "results" / "charge.json",
        help="fichier de résultats",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mes-charge-") as tmp:
        db = args.db or _warehouse(args.rows, Path(tmp))
        result = load_run(
            db,
            args.sessions,
            args.secondes,
            os.environ.get("MES_AUJOURDHUI"),
            args.onglets,
            args.pause,
            args.delai,
            args.releve,
        )
    result["entrepot"] = str(args.db) if args.db else f"{args.rows} lignes générées"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(summary_line(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
