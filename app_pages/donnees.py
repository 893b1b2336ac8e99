"""Données : registre des imports, dépôt de fichier (même validation que la ligne de commande), révisions et errata,
dictionnaire des données, téléchargements."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from app_pages.common import errata_view, labelled, read, role, show_table, source_titles
from pipelines import formats
from pipelines.intake.reading import ACCEPTED_EXTENSIONS, EXCEL_EXTENSIONS, UPLOAD_PREFIX
from pipelines.publish.diffusion import neutralise_formulas
from pipelines.publish.theme import COULOIR_LABELS, LEVEL_LABELS, PUBLISHED_INDICATOR_LABELS
from pipelines.settings import REPO_ROOT, get_settings
from pipelines.warehouse import queries
from pipelines.warehouse.ingest import Incoming, IngestResult
from pipelines.warehouse.queries import DOWNLOADABLE
from pipelines.warehouse.upload import Checked, check_file, import_checked, sheets_to_choose

st.title("Données")
settings = get_settings()


def show_report(result: IngestResult) -> None:
    if not result.ok:
        st.error(f"Fichier refusé : {result.total_problems} problème(s). Rien n'a été écrit dans l'entrepôt.")
        show_table(
            pl.DataFrame(
                {
                    "Ligne": [p.ligne for p in result.problems],
                    "Colonne": [p.colonne for p in result.problems],
                    "Valeur": [p.valeur for p in result.problems],
                    "Problème": [p.motif for p in result.problems],
                },
                schema={"Ligne": pl.Int64, "Colonne": pl.String, "Valeur": pl.String, "Problème": pl.String},
            ),
        )
        if result.total_problems > len(result.problems):
            st.caption(f"… et {result.total_problems - len(result.problems)} autre(s) problème(s).")
    else:
        st.success(f"{result.fichier} ({result.nature}) : {result.message}")
        for note in result.notes:
            st.caption(f"Note : {note}")
        if result.changements:
            published = [c for c in result.changements if c.publie]
            if published:
                st.warning(
                    f"{len(published)} chiffre(s) déjà publié(s) change(nt) : chaque révision est inscrite aux errata "
                    "avec les deux valeurs.",
                    icon=":material/report:",
                )
            st.dataframe(
                pl.DataFrame(
                    {
                        "Chiffre de tête modifié": [str(c) for c in result.changements],
                        "Publié": ["oui" if c.publie else "" for c in result.changements],
                    }
                ),
                hide_index=True,
            )


def importer() -> str:
    """L'auteur inscrit au registre : l'identité connectée (mode interne) ou le poste local."""
    current = role()
    return current.identite or ("poste local" if current.nom == "local" else current.label())


@contextmanager
def temporary_copy(upload: UploadedFile) -> Iterator[Callable[[], Incoming]]:
    """Le fichier déposé sous un nom temporaire choisi ici (le nom reçu ne sert qu'à l'affichage), écrit au premier
    appel seulement : la liste des feuilles et la vérification d'un même passage lisent la même copie, et un passage
    qui n'en a pas besoin n'écrit rien. Le dossier temporaire est effacé à la sortie du `with`."""
    suffix = Path(upload.name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix=f"{UPLOAD_PREFIX}{os.getpid()}-") as tmp:
        incoming = Incoming(
            Path(tmp) / f"depot{suffix}", display_name=Path(upload.name).name, auteur=importer()
        )

        def written() -> Incoming:
            if not incoming.path.exists():
                incoming.path.write_bytes(upload.getvalue())
            return incoming

        yield written


if role().can_import:
    # Un fichier trop gros est refusé par le navigateur avant tout envoi (server.maxUploadSize = MES_UPLOAD_MAX_MO,
    # passé par le lanceur) ; son message, écrit en anglais par Streamlit, est traduit par francais.js.
    st.header("Importer un fichier")
    st.write(
        "Flux mensuels, statistiques SONS, SUN-ES, population ou cibles, en CSV (`,` `;` tabulation ; UTF-8 ou "
        "Windows-1252), Excel (.xlsx) ou Parquet. Le fichier est d'abord vérifié ; rien n'est écrit avant votre "
        "confirmation."
    )
    st.caption(
        f"Taille maximale : {settings.upload_max_mo} Mo (réglage MES_UPLOAD_MAX_MO). Un fichier plus gros est refusé "
        "par le navigateur avant tout envoi ; importez-le alors avec `python -m pipelines ingest`."
    )
    upload = st.file_uploader(
        "Fichier à importer",
        type=sorted(e.lstrip(".") for e in ACCEPTED_EXTENSIONS),
        accept_multiple_files=False,
        help=f"Taille maximale : {settings.upload_max_mo} Mo.",
        key="depot",
    )
    if upload is None:
        st.session_state.pop("verification", None)
        st.session_state.pop("feuilles", None)
    else:
        size_mb = upload.size / 2**20
        suffix = Path(upload.name).suffix.lower()
        if size_mb > settings.upload_max_mo:
            st.error(
                f"Fichier trop volumineux ({formats.decimal(size_mb, 1)} Mo ; maximum {settings.upload_max_mo} Mo)."
            )
        elif suffix not in ACCEPTED_EXTENSIONS:
            st.error(f"Extension « {suffix} » non acceptée.")
        else:
            # Une seule copie temporaire sert à lister les feuilles puis à vérifier ; elle s'efface à la sortie du
            # bloc, car la confirmation importe la table déjà validée sans relire le fichier.
            with temporary_copy(upload) as deposit:
                known = st.session_state.get("feuilles")
                if known is None or known[0] != upload.file_id:
                    # Seul un classeur a des feuilles à choisir : un CSV ou un Parquet n'est pas écrit pour rien.
                    sheets = sheets_to_choose(deposit(), settings) if suffix in EXCEL_EXTENSIONS else []
                    known = (upload.file_id, sheets)
                    st.session_state["feuilles"] = known
                sheet = None
                if known[1]:
                    # Un classeur à plusieurs feuilles remplies : une feuille par import (--sheet en ligne de commande),
                    # choisie ici ; rien n'est vérifié avant ce choix.
                    sheet = st.selectbox(
                        f"Ce classeur a {len(known[1])} feuilles remplies : laquelle importer ?",
                        known[1],
                        index=None,
                        placeholder="Choisir une feuille",
                        key=f"feuille_{upload.file_id}",
                    )
                # Une vérification par fichier déposé et feuille choisie : la confirmation importe la table déjà
                # validée, sans relire.
                wanted = (upload.file_id, sheet)
                stored = st.session_state.get("verification")
                if not (known[1] and sheet is None) and (stored is None or stored[0] != wanted):
                    with st.spinner("Vérification du fichier…"):
                        checked_now = check_file(deposit(), settings=settings, sheet=sheet)
                    stored = (wanted, checked_now)
                    st.session_state["verification"] = stored
            if stored is not None and stored[0] == wanted:
                checked: Checked = stored[1]
                show_report(checked.result)
                if (
                    checked.result.ok
                    and checked.frames
                    and st.button("Importer dans l'entrepôt", type="primary", key="confirmer_import")
                ):
                    with st.status("Import en cours…", expanded=True) as status:
                        checked.result = import_checked(checked, settings=settings, progress=status.write)
                        status.update(label="Import terminé", state="complete")
                    show_report(checked.result)
                    if checked.result.import_id is not None:
                        st.success("L'entrepôt est à jour : les autres pages montrent déjà ces chiffres.")

st.header("Registre des imports")
imports = read(queries.imports)
if imports.height:
    last = imports.row(0, named=True)
    st.caption(
        f"Dernier import : n° {last['id']} ({last['fichier']}, {last['nature']}) le "
        f"{last['accepte_le']:%d/%m/%Y à %H:%M}, "
        f"par {last['auteur'] or 'un auteur non enregistré'}."
    )
show_table(
    labelled(
        imports,
        {
            "N°": "id",
            "Fichier": "fichier",
            "Nature": "nature",
            "Lignes": "lignes",
            "Accepté le": "accepte_le",
            "Statut": "statut",
            "Démonstration": "donnees_demo",
            "Source": source_titles("source"),
            "Importé par": "auteur",
            "Compte rendu": "message",
        },
    ),
)

st.header("Révisions et errata")
st.subheader("Errata publiés")
show_table(
    errata_view(read(queries.errata)),
)
st.subheader("Révisions de chiffres publiés")
show_table(
    labelled(
        read(queries.published_revisions),
        {
            "Import n°": "import_id",
            "Fichier": "fichier",
            "Mois": formats.month_column("mois", short=False),
            "Périmètre": "code_geo",
            "Couloir": pl.col("couloir").replace_strict(COULOIR_LABELS, default=pl.col("couloir")),
            "Chiffre publié": pl.col("indicateur_publie").replace_strict(
                PUBLISHED_INDICATOR_LABELS, default=pl.col("indicateur_publie")
            ),
            "Valeur publiée": pl.col("valeur_publiee").cast(pl.Int64),
            "Avant l'import": "documents_avant",
            "Après l'import": "documents_apres",
            "Source de la publication": "source_publiee",
        },
    ),
    empty="Aucun import n'a changé un chiffre publié.",
)
st.subheader("Valeurs révisées dans l'entrepôt")
show_table(
    labelled(
        read(queries.revisions),
        {
            "Import n°": "import_id",
            "Fichier": "fichier",
            "Accepté le": "accepte_le",
            "Mois révisé": formats.month_column("mois", short=False),
            "Valeurs révisées": "valeurs_revisees",
            "Documents avant": "documents_avant",
            "Documents après": "documents_apres",
            "Démonstration": "donnees_demo",
        },
    ),
    empty="Aucune valeur n'a été révisée.",
)

st.header("Complétude et rapprochement")
st.write(
    "Un mois est **complet** quand toutes les contributions attendues (régions, départements, établissements, "
    "couloirs livrés les mois précédents) sont arrivées ; sinon il est **provisoire** et n'est jamais le mois par "
    "défaut. Quand un total livré et la somme de ses sous-niveaux existent tous deux, le total livré est affiché : "
    "l'écart est montré ci-dessous. Définitions : docs/INDICATEURS.md."
)
completeness_fr = read(queries.month_completeness, "pays", "FR")
if completeness_fr.height:
    show_table(
        labelled(
            completeness_fr.head(12),
            {
                "Mois (France)": formats.month_column("mois", short=False),
                "État": pl.when(pl.col("complet")).then(pl.lit("complet")).otherwise(pl.lit("provisoire")),
                "Régions livrées": "enfants_livres",
                "Régions attendues": "enfants_attendus",
                "Couloirs livrés": "couloirs_livres",
                "Couloirs attendus": "couloirs_attendus",
                "Contributions complètes": "livrees",
                "Contributions attendues": "attendues",
            },
        ),
    )
show_table(
    labelled(
        read(queries.reconciliation),
        {
            "Mois": formats.month_column("mois", short=False),
            "Niveau": pl.col("niveau").replace_strict(LEVEL_LABELS, default=pl.col("niveau")),
            "Périmètre": "libelle_geo",
            "Couloir": pl.col("couloir").replace_strict(COULOIR_LABELS, default=pl.col("couloir")),
            "Total livré (affiché)": "total_livre",
            "Somme des sous-niveaux": "somme_sous_niveaux",
            "Écart": "ecart",
        },
    ),
    empty="Aucun total livré ne coexiste avec la somme de ses sous-niveaux : rien à rapprocher.",
)

st.header("Dictionnaire des données")
for doc in ("docs/ENTREPOT.md", "docs/INDICATEURS.md"):
    with st.expander(doc):
        st.markdown((REPO_ROOT / doc).read_text(encoding="utf-8"))

st.header("Télécharger les données")
choice = st.selectbox(
    "Table", list(DOWNLOADABLE), format_func=lambda t: DOWNLOADABLE[t], key="telechargement_table"
)
frame = read(queries.raw_table, choice)
st.download_button(
    f"Télécharger « {DOWNLOADABLE[choice]} » (CSV, {formats.integer(frame.height)} lignes)",
    neutralise_formulas(frame).write_csv().encode("utf-8"),
    file_name=f"{choice}.csv",
    mime="text/csv",
    key="telecharger",
)
