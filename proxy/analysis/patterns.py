"""The shape of a pattern recognizer: regular expressions, validation and the need for context.

Pure data: the French catalogue (`patterns_fr`) is built from these records and the Presidio
adapter (`recognizers_fr`) turns them into recognizers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from proxy.entities import Entity

Validator = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Pattern:
    """One regular expression of a recognizer.

    `score` is given to a match that passes `validate` (when there is one); a match that fails it
    is dropped. `needs_context` drops a match that has no context word before it. `shrink` retries a
    failed validation on the match cut at its last separator (greedy grouped numbers). `group`
    names the regex group that is the finding (the rest of the match is context, e.g. "né le").
    `not_after` drops a match that the text just before it disqualifies ("collège Jean Moulin").
    `split` cuts the finding into one finding per part between separators ("Yanis, Inès et Adam").
    """

    regex: str
    score: float
    validate: Validator | None = None
    needs_context: bool = False
    shrink: bool = False
    flags: int = 0
    group: int = 0
    not_after: str | None = None  # a match right after this (regex ending in $) is dropped
    split: str | None = None  # separators inside the finding that part several findings

    def compile(self) -> re.Pattern[str]:
        return re.compile(self.regex, self.flags)


@dataclass(frozen=True, slots=True)
class RecognizerSpec:
    """A named pattern recognizer for one entity type."""

    name: str
    entity: Entity
    patterns: tuple[Pattern, ...]
