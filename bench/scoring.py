"""Scoring of detection against gold spans: overlap recall/precision, exact boundaries, leak rate.

Pure functions over plain records, shared by bench/detection.py and its generated-identifier set.

How labels are compared:
- a prediction's entity is mapped to a gold label (ADDRESS -> LOCATION; DATE_OF_BIRTH counts for
  a gold DATE too, a DATE for a gold DATE_OF_BIRTH does not: a policy may keep dates but not births);
- OTHER gold spans (file numbers, nationalities, amounts...) are outside the detector's types: they
  get a leak figure only, and predictions on them are not counted as false positives;
- precision only counts predictions of labels the corpus part annotates (the 1906 newspaper part
  annotates PER/LOC/ORG only, so a date found there is neither right nor wrong);
- a gold span leaks when one of its letters or digits stays visible, except in a leading civility,
  title or article ("M.", "Dr", "le" in "le 4 mai 1998"), which reveals nobody.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

OTHER = "OTHER"
_NOT_REVEALING = re.compile(
    r"(?:(?:m|mm|mme|mmes|mlle|mr|dr|pr|me|monsieur|madame|mademoiselle|docteur|professeur|"
    r"lord|lady|sir|le|la|les|l|du)\b[.'’]?\s*)+",
    re.IGNORECASE,
)
_PREDICTED_AS_GOLD = {"ADDRESS": "LOCATION"}
_ALSO_MATCHES = {"DATE": {"DATE_OF_BIRTH"}}


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass
class LabelCounts:
    gold: int = 0
    gold_found: int = 0
    gold_exact: int = 0
    gold_leaked: int = 0
    predicted: int = 0
    predicted_right: int = 0

    def add(self, other: LabelCounts) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float | None:
        return self.gold_found / self.gold if self.gold else None

    @property
    def exact_recall(self) -> float | None:
        return self.gold_exact / self.gold if self.gold else None

    @property
    def leak_rate(self) -> float | None:
        return self.gold_leaked / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        return self.predicted_right / self.predicted if self.predicted else None


@dataclass
class Scores:
    by_label: dict[str, LabelCounts] = field(default_factory=lambda: defaultdict(LabelCounts))

    def overall(self, include_other: bool = False) -> LabelCounts:
        total = LabelCounts()
        for label, counts in self.by_label.items():
            if include_other or label != OTHER:
                total.add(counts)
        return total


def gold_label_of(predicted: str) -> str:
    return _PREDICTED_AS_GOLD.get(predicted, predicted)


def matches(gold: Span, prediction: Span) -> bool:
    label = gold_label_of(prediction.label)
    return gold.overlaps(prediction) and (
        label == gold.label or label in _ALSO_MATCHES.get(gold.label, set())
    )


def score_document(
    scores: Scores,
    text: str,
    gold: Sequence[Span],
    predicted: Sequence[Span],
    annotated: Iterable[str],
    redacted: Sequence[Span] | None = None,
) -> None:
    """Add one document's counts; `redacted` (default: all predictions) decides leaks.

    A gold span leaks when one of its letters or digits is outside every redacted span.
    """
    covered = _covered(predicted if redacted is None else redacted)
    for span in gold:
        _score_gold(scores.by_label[span.label], span, predicted, _leaks(text, span, covered))
    labels = set(annotated)
    for prediction in predicted:
        _score_prediction(scores, prediction, gold, labels)


def _score_gold(counts: LabelCounts, span: Span, predicted: Sequence[Span], leaked: bool) -> None:
    counts.gold += 1
    if span.label == OTHER:
        counts.gold_found += any(span.overlaps(p) for p in predicted)
    else:
        hits = [p for p in predicted if matches(span, p)]
        counts.gold_found += bool(hits)
        counts.gold_exact += any(p.start == span.start and p.end == span.end for p in hits)
    counts.gold_leaked += leaked


def _score_prediction(scores: Scores, prediction: Span, gold: Sequence[Span], annotated: set[str]) -> None:
    label = gold_label_of(prediction.label)
    if label not in annotated:
        return
    if any(g.label == OTHER and g.overlaps(prediction) for g in gold):
        return
    counts = scores.by_label[label]
    counts.predicted += 1
    counts.predicted_right += any(matches(g, prediction) for g in gold)


def _leaks(text: str, span: Span, covered: set[int]) -> bool:
    prefix = _NOT_REVEALING.match(text, span.start, span.end)
    start = prefix.end() if prefix else span.start
    return any(text[i].isalnum() and i not in covered for i in range(start, span.end))


def _covered(spans: Iterable[Span]) -> set[int]:
    return {i for span in spans for i in range(span.start, span.end)}
