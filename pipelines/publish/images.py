"""Images des graphiques (PNG, SVG) par kaleido et le Chromium du système."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import plotly.io as pio


@contextlib.contextmanager
def kaleido_server() -> Iterator[None]:
    """Un seul démarrage de kaleido pour une série d'images, arrêté en sortie. Ses avertissements en anglais
    (« kopts ignored ») ne regardent pas l'utilisateur : ils ne s'affichent pas."""
    import kaleido

    pio.defaults.mathjax = None  # MathJax serait chargé depuis un CDN
    kaleido.start_sync_server(silence_warnings=True)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The kopts argument is ignored", category=UserWarning)
            yield
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
