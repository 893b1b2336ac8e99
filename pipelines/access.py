"""Qui voit quoi : les modes de l'application, les rôles du mode interne et le périmètre géographique d'un rôle.

Une seule porte : les pages lisent l'entrepôt par `app_pages.common.load`, qui borne chaque résultat au périmètre du
rôle (`bound_frame`) ; la barre latérale ne propose que les géographies du périmètre (`allowed_geographies`).
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.settings import REFERENCE_DIR

MODES = ("local", "public", "interne")
ROLE_NAMES = ("national", "region", "administrateur")
LOCAL_BANNER = "mode local : accès complet sans authentification, réservé à ce poste"
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


class AccessError(ValueError):
    """Accès refusé ou configuration d'accès invalide ; le message, en français, dit pourquoi."""


@dataclass(frozen=True)
class Perimetre:
    """Les géographies qu'un rôle lit : toute la France (`region=None`) ou une région, ses départements et leurs
    établissements. Le total national, public, reste lisible par tous comme point de comparaison."""

    region: str | None = None

    def allows(self, niveau: str, code: str, code_region: str | None = None) -> bool:
        if self.region is None or niveau == "pays":
            return True
        if niveau == "region":
            return code == self.region
        if niveau in ("departement", "etablissement"):
            return code_region == self.region
        return False


@dataclass(frozen=True)
class Role:
    """Un rôle : `local` (le poste, sans connexion), `public`, ou un rôle du mode interne (`national`,
    `region` avec son code INSEE, `administrateur`)."""

    nom: str
    region: str | None = None
    identite: str | None = None

    @property
    def perimetre(self) -> Perimetre:
        return Perimetre(self.region if self.nom == "region" else None)

    @property
    def can_import(self) -> bool:
        return self.nom in ("local", "administrateur")

    @property
    def sees_internal(self) -> bool:
        """Séries internes, registre des imports, documentation de l'entrepôt, comptes non masqués."""
        return self.nom != "public"

    @property
    def key(self) -> str:
        """Le nom du rôle tel qu'une page le déclare (`region` pour toute région)."""
        return self.nom

    def label(self) -> str:
        return {
            "local": "poste local",
            "public": "public",
            "national": "national (lecture de toute la France)",
            "administrateur": "administrateur (imports et référentiels)",
        }.get(self.nom, f"région {self.region}")


LOCAL = Role("local")
PUBLIC = Role("public")


def parse_role(text: str, identite: str | None = None) -> Role:
    """« national », « administrateur » ou « region:<code INSEE> » → un rôle ; sinon une erreur en français."""
    value = text.strip().lower()
    if value in ("national", "administrateur"):
        return Role(value, identite=identite)
    if value.startswith("region:"):
        code = value.split(":", 1)[1].strip()
        if code.isdigit() and len(code) == 2:
            return Role("region", code, identite=identite)
    raise AccessError(
        f"rôle « {text} » inconnu : attendu « national », « administrateur » ou « region:<code INSEE à 2 chiffres> »"
    )


def load_roles(path: Path) -> pl.DataFrame:
    """Le fichier des rôles (`identite,role,motif`) : chaque ligne vérifiée, une erreur dit fichier, ligne et valeur."""
    if not path.exists():
        raise AccessError(f"{path} : fichier des rôles introuvable")
    frame = pl.read_csv(path, infer_schema=False, comment_prefix="#")
    missing = {"identite", "role"} - set(frame.columns)
    if missing:
        raise AccessError(f"{path} : colonne(s) manquante(s) {', '.join(sorted(missing))}")
    for line, row in enumerate(frame.iter_rows(named=True), start=2):
        identite = (row["identite"] or "").strip()
        if not identite:
            raise AccessError(f"{path}, ligne {line}, colonne identite : valeur vide")
        try:
            parse_role(row["role"] or "")
        except AccessError as exc:
            raise AccessError(f"{path}, ligne {line}, colonne role : {exc}") from None
    return frame.with_columns(pl.col("identite").str.strip_chars().str.to_lowercase())


def role_for(email: str | None, rules: pl.DataFrame) -> Role | None:
    """Le rôle d'une identité : l'adresse exacte d'abord, sinon son domaine (`@ars.sante.fr` ou `ars.sante.fr`) ;
    `None` quand l'identité n'a aucun rôle (elle ne voit alors rien)."""
    if not email or "@" not in email:
        return None
    address = email.strip().lower()
    domain = address.rsplit("@", 1)[1]
    for candidates in ([address], [f"@{domain}", domain]):
        match = rules.filter(pl.col("identite").is_in(candidates))
        if match.height:
            return parse_role(match["role"][0], identite=address)
    return None


def bound_frame(role: Role, frame: Any) -> Any:
    """Les lignes d'un résultat que le rôle peut lire : pour une région, le total national, ses lignes région,
    départements et établissements ; les tables sans colonne géographique (jalons, chiffres publiés) passent."""
    region = role.perimetre.region
    if region is None or not isinstance(frame, pl.DataFrame):
        return frame
    columns = set(frame.columns)
    if "niveau" in columns and "code_geo" in columns:
        if "code_region" in columns:
            in_region = pl.col("code_region") == region
        elif "code_departement" in columns:
            in_region = pl.col("code_departement").is_in(departements_of(region))
        else:  # une table sans région ni département par ligne : ses départements, d'après le référentiel
            in_region = (pl.col("niveau") == "departement") & pl.col("code_geo").is_in(
                departements_of(region)
            )
        keep = (
            pl.when(pl.col("niveau") == "pays")
            .then(True)
            .when(pl.col("niveau") == "region")
            .then(pl.col("code_geo") == region)
            .otherwise(in_region)
        )
        return frame.filter(keep.fill_null(False))
    if "code_region" in columns:
        return frame.filter(pl.col("code_region") == region)
    if "code_departement" in columns:  # listes d'établissements : leur département
        return frame.filter(pl.col("code_departement").is_in(departements_of(region)))
    return frame


def departements_of(region: str) -> list[str]:
    """Les départements d'une région, d'après `data/reference/departements.csv` (INSEE)."""
    reference = pl.read_csv(REFERENCE_DIR / "departements.csv", infer_schema=False)
    return reference.filter(pl.col("code_region") == region)["code_departement"].to_list()


def allowed_geographies(role: Role, geographies: pl.DataFrame) -> pl.DataFrame:
    """Régions et départements proposés dans la barre latérale : ceux du périmètre du rôle."""
    return bound_frame(role, geographies)


def check_selection(role: Role, niveau: str, code: str, geographies: pl.DataFrame) -> None:
    """Refuse une géographie hors du périmètre (saisie dans l'adresse, par exemple) comme si elle n'existait pas."""
    if role.perimetre.region is None:
        return
    region_of = dict(zip(geographies["code_geo"], geographies["code_region"], strict=True))
    if not role.perimetre.allows(niveau, code, region_of.get(code) if niveau != "region" else code):
        raise AccessError(f"géographie « {code} » inconnue")


def read_auth_section(secrets: Path) -> dict[str, Any]:
    """La section `[auth]` du fichier de secrets de Streamlit, vide s'il manque."""
    if not secrets.exists():
        return {}
    with secrets.open("rb") as handle:
        data = tomllib.load(handle)
    auth = data.get("auth", {})
    return auth if isinstance(auth, dict) else {}


def is_loopback(address: str) -> bool:
    if address in ("localhost", ""):
        return address == "localhost"
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def startup_problems(mode: str, address: str, secrets: Path, roles: Path) -> list[str]:
    """Pourquoi le serveur ne doit pas démarrer dans ce mode (liste vide : il peut démarrer)."""
    problems: list[str] = []
    if mode not in MODES:
        return [f"MES_MODE « {mode} » inconnu : attendu local, public ou interne"]
    if mode == "local" and not is_loopback(address):
        problems.append(
            f"le mode local (accès complet sans authentification) n'écoute que sur ce poste : adresse « {address} » "
            "refusée ; utilisez 127.0.0.1, ou MES_MODE=public / MES_MODE=interne pour servir d'autres postes"
        )
    if mode == "interne":
        auth = read_auth_section(secrets)
        missing = [key for key in AUTH_KEYS if not auth.get(key)]
        if missing:
            problems.append(
                f"le mode interne exige la connexion OpenID Connect : section [auth] de {secrets} absente ou "
                f"incomplète (manque {', '.join(missing)}) ; voir docs/DEPLOIEMENT.md"
            )
        try:
            load_roles(roles)
        except AccessError as exc:
            problems.append(f"rôles : {exc}")
    return problems
