"""Réglages du serveur qui tiennent l'application sous charge (docs/PERFORMANCE.md, « L'application sous charge ») :
ils vivent dans `.streamlit/config.toml`, lu par `python -m pipelines serve` (lancé depuis la racine du dépôt) comme
par un `streamlit run` lancé depuis cette racine."""

from __future__ import annotations

import tomllib

import numpy as np

from pipelines.publish import charts
from pipelines.settings import REPO_ROOT


def test_no_full_garbage_collection_after_each_script_run() -> None:
    """Le ramasse-miettes complet de Streamlit après chaque passage prenait plus de la moitié du temps où le serveur
    tient le verrou de Python sous vingt sessions ; celui de Python reste actif."""
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False


def test_map_outlines_are_arrays_with_the_same_breaks_as_the_shapes() -> None:
    """Les contours passés à Plotly en tableaux : mêmes points que `map_shapes`, chaque coupure (None) devenue NaN."""
    for level in ("region", "departement"):
        shapes = charts.map_shapes(level)
        fig = charts.choropleth(dict.fromkeys(shapes, 1.0), level, "titre", "u")
        territories = [t for t in fig.data if t.fill == "toself"]
        assert len(territories) == len(shapes)
        for trace, (_, x, _) in zip(territories, shapes.values(), strict=True):
            assert isinstance(trace.x, np.ndarray)
            assert np.isnan(trace.x).tolist() == [v is None for v in x]
            assert np.array_equal(trace.x[~np.isnan(trace.x)], [v for v in x if v is not None])
