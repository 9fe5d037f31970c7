"""The configuration file: embedded defaults, relative paths, and refusals that name file, line and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from proxy.config_file import ConfigFileError
from proxy.settings import DetectionSettings, Hosting, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gardefou.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_embedded_defaults_serve_the_demo_model_without_keys() -> None:
    settings = load_settings(None)
    assert [u.name for u in settings.upstreams] == ["demo"] and settings.upstreams[0].is_demo
    assert settings.demo_mode and not settings.auth.require_api_key
    assert settings.policy.name == "default.yaml" and settings.policy.exists()


def test_a_config_file_requires_keys_by_default_and_resolves_relative_paths(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "data_dir: donnees\n"))
    assert settings.auth.require_api_key and not settings.demo_mode
    assert settings.register_path == tmp_path / "donnees" / "register.sqlite"
    assert settings.keys_path == tmp_path / "donnees" / "keys.sqlite"


def test_upstreams_are_read_with_their_hosting(tmp_path: Path) -> None:
    text = """
upstreams:
  - name: albert
    base_url: https://albert.api.etalab.gouv.fr/v1
    api_key_env: ALBERT_API_KEY
    models: [albert-large]
    hosting: sovereign
register: reg/registre.sqlite
auth:
  require_api_key: true
"""
    settings = load_settings(write(tmp_path, text))
    assert settings.upstream_for("albert-large") is not None
    assert settings.upstreams[0].hosting is Hosting.SOVEREIGN
    assert settings.register_path == tmp_path / "reg" / "registre.sqlite"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("polcy: x.yaml\n", ["ligne 1", "polcy", "clé inconnue"]),
        (
            "upstreams:\n  - name: a\n    base_url: pas-une-url\n    models: [m]\n    hosting: local\n",
            ["ligne 3", "upstreams.0.base_url"],
        ),
        (
            "upstreams:\n  - name: a\n    base_url: http://h/v1\n    models: [m]\n    hosting: mars\n",
            ["ligne 5", "hosting"],
        ),
        ("port: quatre-vingt\n", ["ligne 1", "port"]),
        ("auth: [1, 2]\n", ["auth"]),
        ("data_dir: [\n", ["YAML invalide"]),
        ("- juste\n- une liste\n", ["dictionnaire"]),
    ],
)
def test_bad_configuration_is_refused_naming_line_and_key(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_two_upstreams_cannot_serve_the_same_model(tmp_path: Path) -> None:
    one = "  - {name: %s, base_url: 'http://h/v1', models: [m], hosting: local}\n"
    with pytest.raises(ConfigFileError, match="servi par"):
        load_settings(write(tmp_path, "upstreams:\n" + one % "a" + one % "b"))


def test_serve_refuses_to_start_on_a_bad_config(tmp_path: Path) -> None:
    path = write(
        tmp_path, "upstreams:\n  - name: a\n    base_url: http://h/v1\n    modeles: [m]\n    hosting: local\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "proxy", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert str(path) in result.stderr and "modeles" in result.stderr and "ligne 4" in result.stderr


def test_detection_threads_follow_the_ner_processes_unless_set() -> None:
    assert DetectionSettings(processes=4).max_threads == 4  # every NER process kept busy
    assert DetectionSettings(processes=0).max_threads == 2
    assert DetectionSettings(processes=3, max_threads=1).max_threads == 1
    assert 1 <= DetectionSettings().processes <= 4


def test_the_keys_follow_a_register_on_postgresql_unless_a_keys_file_is_named(tmp_path: Path) -> None:
    url = "postgresql://gardefou_app@db.interne:5432/gardefou"
    config = tmp_path / "gardefou.yaml"
    config.write_text(yaml.safe_dump({"register_url": url}), encoding="utf-8")
    assert load_settings(config).keys_url == url
    config.write_text(yaml.safe_dump({"register_url": url, "keys": "cles.sqlite"}), encoding="utf-8")
    assert load_settings(config).keys_url is None
    config.write_text(yaml.safe_dump({"keys_url": url, "keys": "cles.sqlite"}), encoding="utf-8")
    with pytest.raises(ConfigFileError, match="exclusifs"):
        load_settings(config)
    assert load_settings(None).keys_url is None  # the single-machine default is unchanged
