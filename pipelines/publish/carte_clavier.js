// Les cartes au clavier (RGAA 7.1 et 10.7) : Plotly ne donne le focus à aucun de ses tracés. Sur chaque carte par
// aplats (figure dont `layout.meta.carte` est vrai), ce script rend chaque territoire atteignable — la touche Tab
// entre dans la carte, les flèches passent d'un territoire à l'autre, Début et Fin vont au premier et au dernier —
// et montre au focus la même étiquette qu'au survol (« Ille-et-Vilaine (35) : 38,1 % »), aussi annoncée par les
// lecteurs d'écran. Un seul arrêt de tabulation par carte : les autres territoires sont à -1 (focus itinérant).
(() => {
  const doc = document;
  const MARK = "mesCarte";

  function isMap(gd) {
    const meta = gd.layout && gd.layout.meta;
    return Boolean(meta && meta.carte === true);
  }

  function territories(gd) {
    const found = [];
    gd.querySelectorAll(".scatterlayer .trace").forEach((group, index) => {
      const fill = group.querySelector("path.js-fill");
      const trace = gd.data && gd.data[index];
      if (fill && trace && typeof trace.text === "string") found.push([fill, trace.text]);
    });
    return found;
  }

  function label(gd) {
    let box = gd.querySelector(".mes-carte-etiquette");
    if (!box) {
      box = doc.createElement("div");
      box.className = "mes-carte-etiquette";
      box.setAttribute("aria-hidden", "true"); // le territoire porte déjà son nom accessible
      if (getComputedStyle(gd).position === "static") gd.style.position = "relative";
      gd.appendChild(box);
    }
    return box;
  }

  function show(gd, path, text) {
    const box = label(gd);
    box.textContent = text;
    const area = gd.getBoundingClientRect();
    const shape = path.getBoundingClientRect();
    box.style.display = "block";
    const left = shape.left - area.left + shape.width / 2 - box.offsetWidth / 2;
    box.style.left = `${Math.max(0, Math.min(left, area.width - box.offsetWidth))}px`;
    box.style.top = `${Math.max(0, shape.top - area.top - box.offsetHeight - 4)}px`;
  }

  function hide(gd) {
    const box = gd.querySelector(".mes-carte-etiquette");
    if (box) box.style.display = "none";
  }

  function move(event, gd) {
    const items = territories(gd).map(([path]) => path);
    const current = items.indexOf(event.currentTarget);
    const steps = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (event.key in steps) next = (current + steps[event.key] + items.length) % items.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = items.length - 1;
    if (next === null || current < 0) return;
    event.preventDefault();
    items[current].setAttribute("tabindex", "-1");
    items[next].setAttribute("tabindex", "0");
    items[next].focus();
  }

  function prepare(gd) {
    if (!isMap(gd)) return;
    const items = territories(gd);
    const active = items.some(([path]) => path.getAttribute("tabindex") === "0");
    items.forEach(([path, text], index) => {
      if (path.dataset[MARK] === text) return;
      path.dataset[MARK] = text;
      if (!path.hasAttribute("tabindex")) path.setAttribute("tabindex", !active && index === 0 ? "0" : "-1");
      path.setAttribute("role", "img");
      path.setAttribute("aria-label", text);
      if (path.dataset.mesEcoute) return;
      path.dataset.mesEcoute = "1";
      path.addEventListener("focus", () => show(gd, path, path.dataset[MARK]));
      path.addEventListener("blur", () => hide(gd));
      path.addEventListener("keydown", (event) => move(event, gd));
    });
  }

  function scan() {
    doc.querySelectorAll(".js-plotly-plot").forEach(prepare);
  }

  if (window.__mesCartes) {
    scan();
    return;
  }
  window.__mesCartes = true;
  const style = doc.createElement("style");
  style.textContent =
    ".mes-carte-etiquette{position:absolute;display:none;z-index:10;pointer-events:none;background:#fff;" +
    "color:#1a1a1a;border:1px solid #1a1a1a;padding:2px 6px;font:13px/1.3 'Liberation Sans',Arial,sans-serif;" +
    "white-space:nowrap}" +
    ".js-plotly-plot path.js-fill[data-mes-carte]:focus{outline:none;stroke:#000!important;" +
    "stroke-width:3px!important;stroke-opacity:1!important}";
  doc.head.appendChild(style);
  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      scan();
    });
  }).observe(doc.body, { subtree: true, childList: true });
  scan();
})();
