"""Detection measured on documents whose personal data is listed as values, not as spans.

    .venv/bin/python bench/pii_values.py --corpus FILE [--models DIR] [--misses N]

FILE: JSONL of {"id", "text", "pii": [{"type", "value"}]} (documents written outside the
repository, e.g. by a separate session). Every occurrence of each value in the text is a gold span
of its type. Scoring is label-agnostic (the issue's outside measurement): a gold span is found when
any finding overlaps it, whatever its type; it leaks when one of its letters or digits stays visible
once every finding is redacted (bench/scoring.py). Precision: share of findings that overlap a
listed value, over all findings and without the types a default policy leaves in clear or that are
not personal data (DATE, ORGANIZATION). Nothing is asserted; figures are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script (python bench/pii_values.py): find the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scoring import LabelCounts, Scores, Span, score_document
from proxy.analysis.engine import Detector, load_detection_config
from proxy.analysis.findings import Finding

REPO = Path(__file__).resolve().parent.parent
NOT_COUNTED = frozenset({"DATE", "ORGANIZATION"})
ANY = "ANY"  # every prediction is scored under one label: a hit is any overlap


def gold_spans(text: str, values: Sequence[dict[str, str]]) -> list[Span]:
    """Every occurrence of every listed value, labelled with its type."""
    spans = set()
    for item in values:
        value = item["value"]
        start = text.find(value)
        while value and start != -1:
            spans.add(Span(start, start + len(value), item["type"]))
            start = text.find(value, start + 1)
    return sorted(spans, key=lambda s: (s.start, s.end))


def scored(
    detector: Detector, rows: Sequence[dict[str, object]]
) -> Iterator[tuple[str, list[Span], list[Finding]]]:
    for row in rows:
        text = str(row["text"])
        yield text, gold_spans(text, row["pii"]), detector.detect([text])[0]  # type: ignore[arg-type]


def _row(label: str, counts: LabelCounts) -> None:
    figures = f"{counts.gold:>8}{counts.gold_found:>9}{counts.recall or 0:>8.3f}{counts.leak_rate or 0:>8.3f}"
    print(f"  {label:<16}{figures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--misses", type=int, default=0, help="print N missed values per type")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    detector = Detector(load_detection_config(args.models))
    recall, strict = Scores(), Scores()
    predicted: Counter[str] = Counter()
    right: Counter[str] = Counter()
    misses: dict[str, list[str]] = {}
    for text, gold, found in scored(detector, rows):
        spans = [Span(f.start, f.end, f.entity.value) for f in found]
        score_document(recall, text, [Span(g.start, g.end, "OTHER") for g in gold], spans, ())
        for g in gold:  # per type: the same label-agnostic overlap
            score_document(strict, text, [Span(g.start, g.end, "OTHER")], spans, ())
            strict.by_label[g.label].add(strict.by_label.pop("OTHER"))
            if not any(g.overlaps(s) for s in spans):
                misses.setdefault(g.label, []).append(text[g.start : g.end])
        for span in spans:
            hit = any(span.overlaps(g) for g in gold)
            keys = ("toutes",) if span.label in NOT_COUNTED else ("toutes", "hors DATE/ORGANIZATION")
            for key in keys:
                predicted[key] += 1
                right[key] += hit
    values = sum(c.gold for c in strict.by_label.values())
    print(f"{args.corpus.name} : {len(rows)} documents, {values} valeurs trouvées dans les textes")
    print(f"  {'type':<16}{'valeurs':>8}{'trouvées':>9}{'rappel':>8}{'fuite':>8}")
    for label, counts in sorted(strict.by_label.items(), key=lambda kv: -kv[1].gold):
        _row(label, counts)
    _row("tout", recall.overall(include_other=True))
    for key in predicted:
        share = f"{right[key] / predicted[key]:.3f} ({right[key]}/{predicted[key]} détections)"
        print(f"  précision ({key}) : {share}")
    for label, values in sorted(misses.items()):
        if args.misses:
            print(f"  manqués {label} : {' | '.join(values[: args.misses])}")


if __name__ == "__main__":
    main()
