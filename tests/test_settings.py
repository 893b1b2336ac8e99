"""Les réglages `MES_*` : lus dans l'environnement et typés ; une valeur illisible est refusée en français, variable
et valeur nommées, par la ligne de commande (code 2) comme par les appels directs."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT, Settings, SettingsError, get_settings


def test_environment_values_take_their_types_and_overrides_win() -> None:
    settings = get_settings(
        {
            "MES_DB": "/tmp/entrepot.duckdb",
            "mes_aujourdhui": "2026-11-21",
            "MES_MAX_PROBLEMES": "50",
            "MES_VERROU_ATTENTE_S": "2,5",
            "MES_RECALCUL_INCREMENTAL": "non",
            "MES_MODE": "public",
            "MES_SECRETS": "",
            "AUTRE_VARIABLE": "ignorée",
            "MES_INCONNU": "ignoré",
        },
        max_problemes=7,
    )
    assert settings.db == Path("/tmp/entrepot.duckdb")
    assert settings.aujourdhui == dt.date(2026, 11, 21) and settings.today() == dt.date(2026, 11, 21)
    assert settings.max_problemes == 7
    assert settings.verrou_attente_s == 2.5
    assert settings.recalcul_incremental is False
    assert settings.mode == "public" and settings.secrets is None


def test_defaults_without_environment() -> None:
    settings = get_settings({})
    assert settings == Settings()
    assert settings.db_path() == (REPO_ROOT / "data" / "warehouse.duckdb").resolve()
    assert (settings.mode, settings.recalcul_incremental, settings.tranche_lignes) == (
        "local",
        True,
        1_000_000,
    )


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("MES_MAX_PROBLEMES", "beaucoup", "nombre entier attendu"),
        ("MES_MEMOIRE_MAX_MO", "64", "doit valoir au moins 128"),
        ("MES_FICHIER_MAX_MO", "0", "doit être plus grand que 0"),
        ("MES_FICHIER_MAX_MO", "nan", "nombre fini attendu"),
        ("MES_TRANCHE_SEUIL_MO", "inf", "nombre fini attendu"),
        ("MES_AUJOURDHUI", "21/11/2026", "date AAAA-MM-JJ attendue"),
        ("MES_RECALCUL_INCREMENTAL", "peut-être", "vrai ou faux attendu"),
        ("MES_MODE", "prive", "valeurs admises : local, public, interne"),
        ("MES_DB", " ", "chemin vide"),
    ],
)
def test_an_unreadable_value_is_refused_in_french(variable: str, value: str, reason: str) -> None:
    with pytest.raises(SettingsError) as refused:
        get_settings({variable: value})
    assert str(refused.value).startswith(f"réglage {variable} « {value} » refusé : {reason}")


def test_values_given_in_code_are_checked_too() -> None:
    with pytest.raises(SettingsError, match="MES_TRANCHE_LIGNES « 0 » refusé"):
        Settings(tranche_lignes=0)
    with pytest.raises(SettingsError, match="MES_MODE"):
        Settings(mode="autre")  # type: ignore[arg-type]


def test_the_command_line_refuses_a_bad_setting_with_exit_code_2(tmp_path: Path) -> None:
    env = {**os.environ, "MES_DB": str(tmp_path / "w.duckdb"), "MES_MAX_PROBLEMES": "beaucoup"}
    result = subprocess.run(
        [sys.executable, "-m", "pipelines", "kpi"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Erreur : réglage MES_MAX_PROBLEMES « beaucoup » refusé : nombre entier attendu."
    )
    assert "Traceback" not in result.stderr
