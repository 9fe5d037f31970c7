"""Bad policies are refused with the file, the line and the key; shipped policies are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.analysis.engine import Detector
from proxy.config_file import ConfigFileError
from proxy.entities import Entity
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import load_policy
from proxy.settings import Hosting, load_settings
from tests.policy.conftest import REPO, TABLE_POLICY

SERVICE = "services:\n  s:\n    models: [local-llm]\n"


def refused(tmp_path: Path, context: PolicyContext, text: str) -> str:
    path = tmp_path / "politique.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_policy(path, context)
    message = str(caught.value)
    assert str(path) in message
    return message


def line(text: str, fragment: str) -> str:
    """'ligne N' for the first line of `text` holding `fragment`."""
    number = next(i for i, row in enumerate(text.splitlines(), 1) if fragment in row)
    return f"ligne {number},"


def with_table(replace: str, by: str) -> str:
    text = TABLE_POLICY.read_text(encoding="utf-8")
    assert replace in text
    return text.replace(replace, by, 1)


def test_a_typo_names_line_and_key(tmp_path: Path, context: PolicyContext) -> None:
    text = with_table("  on_violation: refuse", "  on_violaton: refuse")
    message = refused(tmp_path, context, text)
    assert (
        line(text, "on_violaton") in message
        and "defaults.on_violaton" in message
        and "faute de frappe" in message
    )


def test_an_unknown_entity_type_is_refused(tmp_path: Path, context: PolicyContext) -> None:
    text = with_table("    NIR: mask", "    NIRR: mask")
    message = refused(tmp_path, context, text)
    assert line(text, "NIRR") in message and "defaults.entities.NIRR" in message


def test_an_unknown_model_is_refused(tmp_path: Path, context: PolicyContext) -> None:
    text = with_table("models: [souverain]", "models: [souverain-xl]")
    message = refused(tmp_path, context, text)
    assert "services.urbanisme.models.0" in message and "souverain-xl" in message
    assert "servi par aucun amont" in message and line(text, "souverain-xl") in message


def test_an_impossible_route_is_refused(tmp_path: Path, context: PolicyContext) -> None:
    text = with_table("    fallback_models: [local-llm]\n", "    fallback_models: [mistral-eu]\n")
    message = refused(tmp_path, context, text)
    assert "route impossible" in message and "services.urbanisme.fallback_models" in message
    assert "« sante »" in message and "identifiants" not in message  # the NIR may go to « souverain »


def test_reroute_without_fallback_is_refused(tmp_path: Path, context: PolicyContext) -> None:
    message = refused(tmp_path, context, with_table("    fallback_models: [local-llm]\n", ""))
    assert "services.urbanisme.on_violation" in message and "fallback_models" in message


def test_an_entity_without_active_recognizer_is_refused(tmp_path: Path) -> None:
    context = PolicyContext({"local-llm": Hosting.LOCAL}, frozenset(Entity) - {Entity.CAF_NUMBER})
    text = SERVICE + "    entities:\n      CAF_NUMBER: block\n"
    message = refused(tmp_path, context, text)
    assert "sans reconnaisseur actif" in message and "services.s.entities.CAF_NUMBER" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("services:\n  s:\n    models: []\n", "services.s.models"),
        ("services:\n  s:\n    models: [local-llm]\n    uses: {inconnue: warn}\n", "inconnue"),
        ("services:\n  s:\n    models: [local-llm]\n    lists: {deny: ['PERSONE:x']}\n", "PERSONE"),
        ("services:\n  s:\n    models: [local-llm]\n    assessed_areas: [emploi]\n", "assessed_areas"),
        (
            SERVICE + "uses:\n  r:\n    description: d\n    match: [[de la]]\n",
            "terme inutilisable",
        ),
        (
            SERVICE + "categories:\n  c:\n    description: d\n    hosting: [local]\n",
            "categories.c",
        ),
        (
            "services:\n  s:\n    models: [local-llm]\ncategories:\n  c:\n    description: d\n"
            "    entities: [NIR]\n    hosting: [cloud]\n",
            "categories.c.hosting.0",
        ),
        ("version: 2\nservices:\n  s:\n    models: [local-llm]\n", "version"),
        ("services: {}\n", "services"),
        ("services:\n  s:\n    models: [local-llm]\n    threshold: 1.5\n", "services.s.threshold"),
    ],
)
def test_schema_errors_name_the_key(tmp_path: Path, context: PolicyContext, text: str, expected: str) -> None:
    assert expected in refused(tmp_path, context, text)


def test_the_default_policy_is_valid_against_the_default_configuration(detector: Detector) -> None:
    settings = load_settings(None)
    loaded = load_policy(
        REPO / "policies" / "default.yaml", PolicyContext.of(settings, detector.active_entities)
    )
    assert "demo" in loaded.policy.services and loaded.policy.services["demo"].models == ("demo",)
    assert len(loaded.sha256) == 64


def test_the_intercommunalite_example_is_valid_with_its_configuration(detector: Detector) -> None:
    settings = load_settings(REPO / "policies" / "examples" / "gardefou.yaml")
    loaded = load_policy(settings.policy, PolicyContext.of(settings, detector.active_entities))
    assert {"mistral-local", "albert-large", "gpt-4o"} <= set(loaded.rulebook.hosting)


def test_the_sha256_is_that_of_the_file(table_path: Path = TABLE_POLICY) -> None:
    import hashlib

    loaded = load_policy(table_path)
    assert loaded.sha256 == hashlib.sha256(table_path.read_bytes()).hexdigest()
