"""Run one pattern recognizer spec on a text, as the detector does (Presidio adapter, context words)."""

from __future__ import annotations

from collections.abc import Sequence

from proxy.analysis.context import ContextWords
from proxy.analysis.patterns import RecognizerSpec
from proxy.analysis.recognizers_fr import FrenchPatternRecognizer


def found(spec: RecognizerSpec, text: str, context: Sequence[str] = ()) -> list[str]:
    """The surfaces the spec finds in `text`, in order; a match inside a longer one of the same spec
    (another of its patterns) is left out, as the detector's overlap resolution would."""
    recognizer = FrenchPatternRecognizer(spec, ContextWords.build(context, 60), 0.35)
    spans = sorted({(r.start, r.end) for r in recognizer.analyze(text, [])}, key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if not any(s <= start and end <= e for s, e in kept):
            kept.append((start, end))
    return [text[start:end] for start, end in kept]
