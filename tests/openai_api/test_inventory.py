"""The wire inventory classifies every field and every part type the official SDK can send.

When a new `openai` version adds a request field or a content-part type, these tests fail until the
field is classified in proxy/openai_api/inventory.yaml (text, structural, replaced or refused).
"""

from __future__ import annotations

import pytest

from proxy.openai_api.inventory import Kind, Node, Route, Treatment, routes, segments
from tests.openai_api.sdk_fields import ROUTE_PARAMS, route_fields

# Part types that carry a file, an image or a sound: a list that may hold them must be dispatched.
FILE_LIKE = frozenset({"image_url", "input_image", "input_file", "input_audio", "file"})
# Structural types whose inside is validated by the type itself (no sub-field to list).
WHOLE = frozenset({"enum_list", "token_map"})


def test_every_served_route_is_derived_from_the_sdk() -> None:
    assert set(routes()) == set(ROUTE_PARAMS)


def classification(route: Route, path: str) -> str | None:
    """The treatment that applies to an SDK path, or None if nobody classified it: an explicit rule
    for the path, or a text/replaced/refused (or whole structural) rule on one of its ancestors.
    The root's default (text) does not count: every top-level field must be listed."""
    node: Node | None = route.root
    found: str | None = None
    parts = segments(path)
    for depth, segment in enumerate(parts, start=1):
        node = _step(node, segment)
        if node is None:
            return found
        rule = node.rule
        if rule is None:
            continue
        if depth == len(parts):
            return rule.treatment.value
        covers = rule.treatment is not Treatment.STRUCTURAL or rule.type in WHOLE
        found = rule.treatment.value if covers else None
    return found


def _step(node: Node | None, segment: str) -> Node | None:
    if node is None:
        return None
    if segment == "[]":
        return node.item
    if segment == "{}":
        return node.value
    return node.keys.get(segment)


@pytest.mark.parametrize("name", sorted(ROUTE_PARAMS))
def test_every_sdk_field_is_classified(name: str) -> None:
    route = routes()[name]
    unclassified = sorted(p for p in route_fields(name).paths if classification(route, p) is None)
    assert unclassified == [], f"{name}: classify these fields in inventory.yaml: {unclassified}"


@pytest.mark.parametrize("name", sorted(ROUTE_PARAMS))
def test_every_part_type_of_a_dispatched_list_is_classified(name: str) -> None:
    route, fields = routes()[name], route_fields(name)
    for path, dispatch in route.kinds.items():
        unknown = fields.types.get(path, set()) - set(dispatch.types)
        assert not unknown, f"{name}: classify these types of {path} in inventory.yaml: {sorted(unknown)}"


@pytest.mark.parametrize("name", sorted(ROUTE_PARAMS))
def test_every_list_that_may_carry_a_file_is_dispatched(name: str) -> None:
    route, fields = routes()[name], route_fields(name)
    for path, literals in fields.types.items():
        if path.endswith("{}"):
            continue  # map values: caught by the attachment types themselves (next test)
        if literals & FILE_LIKE and classification(route, path.removesuffix("[]") or path) != "refused":
            assert path in route.kinds, f"{name}: {path} may carry {sorted(literals & FILE_LIKE)}"
            assert all(route.kinds[path].types[t] is Kind.ATTACHMENT for t in literals & FILE_LIKE)


@pytest.mark.parametrize("name", sorted(ROUTE_PARAMS))
def test_the_inventory_names_only_fields_the_sdk_knows(name: str) -> None:
    """A typo in the inventory would classify nothing: every listed field exists in the SDK."""
    paths = route_fields(name).paths
    known = paths | {p.rsplit("[]", 1)[0] for p in paths} | {prefix for p in paths for prefix in _prefixes(p)}
    assert sorted(set(routes()[name].rules) - known) == []


def _prefixes(path: str) -> list[str]:
    parts = segments(path)
    return [
        "".join(s if s in ("[]", "{}") or i == 0 else f".{s}" for i, s in enumerate(parts[:n]))
        for n in range(1, len(parts))
    ]


def test_attachment_types_include_every_sdk_file_part() -> None:
    for name in ROUTE_PARAMS:
        for literals in route_fields(name).types.values():
            assert literals & FILE_LIKE <= next(iter(routes().values())).attachment_types


def test_a_field_nobody_classified_is_reported() -> None:
    """The checks above can fail: a new top-level field, or a new sub-field of a structural object."""
    chat = routes()["chat.completions"]
    assert classification(chat, "brand_new_field") is None
    assert classification(chat, "stream_options.brand_new_flag") is None
    assert classification(chat, "messages[].brand_new_part.text") == "text"
    assert classification(chat, "logit_bias{}") == "structural"
