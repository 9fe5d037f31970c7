"""Detection on a normalised view, findings in the original offsets (invisible and look-alike
characters, space variants, full-width digits), with the real detector."""

from __future__ import annotations

import itertools
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxy.analysis.engine import Detector
from proxy.analysis.lists import apply_lists
from proxy.analysis.normalise import HOMOGLYPHS, HYPHENS, NormalisedText, normalise
from proxy.entities import Entity
from proxy.policy.lexicon import sentences

INVISIBLE = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\xad",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u061c",
    "\x00",
    "\x01",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9f",
)
SPACES = ("\u00a0", "\u202f", "\u2009", "\u2007", "\u2002", "\u2003", "\u200a", "\u205f", "\u3000")
LATIN_TO_LOOKALIKE = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х"}  # Cyrillic
VALUES = (
    (Entity.PERSON, "Camille Martin"),
    (Entity.PHONE, "06 12 34 56 78"),
    (Entity.EMAIL, "camille.martin@exemple.fr"),
    (Entity.IBAN, "FR76 3000 6000 0112 3456 7890 189"),
)
TEMPLATE = (
    "Bonjour, Madame {0} a appelé la mairie. Vous pouvez la joindre au {1} ou par courriel à "
    "{2}. Le remboursement se fera sur l'IBAN {3}. Merci de lui répondre avant vendredi."
)


def _spans(view: NormalisedText) -> list[tuple[int, int]]:
    return [view.origin(index) for index in range(len(view.text))]


def test_a_text_that_needs_nothing_is_its_own_view() -> None:
    text = "Demande n° 12 : « Très bien », c’est l’été – œuvre à 15 €. Hélène, ÉTÉ, naïve.\n\tFin."
    view = normalise(text)
    assert view.text is text and not view.changed
    assert view.original_span(3, 9) == (3, 9)


def test_each_kind_of_change() -> None:
    cases = {
        "06\u202f12\u00a034": "06 12 34",
        "Du\u200bpo\u00adnt\ufeff\x00": "Dupont",
        "\uff10\uff16 \U0001d7ce\U0001d7cf": "06 01",
        "He\u0301le\u0300ne": "Hélène",
        "ﬁche …": "fiche ...",
        "06\u201112": "06-12",
        "j\u0435an.dupont@exemple.fr": "jean.dupont@exemple.fr",
        "Женя Петрова": "Женя Петрова",  # a Cyrillic word keeps its letters
        "\u200b\u200d": "",
        "a\tb\nc\r": "a\tb\nc\r",
    }
    for original, expected in cases.items():
        assert normalise(original).text == expected, repr(original)


def test_every_look_alike_is_folded_inside_a_latin_word() -> None:
    for lookalike, latin in {**HOMOGLYPHS, **HYPHENS}.items():
        assert normalise(f"ab{lookalike}cd").text == f"ab{latin}cd", repr(lookalike)


def test_a_removed_character_inside_a_span_is_inside_its_original_span() -> None:
    view = normalise("tel 06\u200b12 fin")
    start = view.text.index("0612")
    assert view.original_span(start, start + 4) == (4, 9)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=["Cs"]), max_size=60))
def test_the_map_back_is_monotonic_and_within_bounds(text: str) -> None:
    view = normalise(text)
    spans = _spans(view)
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in itertools.pairwise(spans))
    assert not any(unicodedata.category(c) in ("Cf", "Zs") and c != " " for c in view.text)
    if view.text:
        assert view.original_span(0, len(view.text))[1] <= len(text)


def _disguised(draw: st.DrawFn, entity: Entity, value: str) -> str:
    """The value with invisible characters between its characters, other spaces, full-width
    digits and (e-mail) Cyrillic look-alike letters."""
    out: list[str] = []
    for index, character in enumerate(value):
        if character == " " and draw(st.booleans()):
            character = draw(st.sampled_from(SPACES))
        elif character.isdigit() and draw(st.booleans()):
            character = chr(0xFF10 + int(character))
        elif entity is Entity.EMAIL and character in LATIN_TO_LOOKALIKE and draw(st.booleans()):
            character = LATIN_TO_LOOKALIKE[character]
        out.append(character)
        if index < len(value) - 1 and draw(st.booleans()):
            out.append(draw(st.sampled_from(INVISIBLE)))
    return "".join(out)


def _placed(template: str, values: list[str]) -> tuple[str, list[tuple[int, int]]]:
    text, spans = "", []
    pieces = template.split("{")
    text = pieces[0]
    for piece, value in zip(pieces[1:], values, strict=True):
        spans.append((len(text), len(text) + len(value)))
        text += value + piece[2:]
    return text, spans


def test_the_clean_letter_gives_every_value(detector: Detector) -> None:
    text, spans = _placed(TEMPLATE, [value for _, value in VALUES])
    found = {(f.entity, f.start, f.end) for f in detector.detect([text])[0]}
    assert {(entity, *span) for (entity, _), span in zip(VALUES, spans, strict=True)} <= found


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_disguised_values_are_found_and_covered_whole(detector: Detector, data: st.DataObject) -> None:
    disguised = [_disguised(data.draw, entity, value) for entity, value in VALUES]
    text, spans = _placed(TEMPLATE, disguised)
    findings = detector.detect([text])[0]
    for (entity, _), (start, end) in zip(VALUES, spans, strict=True):
        covering = [f for f in findings if f.entity is entity and f.start <= start and end <= f.end]
        assert covering, f"{entity} not covered in {text!r}"
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
    assert all(0 <= f.start < f.end <= len(text) for f in findings)


def test_deny_list_terms_are_found_through_invisible_characters() -> None:
    text = "Le Projet Hiron\u200bdelle\u00a0avance."
    found = apply_lists(text, [], (), ("Projet Hirondelle",))
    assert [text[f.start : f.end] for f in found] == ["Projet Hiron\u200bdelle"]


def test_policy_keywords_are_read_through_invisible_characters() -> None:
    assert sentences("Un arrêt mala\u200bdie\u00ad.") == sentences("Un arrêt maladie.")
    assert sentences("Un ＲＳＡ") == sentences("Un RSA")
