"""Codes des agrégats que les indicateurs ajoutent aux codes livrés : tous couloirs, toutes fenêtres, groupes de
dispositifs SONS. Écrits ici une fois ; les requêtes SQL les reprennent en toutes lettres."""

from __future__ import annotations

ALL_COULOIRS = "TOUS"  # la somme des couloirs d'un mois et d'une géographie
ALL_WINDOWS = "TOUTES"  # la somme des fenêtres SUN-ES d'un domaine
SANITAIRE = "SANITAIRE"  # dispositifs SONS hors médico-social, sommés par vague
MEDICO_SOCIAL = "MEDICO-SOCIAL"  # dispositifs SONS du couloir médico-social (MS1, MS2-…), sommés par vague
DISPOSITIF_GROUPS = (SANITAIRE, MEDICO_SOCIAL)
