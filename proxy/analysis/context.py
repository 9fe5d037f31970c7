"""French context words: does a context word appear shortly before a match?"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ContextWords:
    """Lower-cased words or phrases, matched at a word start in the `window` characters before."""

    regex: re.Pattern[str] | None
    window: int

    @classmethod
    def build(cls, words: Sequence[str], window: int) -> ContextWords:
        if not words or window == 0:
            return cls(None, window)
        ordered = sorted({word.lower() for word in words}, key=len, reverse=True)
        alternatives = "|".join(re.escape(word) for word in ordered)
        return cls(re.compile(rf"(?<!\w)(?:{alternatives})"), window)

    def found_before(self, text: str, start: int) -> bool:
        if self.regex is None:
            return False
        return self.regex.search(text[max(0, start - self.window) : start].lower()) is not None
