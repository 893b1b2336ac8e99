// L'interface en français : Streamlit n'a pas de réglage de langue. Ce script déclare `lang="fr"` sur le document
// et traduit, à mesure que l'application les dessine, les textes et les étiquettes d'accessibilité que Streamlit
// écrit en anglais (barre latérale, dépôt de fichier, barre d'outils des tableaux, « page inconnue »…).
// Il ne touche qu'aux chaînes de la table ci-dessous : un texte de l'application n'est jamais réécrit.
(() => {
  const doc = document;
  const EXACT = {
    "Skip to main content": "Aller au contenu principal",
    "Collapse sidebar": "Replier la barre latérale",
    "Expand sidebar": "Déplier la barre latérale",
    "Sidebar": "Barre latérale",
    "App pages": "Pages de l'application",
    "Main menu": "Menu principal",
    "Choose an option": "Choisir une option",
    "Choose options": "Choisir des options",
    "No results": "Aucun résultat",
    "Open": "Ouvrir",
    "Close": "Fermer",
    "Clear all": "Tout effacer",
    "Clear value": "Effacer",
    "Link to heading": "Lien vers ce titre",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Exit fullscreen": "Quitter le plein écran",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Search...": "Rechercher…",
    "Sort ascending": "Trier par ordre croissant",
    "Sort descending": "Trier par ordre décroissant",
    "Pin column": "Épingler la colonne",
    "Unpin column": "Détacher la colonne",
    "Hide column": "Masquer la colonne",
    "Autosize": "Largeur automatique",
    "Format": "Format",
    "Table": "Tableau",
    "Copy to clipboard": "Copier",
    "Copy": "Copier",
    "Copied": "Copié",
    "file upload": "Dépôt de fichier",
    "Upload": "Choisir un fichier",
    "Browse files": "Choisir un fichier",
    "Drag and drop file here": "Glissez-déposez un fichier ici",
    "Drag and drop a file here": "Glissez-déposez un fichier ici",
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "Remove file": "Retirer le fichier",
    "Delete": "Supprimer",
    "Error": "Erreur",
    "Error:": "Erreur :",
    "Error uploading file": "Échec de l'envoi du fichier",
    "Error deleting file": "Échec de la suppression du fichier",
    "File size is too small.": "Fichier vide.",
    "Page not found": "Page inconnue",
    "Running...": "Calcul en cours…",
    "Stop": "Arrêter",
    "Rerun": "Relancer",
    "Connecting": "Connexion…",
    "Please wait...": "Veuillez patienter…",
    "Warning": "Avertissement",
    "Dismiss": "Fermer",
    "Retry": "Réessayer",
    "Print": "Imprimer",
    "Settings": "Réglages",
    "Clear cache": "Vider le cache",
    "View less": "Voir moins",
    "Show more": "Voir plus",
    "Scroll tabs left": "Onglets précédents",
    "Scroll tabs right": "Onglets suivants",
    "Produced with Plotly.js": "Graphique Plotly.js",
    "Ask Google": "Chercher sur Google",
    "Ask ChatGPT": "Demander à ChatGPT",
  };
  const UNITS = { B: "o", KB: "Ko", MB: "Mo", GB: "Go" };
  const number = (text) => text.replace(/\.0$/, "").replace(".", ",");
  const PATTERNS = [
    [/^Help for (.+)$/, (m, label) => `Aide : ${label}`],
    [/^(\d+(?:\.\d+)?)\s?(B|KB|MB|GB)$/, (m, n, u) => `${number(n)}\u00a0${UNITS[u]}`],
    [/^(\d+(?:\.\d+)?)\s?(B|KB|MB|GB) per file$/, (m, n, u) => `${number(n)}\u00a0${UNITS[u]} par fichier`],
    [/^Limit (\d+(?:\.\d+)?)\s?(B|KB|MB|GB) per file(.*)$/, (m, n, u, rest) => `Limite : ${number(n)}\u00a0${UNITS[u]} par fichier${rest}`],
    [/^File must be (\d+(?:\.\d+)?)\s?(B|KB|MB|GB) or smaller\.$/, (m, n, u) => `Fichier trop volumineux : ${number(n)}\u00a0${UNITS[u]} au plus. Rien n'a été envoyé.`],
    [/^(?:Error: )?(.*) files are not allowed\.$/, (m, type) => `Type de fichier refusé (${type || "inconnu"}) : déposez un fichier CSV, Excel (.xlsx) ou Parquet. Rien n'a été envoyé.`],
    [/^This type of files are not allowed\.$/, () => "Type de fichier refusé : déposez un fichier CSV, Excel (.xlsx) ou Parquet. Rien n'a été envoyé."],
    [/^The page that you have requested does not seem to exist\. Running the app's main page\.$/,
      () => `La page « ${requestedPath()} » n'existe pas. Voici la page d'accueil.`],
    [/^You have requested page \/(.*), but no corresponding file was found in the app's pages\/ directory\. Running the app's main page\.$/,
      (m, page) => `La page « /${page} » n'existe pas. Voici la page d'accueil.`],
  ];
  // Streamlit a déjà remplacé l'adresse par celle de l'accueil : l'adresse demandée est celle du chargement.
  const requestedPath = () => {
    const [entry] = performance.getEntriesByType("navigation");
    return decodeURIComponent(new URL(entry ? entry.name : window.location.href).pathname);
  };
  const ATTRIBUTES = ["aria-label", "title", "placeholder", "data-title", "alt"];

  function translate(text) {
    if (!text) return null;
    const trimmed = text.trim();
    if (Object.hasOwn(EXACT, trimmed)) return text.replace(trimmed, EXACT[trimmed]);
    for (const [pattern, replace] of PATTERNS) {
      const match = trimmed.match(pattern);
      if (match) return text.replace(trimmed, replace(...match));
    }
    return null;
  }

  // Le tableau caché que les grilles (st.dataframe) dessinent pour les lecteurs d'écran porte les valeurs brutes
  // (« 9200000 », « true ») : ses cellules s'y lisent à la française, comme à l'écran.
  const GRID = 'canvas[data-testid="data-grid-canvas"] td';
  const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
  function gridCell(text) {
    const trimmed = text.trim();
    if (trimmed === "true") return "oui";
    if (trimmed === "false") return "non";
    if (["None", "null", "nan", "NaN", "NaT"].includes(trimmed)) return "—";
    const match = trimmed.match(/^(-?)(\d+)(?:\.(\d+))?$/);
    if (!match) return null;
    const [, sign, whole, decimals] = match;
    return `${sign ? "\u2212" : ""}${group(whole)}${decimals ? "," + decimals : ""}`;
  }

  function fixText(node) {
    const parent = node.parentElement;
    // Les noms d'icônes (« upload », « warning ») sont des ligatures masquées aux lecteurs d'écran : on les laisse.
    if (!parent || parent.closest('[data-testid="stIconMaterial"]')) return;
    const french = parent.closest(GRID) ? gridCell(node.nodeValue) : translate(node.nodeValue);
    if (french !== null && french !== node.nodeValue) node.nodeValue = french;
  }

  function fixElement(element) {
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      const french = translate(value);
      if (french !== null && french !== value) element.setAttribute(name, french);
    }
  }

  function fixTree(root) {
    if (root.nodeType === Node.TEXT_NODE) {
      fixText(root);
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    fixElement(root);
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) {
        fixText(node);
      } else {
        fixElement(node);
      }
    }
  }

  function declareFrench() {
    if (doc.documentElement.lang !== "fr") doc.documentElement.lang = "fr";
  }

  declareFrench();
  if (window.__mesFrancais) {
    fixTree(doc.body);
    return;
  }
  window.__mesFrancais = true;
  fixTree(doc.body);
  new MutationObserver((mutations) => {
    declareFrench();
    for (const mutation of mutations) {
      if (mutation.type === "childList") mutation.addedNodes.forEach(fixTree);
      else if (mutation.type === "characterData") fixTree(mutation.target);
      else if (mutation.type === "attributes" && mutation.target.nodeType === Node.ELEMENT_NODE)
        fixElement(mutation.target);
    }
  }).observe(doc.documentElement, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: [...ATTRIBUTES, "lang"],
  });
})();
