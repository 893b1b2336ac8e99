"""Le statut de la cible, une seule formulation pour la ligne de commande, la vue d'ensemble et le dossier COSUI."""

from __future__ import annotations

import pytest

from pipelines import formats
from pipelines.indicators.target_status import TargetStatus, target_status

M250 = formats.millions(250_000_000, 0)
FIGURES = {"cible_annuelle": 250_000_000, "projection_intervalle": None}


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (
            {"statut_cible": "atteinte", "mois_premiere_atteinte_cible": "2024-05"},
            TargetStatus(
                "Trajectoire vers la cible",
                "Atteinte",
                f"Le rythme annuel dépasse la cible de {M250} depuis mai 2024.",
            ),
        ),
        (
            {
                "statut_cible": "projetee",
                "projection_atteinte_cible": "2025-11",
                "projection_intervalle": ["2025-08", None],
            },
            TargetStatus(
                "Cible : atteinte projetée",
                "novembre 2025",
                f"Mois où la tendance des 12 derniers mois atteint la cible de {M250} ; "
                "intervalle à 90 % : août 2025 à au-delà.",
            ),
        ),
        (
            {"statut_cible": "hors_tendance"},
            TargetStatus(
                "Trajectoire vers la cible",
                "Hors tendance",
                f"Le rythme ne progresse pas : la cible de {M250} n'est pas atteinte à la tendance actuelle.",
            ),
        ),
        (
            {"statut_cible": "historique_insuffisant"},
            TargetStatus(
                "Trajectoire vers la cible",
                "Historique insuffisant",
                "Moins de 6 mois de données : pas de projection vers la cible.",
            ),
        ),
    ],
)
def test_each_status_has_its_wording(figures: dict[str, object], expected: TargetStatus) -> None:
    assert target_status({**FIGURES, **figures}) == expected


def test_no_trajectory_and_no_target() -> None:
    status = target_status({"statut_cible": None, "cible_annuelle": None})
    assert (status.label, status.value) == ("Trajectoire vers la cible", "—")
    assert "dernier mois connu" in status.detail
    hors = target_status({"statut_cible": "hors_tendance", "cible_annuelle": None})
    assert hors.detail == "Le rythme ne progresse pas : la cible n'est pas atteinte à la tendance actuelle."
