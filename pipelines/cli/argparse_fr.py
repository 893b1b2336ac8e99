"""argparse en français : aide, usage et erreurs de la ligne de commande.

argparse n'a pas de réglage de langue mais passe chacun de ses textes par `gettext` ; `install()` lui donne une table
de traduction française à la place. Un texte absent de la table reste tel quel (un nouveau message d'une version
future de Python se voit dans le test de la ligne de commande)."""

from __future__ import annotations

import argparse

MESSAGES = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "optional arguments": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "show program's version number and exit": "afficher la version et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments inconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (choisir parmi %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "expected one argument": "une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "expected at most one argument": "une valeur au plus",
    "ignored explicit argument %r": "valeur %r ignorée",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "one of the arguments %s is required": "un des arguments %s est obligatoire",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "invalid %(type)s value: %(value)r": "valeur %(type)s invalide : %(value)r",
    "%r is not callable": "%r n'est pas appelable",
    "unexpected option string: %s": "option inattendue : %s",
}
PLURALS = {
    ("expected %s argument", "expected %s arguments"): ("%s valeur attendue", "%s valeurs attendues"),
}


def french(message: str) -> str:
    return MESSAGES.get(message, message)


def french_plural(singular: str, plural: str, count: int) -> str:
    one, many = PLURALS.get((singular, plural), (singular, plural))
    return one if count == 1 else many


def install() -> None:
    """Les textes d'argparse en français, pour tout le processus (la ligne de commande n'a pas d'autre langue)."""
    argparse._ = french  # type: ignore[attr-defined]
    argparse.ngettext = french_plural  # type: ignore[attr-defined]


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """L'option `--db`, la même pour toutes les commandes qui lisent ou écrivent l'entrepôt."""
    parser.add_argument(
        "--db", metavar="ENTREPOT", help="entrepôt DuckDB (défaut : $MES_DB ou data/warehouse.duckdb)"
    )


def add_month_argument(parser: argparse.ArgumentParser, default: str) -> None:
    """L'option `--mois` (AAAA-MM) ; `default` dit en français quel mois est pris sans elle."""
    parser.add_argument("--mois", metavar="AAAA-MM", help=f"mois à lire (défaut : {default})")


def add_region_argument(
    parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup,
    help: str = "code INSEE ou nom de la région",
) -> None:
    """L'option `--region`, que `resolve_scope` lit en code INSEE ou en nom ; `help` dit ce qu'elle restreint."""
    parser.add_argument("--region", metavar="REGION", help=help)


def add_folder_argument(parser: argparse.ArgumentParser) -> None:
    """L'option `--out` (obligatoire) des commandes qui écrivent un dossier de fichiers."""
    parser.add_argument("--out", required=True, metavar="DOSSIER", help="dossier de sortie")
