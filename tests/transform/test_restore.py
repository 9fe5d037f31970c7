"""Restore: tolerant to light rewriting, never producing a value the request did not carry, and the
same whether the answer comes whole or cut into any chunks (the carry staying bounded)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.transform.restore import CARRY_BOUND, StreamRestorer, restore, restore_json_string
from proxy.transform.vault import Vault
from tests.transform.samples import (
    PLACEHOLDERS,
    VALUES_A,
    VALUES_B,
    VAULT,
    answers,
    cuts,
    pieces,
    plain,
    rewritings,
    vault_of,
)

EXAMPLES = settings(max_examples=400, deadline=None)


def _streamed(parts: list[str], stream: StreamRestorer) -> str:
    out = []
    for piece in parts:
        out.append(stream.feed(piece))
        assert len(stream.carry) <= CARRY_BOUND
    return "".join(out) + stream.flush()


@EXAMPLES
@given(st.lists(st.tuples(plain, st.integers(0, len(VALUES_A) - 1), st.integers(0, 5))))
def test_every_writing_of_an_own_placeholder_is_restored(parts: list[tuple[str, int, int]]) -> None:
    text = "".join(before + rewritings(PLACEHOLDERS[i])[way] for before, i, way in parts)
    expected = "".join(before + VALUES_A[i][1] for before, i, _ in parts)
    assert restore(text, VAULT) == expected


@EXAMPLES
@given(answers)
def test_another_callers_placeholders_never_yield_their_values(answer: str) -> None:
    restored = restore(answer, VAULT)
    for _, value in VALUES_B:
        assert value not in restored
    assert restore(answer, vault_of(())) == answer  # an empty vault restores nothing


@EXAMPLES
@given(answers, cuts)
def test_streamed_restore_equals_whole_restore(answer: str, at: list[int]) -> None:
    assert _streamed(pieces(answer, at), StreamRestorer(VAULT)) == restore(answer, VAULT)


@EXAMPLES
@given(st.lists(st.tuples(plain, st.integers(0, len(VALUES_A) - 1), st.integers(0, 5)), max_size=6))
def test_streamed_tool_arguments_are_valid_json_with_the_values(parts: list[tuple[str, int, int]]) -> None:
    fields = {f"k{n}": before + rewritings(PLACEHOLDERS[i])[way] for n, (before, i, way) in enumerate(parts)}
    arguments = json.dumps(fields, ensure_ascii=False)
    whole = restore_json_string(arguments, VAULT)
    expected = {f"k{n}": before + VALUES_A[i][1] for n, (before, i, _) in enumerate(parts)}
    assert json.loads(whole) == expected
    for size in (1, 2, 7):
        cut = list(range(0, len(arguments), size))
        assert _streamed(pieces(arguments, cut), StreamRestorer(VAULT, restore_json_string)) == whole


def test_unknown_placeholders_and_masks_stay_as_written() -> None:
    text = "Voir [PERSONNE_0], [NIR] et [Note 3]"
    assert restore(text, VAULT) == text
    assert restore(text, Vault({}, {}, {})) == text


def test_text_flows_without_waiting_when_no_placeholder_is_open() -> None:
    stream = StreamRestorer(VAULT)
    assert stream.feed("Bonjour, ") == "Bonjour, "
    assert stream.feed(f"merci {str(PLACEHOLDERS[0])[:5]}") == "merci "
    assert stream.feed(str(PLACEHOLDERS[0])[5:] + " !") == VALUES_A[0][1] + " !"
