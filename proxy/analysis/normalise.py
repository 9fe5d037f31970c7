"""The normalised view of a text that detection reads, with a map back to the original offsets.

Invisible and look-alike characters defeat detection (a zero-width space inside a phone number, a
narrow no-break space between its pairs, full-width digits, a Cyrillic letter inside an e-mail).
Detection therefore reads a normalised view:

- format and control characters are removed (zero-width space/joiner/non-joiner, word joiner,
  BOM, soft hyphen, bidi controls, NUL and the other C0/C1 controls except tab, LF and CR);
- every space variant (no-break, narrow no-break, thin, figure, ideographic...) is a plain space;
- each character (with its combining marks) is put in Unicode NFKC form: full-width digits and
  letters, ligatures, mathematical letters become ASCII;
- hyphen look-alikes become "-", and Cyrillic or Greek letters that look like Latin ones are
  folded to them inside words that hold Latin letters (pure Cyrillic or Greek words are kept).

Findings on the view are mapped back to the original (`original_span`), so a redaction removes the
whole original span, invisible characters included. Most texts need none of this: one search of
a precompiled pattern tells, and the text itself is then its own view.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace

from proxy.analysis.findings import Finding
from proxy.analysis.wordlists import pairs

# Look-alikes folded inside words that hold Latin letters (lower and upper case): data/homoglyphs.txt.
HOMOGLYPHS = pairs("homoglyphs.txt")
HYPHENS = {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-", "\ufe63": "-", "\uff0d": "-"}
_KEPT_CONTROLS = "\t\n\r"
_WORD_REACH = 64  # characters looked at on each side of a look-alike for a Latin letter
_WORD_CHARS = frozenset("@.-_+'")
_STABLE_UP_TO = 0x2500  # characters above are always looked at (rare in French texts)


@dataclass(frozen=True, slots=True)
class _Piece:
    """Normalised [start, start+length) comes from original [origin, origin+span). `linear`: the
    piece was copied, so each character maps to one original character; otherwise every
    character of the piece maps to the whole original span."""

    start: int
    length: int
    origin: int
    span: int
    linear: bool


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A text as detection reads it, and where each of its characters comes from."""

    original: str
    text: str
    pieces: tuple[_Piece, ...] = ()  # empty: `text` is `original`
    starts: tuple[int, ...] = ()  # each piece's start in `text`, for bisection

    @property
    def changed(self) -> bool:
        return bool(self.pieces)

    def origin(self, index: int) -> tuple[int, int]:
        """The original [start, end) of the view's character at `index`."""
        if not self.pieces:
            return index, index + 1
        piece = self.pieces[max(0, bisect.bisect_right(self.starts, index) - 1)]
        if piece.linear:
            at = piece.origin + index - piece.start
            return at, at + 1
        return piece.origin, piece.origin + piece.span

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view's [start, end): from the first character's origin to the
        last one's end (characters removed in between are inside it)."""
        if not self.pieces:
            return start, end
        return self.origin(start)[0], self.origin(end - 1)[1]


def normalise(text: str) -> NormalisedText:
    """The normalised view of `text` (the text itself when nothing needs changing)."""
    if _unstable().search(text) is None:
        return NormalisedText(text, text)
    parts: list[str] = []
    pieces: list[_Piece] = []
    copied_to, length = 0, 0
    rewrites = list(_rewrites(text))
    if not rewrites:
        return NormalisedText(text, text)
    for start, end, replacement in rewrites:
        if start > copied_to:
            parts.append(text[copied_to:start])
            pieces.append(_Piece(length, start - copied_to, copied_to, start - copied_to, linear=True))
            length += start - copied_to
        if replacement:
            parts.append(replacement)
            pieces.append(_Piece(length, len(replacement), start, end - start, linear=False))
            length += len(replacement)
        copied_to = end
    if copied_to < len(text):
        parts.append(text[copied_to:])
        pieces.append(_Piece(length, len(text) - copied_to, copied_to, len(text) - copied_to, linear=True))
    if not pieces:  # nothing left: every character was invisible
        pieces.append(_Piece(0, 0, 0, len(text), linear=False))
    return NormalisedText(text, "".join(parts), tuple(pieces), tuple(p.start for p in pieces))


def _rewrites(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, replacement) for each unit of `text` (a character and its combining marks)
    that normalisation changes."""
    consumed = 0
    for match in _unstable().finditer(text):
        if match.start() < consumed:
            continue  # a combining mark already taken with its base character
        start, end = _unit(text, match.start(), consumed)
        consumed = end
        unit = text[start:end]
        replacement = _normalised_unit(unit)
        lookalike = unit if unit in HOMOGLYPHS else replacement  # before NFKC: ϲ would become ς
        if lookalike in HOMOGLYPHS and _in_latin_word(text, start, end):
            replacement = HOMOGLYPHS[lookalike]
        if replacement != unit:
            yield start, end, replacement


def _unit(text: str, index: int, consumed: int) -> tuple[int, int]:
    """The character at `index` with the combining marks after it (a mark's base character, if
    not taken yet, starts the unit)."""
    start = index
    if unicodedata.combining(text[index]) and index > consumed and text[index - 1] != "\n":
        start = index - 1
    end = index + 1
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return start, end


def _normalised_unit(unit: str) -> str:
    """One character (with its combining marks) as detection reads it."""
    if len(unit) == 1:
        category = unicodedata.category(unit)
        if category == "Zs":
            return " "
        if category in ("Cf", "Cc") and unit not in _KEPT_CONTROLS:
            return ""
        if unit in HYPHENS:
            return HYPHENS[unit]
    return unicodedata.normalize("NFKC", unit)


def _in_latin_word(text: str, start: int, end: int) -> bool:
    """Whether the word around text[start:end] holds an ASCII letter (looking a bounded distance)."""
    left = (text[i] for i in range(start - 1, max(-1, start - 1 - _WORD_REACH), -1))
    right = (text[i] for i in range(end, min(len(text), end + _WORD_REACH)))
    return _latin_before_boundary(left) or _latin_before_boundary(right)


def _latin_before_boundary(characters: Iterator[str]) -> bool:
    for character in characters:
        if character.isascii() and character.isalpha():
            return True
        if not (character.isalnum() or character in _WORD_CHARS or _removed_or_mark(character)):
            return False
    return False


def _removed_or_mark(character: str) -> bool:
    """Invisible characters, controls (but tab and line ends) and combining marks: not word ends."""
    category = unicodedata.category(character)
    return category in ("Cf", "Mn", "Me") or (category == "Cc" and character not in _KEPT_CONTROLS)


@functools.cache
def _unstable() -> re.Pattern[str]:
    """A character that normalisation may change (any that is not known to be left as it is)."""
    return re.compile(f"[^{_stable_class()}]")


def _stable_class() -> str:
    """A regex class of the characters below U+2500 that normalisation leaves as they are."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x20, _STABLE_UP_TO):
        if _is_stable(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "\\t\\n\\r" + "".join(_class_range(low, high) for low, high in ranges)


def _is_stable(character: str) -> bool:
    if character in HOMOGLYPHS or character in HYPHENS or 0x1100 <= ord(character) <= 0x11FF:
        return False  # Hangul jamo compose with their neighbours
    if unicodedata.category(character)[0] in "CMZ" and character != " ":
        return False
    return unicodedata.normalize("NFKC", character) == character


def _class_range(low: int, high: int) -> str:
    return re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"


def original_findings(view: NormalisedText, findings: list[Finding]) -> list[Finding]:
    """Findings on the view, as spans of the original text (sorted, still disjoint: a finding that
    starts inside the unit where the previous one ends starts after it)."""
    if not view.changed:
        return findings
    mapped: list[Finding] = []
    for finding in findings:
        start, end = view.original_span(finding.start, finding.end)
        if mapped and start < mapped[-1].end:
            start = mapped[-1].end
        if start < end:
            mapped.append(replace(finding, start=start, end=end))
    return mapped
