"""The field reference and the JSON Schema follow the pydantic schema; every command is documented."""

from __future__ import annotations

import json
import re

from proxy.cli import build_parser
from proxy.policy.schema import json_schema
from tests.policy.conftest import REPO

README = (REPO / "policies" / "README.md").read_text(encoding="utf-8")


def schema_fields() -> set[str]:
    schema = json_schema()
    fields = set(schema["properties"])
    for definition in schema["$defs"].values():
        fields.update(definition.get("properties", {}))
    return fields


def test_the_committed_json_schema_is_up_to_date() -> None:
    committed = json.loads((REPO / "policies" / "policy.schema.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(json_schema())), "run: gardefou policy schema --output ..."


def documented_fields() -> set[str]:
    """Fields the reference documents: a table row that opens with the field, or a section heading
    naming it (a mention in passing does not count)."""
    rows = re.findall(r"^\| `([\w.]+)` \|", README, re.M)
    headings = re.findall(r"^#+ `([\w.]+)`", README, re.M)
    return {name.rsplit(".", 1)[-1] for name in (*rows, *headings)}


def test_every_policy_field_is_in_the_french_reference() -> None:
    missing = sorted(schema_fields() - documented_fields())
    assert missing == []


def test_every_policy_command_is_documented() -> None:
    parser = build_parser()
    actions = parser._subparsers._group_actions[0].choices["policy"]._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in actions:
        assert f"gardefou policy {name}" in README
