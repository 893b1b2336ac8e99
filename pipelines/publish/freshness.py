"""Fraîcheur des données publiées : « Données arrêtées au … — prochaine mise à jour prévue le … », d'après le
calendrier de publication (`data/reference/calendrier_publication.csv`), et l'alerte quand une mise à jour prévue
n'a pas eu lieu."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from pipelines import formats
from pipelines.settings import REFERENCE_DIR


@dataclass(frozen=True)
class Freshness:
    mois: dt.date  # dernier mois publié
    arretees_au: dt.date
    prochaine_mise_a_jour: dt.date | None  # prochaine publication prévue à partir d'aujourd'hui
    mise_a_jour_attendue: (
        dt.date | None
    )  # publication du mois suivant, déjà passée si les données sont en retard
    en_retard: bool

    @property
    def text(self) -> str:
        after = (
            f" — prochaine mise à jour prévue le {formats.date(self.prochaine_mise_a_jour)}"
            if self.prochaine_mise_a_jour
            else " — aucune mise à jour n'est encore inscrite au calendrier"
        )
        return f"Données arrêtées au {formats.date(self.arretees_au)}{after}"

    @property
    def warning(self) -> str | None:
        if not self.en_retard or self.mise_a_jour_attendue is None:
            return None
        return (
            f"Ces données ne sont plus à jour : la mise à jour prévue le {formats.date(self.mise_a_jour_attendue)} "
            f"(données {formats.of_month(_next_month(self.mois))}) n'a pas eu lieu."
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "mois": f"{self.mois:%Y-%m}",
            "donnees_arretees_au": self.arretees_au.isoformat(),
            "prochaine_mise_a_jour": self.prochaine_mise_a_jour.isoformat()
            if self.prochaine_mise_a_jour
            else None,
            "en_retard": self.en_retard,
            "texte": self.text,
            "alerte": self.warning,
        }


@lru_cache(maxsize=1)
def calendar() -> pl.DataFrame:
    """Calendrier de publication : mois des données, date d'arrêt, date de publication prévue."""
    return pl.read_csv(
        REFERENCE_DIR / "calendrier_publication.csv",
        schema_overrides={"donnees_arretees_au": pl.Date, "publication_prevue": pl.Date},
    ).with_columns(pl.concat_str(pl.col("mois_donnees"), pl.lit("-01")).str.to_date().alias("mois"))


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def freshness(mois: dt.date, today: dt.date, schedule: pl.DataFrame | None = None) -> Freshness:
    """Fraîcheur du mois publié `mois` vue le jour `today` : arrêt des données (calendrier, sinon fin du mois),
    prochaine publication prévue, retard si la publication du mois suivant est passée."""
    schedule = calendar() if schedule is None else schedule
    row = schedule.filter(pl.col("mois") == mois)
    stop = row["donnees_arretees_au"][0] if row.height else _next_month(mois) - dt.timedelta(days=1)
    expected_row = schedule.filter(pl.col("mois") == _next_month(mois))
    expected = expected_row["publication_prevue"][0] if expected_row.height else None
    upcoming = schedule.filter(pl.col("publication_prevue") >= today).sort("publication_prevue")
    return Freshness(
        mois=mois,
        arretees_au=stop,
        prochaine_mise_a_jour=upcoming["publication_prevue"][0] if upcoming.height else None,
        mise_a_jour_attendue=expected,
        en_retard=expected is not None and today > expected,
    )


@dataclass(frozen=True)
class Edition:
    """Une édition du paquet de transparence : sa fraîcheur (dont le mois publié), sa marque de démonstration et sa
    licence — ce que l'API JSON et les métadonnées data.gouv.fr disent chacune."""

    fraicheur: Freshness
    demo: bool
    licence: str

    @property
    def mois(self) -> dt.date:
        return self.fraicheur.mois
