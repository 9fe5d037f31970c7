"""Markup-safe spans: a finding never covers markup or the punctuation that ends a sentence.

Front-ends wrap documents in tags (Open WebUI's `<source>`), agents paste HTML and Markdown: a name
at the end of a sentence must not swallow ". </source>", or redaction breaks the structure
("Maëlys Guéguen.</source>" -> "[PERSONNE_1]>"). A finding is cut at the first markup character
(the longest piece between markup is kept); a name, place, organisation or address then loses its
trailing punctuation (a final dot is kept after an initial: "Jean D.").
"""

from __future__ import annotations

import re
from dataclasses import replace

from proxy.analysis.findings import Finding
from proxy.entities import Entity

# No personal data holds these: tags (whole, or cut by the finding's edges), Markdown emphasis, code
# and link targets ("[Paul Durand](https://...)").
_MARKUP = re.compile(r"<[^<>]*>|<[^<>]*$|^[^<>]*>|[<>*`|]|_{2,}|\]\([^)]*\)?|\[(?=[^\]]*\]\()")
# Types whose end is free text (the NER's): their trailing punctuation is not theirs. A date's end
# is fixed by its pattern ("1er janv.").
_FREE_TEXT = frozenset({Entity.PERSON, Entity.LOCATION, Entity.ORGANIZATION, Entity.ADDRESS})
_TRAILING = frozenset(" \t\n\r\u00a0\"'’«»“”()[]{},;:!?…-–—/\\.")
_CLOSERS = {")": "(", "]": "["}
_INITIAL = re.compile(r"(?<![^\W\d_])[^\W\d_]\.$")  # "D." ends "Jean D."


def clip(text: str, finding: Finding) -> Finding | None:
    """The finding without markup or trailing punctuation; None when nothing is left."""
    start, end = _outside_markup(text, finding.start, finding.end)
    if finding.entity in _FREE_TEXT:
        end = _without_trailing(text, start, end)
    if end <= start:
        return None
    if (start, end) == (finding.start, finding.end):
        return finding
    return replace(finding, start=start, end=end)


def _outside_markup(text: str, start: int, end: int) -> tuple[int, int]:
    """The longest piece of [start, end) between markup."""
    span = text[start:end]
    best, cursor = (0, 0), 0
    for marker in _MARKUP.finditer(span):
        if marker.start() - cursor > best[1] - best[0]:
            best = (cursor, marker.start())
        cursor = marker.end()
    if len(span) - cursor > best[1] - best[0]:
        best = (cursor, len(span))
    piece_start, piece_end = start + best[0], start + best[1]
    while piece_start < piece_end and text[piece_start].isspace():
        piece_start += 1
    return piece_start, piece_end


def _without_trailing(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _TRAILING:
        last = text[end - 1]
        if last == "." and _INITIAL.search(text, start, end) and text[end - 2].isupper():
            break  # "Jean D."
        if last in _CLOSERS and text.count(_CLOSERS[last], start, end) >= text.count(last, start, end):
            break  # "[L.]", "Marie (dite Mimi)"
        end -= 1
    return end
