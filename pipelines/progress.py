"""Le fil des étapes d'une commande longue (import, export, dossier COSUI), montré à l'utilisateur au fil de l'eau."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]


def silent(_: str) -> None:
    """Aucun fil : la commande travaille sans rien dire."""
    return None
