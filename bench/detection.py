"""Detection quality and speed of Garde-fou's French detector, printed as tables.

    .venv/bin/python bench/detection.py [--corpus FILE] [--limit N] [--identifiers N]
                                        [--policy FILE --service S]

Corpus: JSONL in the format of ../shared/data/pii_fr_dev.jsonl (id, source, text, spans). Modern
text (ECHR judgments + AP-HP clinical templates) is reported apart from the 1906 newspaper OCR;
documents of any other corpus are reported per `source` (the part before any "@").
Then a generated set of structured identifiers (Faker fr_FR, checksum-valid values and
invalid lookalikes). Scoring rules: see bench/scoring.py. Nothing is asserted; figures are printed.
The leak rate counts what stays visible once redacted: by default every finding is redacted; with
--policy (and --service), only what that policy removes (types it allows stay visible).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script (python bench/detection.py): find the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.identifiers import generate, generate_labelled
from bench.scoring import OTHER, LabelCounts, Scores, Span, score_document
from proxy.analysis.engine import Detector, load_detection_config
from proxy.analysis.findings import Finding
from proxy.cli.analyze import Analyser
from proxy.policy.loader import load_policy

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / ".." / "shared" / "data" / "pii_fr_dev.jsonl"
MODERN = ("ECHR", "eds-pseudo")


@dataclass(frozen=True)
class Document:
    id: str
    source: str
    text: str
    gold: tuple[Span, ...]


@dataclass
class Timing:
    seconds: float = 0.0
    chars: int = 0
    docs: int = 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--limit", type=int, default=0, help="at most N corpus documents (0: all)")
    parser.add_argument("--identifiers", type=int, default=40, help="generated values per kind")
    parser.add_argument("--policy", type=Path, help="policy file deciding what is redacted (leak)")
    parser.add_argument("--service", default="", help="service of --policy (default: its defaults)")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip timing spaCy's NER alone on the same texts"
    )
    return parser.parse_args(argv)


def load_corpus(path: Path, limit: int) -> list[Document]:
    documents = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            raw = json.loads(line)
            gold = tuple(Span(s["start"], s["end"], s["label"]) for s in raw["spans"])
            documents.append(Document(raw["id"], raw["source"], raw["text"], gold))
            if limit and len(documents) >= limit:
                break
    return documents


def part_of(source: str) -> str:
    """The dev corpus's parts; a document of another corpus is reported under its own source."""
    if "ECHR" in source:
        return "modern: ECHR"
    if "eds-pseudo" in source:
        return "modern: EDS"
    if "EuropeanaNewspapers" in source or "enp_FR" in source:
        return "newspaper 1906"
    return source.split("@", 1)[0]


def run(detector: Detector, documents: Sequence[Document], timing: Timing) -> list[list[Finding]]:
    results = []
    for document in documents:
        started = time.perf_counter()
        results.append(detector.detect([document.text])[0])
        timing.seconds += time.perf_counter() - started
        timing.chars += len(document.text)
        timing.docs += 1
    return results


def _parts(source: str) -> list[str]:
    modern = ["modern (ECHR + EDS)"] if any(m in source for m in MODERN) else []
    return [part_of(source), *modern]


def _total(timings: Iterable[Timing]) -> Timing:
    total = Timing()
    for timing in timings:
        total.seconds, total.chars, total.docs = (
            total.seconds + timing.seconds,
            total.chars + timing.chars,
            total.docs + timing.docs,
        )
    return total


def bare_ner(detector: Detector) -> Callable[[str], object]:
    """The bare spaCy model with only `ner`: the floor detection cannot go below."""
    import spacy  # only here: the bench compares the detector with spaCy alone

    model = detector.config.model
    meta = spacy.util.get_model_meta(spacy.util.get_package_path(model))
    nlp = spacy.load(model, exclude=[name for name in meta["pipeline"] if name != "ner"])
    nlp("Échauffement.")
    return nlp


def time_floor(nlp: Callable[[str], object], text: str, timing: Timing) -> None:
    started = time.perf_counter()
    nlp(text)
    timing.seconds += time.perf_counter() - started
    timing.chars += len(text)
    timing.docs += 1


def annotated_labels(documents: Iterable[Document]) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = defaultdict(set)
    for document in documents:
        labels[document.source].update(span.label for span in document.gold)
    return labels


Redacted = Callable[[str, Sequence[Finding]], Sequence[Finding]]


def redact_all(text: str, found: Sequence[Finding]) -> Sequence[Finding]:
    return found


def policy_redaction(path: Path, service: str, detector: Detector) -> Redacted:
    """What the policy removes from a text, given what the detector found (thresholds, lists)."""
    analyse = Analyser(load_policy(path), detector, service)

    def redacted(text: str, found: Sequence[Finding]) -> Sequence[Finding]:
        analysis = analyse.decide(text, list(found))
        return [f for f in analysis.findings if analysis.actions[f.entity].removes]

    return redacted


def score_parts(
    documents: Sequence[Document], findings: Sequence[Sequence[Finding]], redaction: Redacted
) -> dict[str, Scores]:
    annotated = annotated_labels(documents)
    parts: dict[str, Scores] = defaultdict(Scores)
    for document, found in zip(documents, findings, strict=True):
        predicted = [Span(f.start, f.end, f.entity.value) for f in found]
        redacted = [Span(f.start, f.end, f.entity.value) for f in redaction(document.text, found)]
        labels = annotated[document.source]
        for part in _parts(document.source):
            score_document(parts[part], document.text, document.gold, predicted, labels, redacted)
    return parts


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def print_table(title: str, scores: Scores) -> None:
    print(f"\n## {title}")
    print(f"{'label':<16}{'gold':>6}{'recall':>8}{'exact':>8}{'leak':>8}{'pred':>7}{'precision':>10}")
    for label in sorted(scores.by_label):
        _print_row(label, scores.by_label[label])
    _print_row("overall", scores.overall())
    if OTHER in scores.by_label:
        print(f"({OTHER}: outside the detector's types; its recall is 'overlapped by any finding')")


def _print_row(label: str, c: LabelCounts) -> None:
    print(
        f"{label:<16}{c.gold:>6}{_fmt(c.recall):>8}{_fmt(c.exact_recall):>8}{_fmt(c.leak_rate):>8}"
        f"{c.predicted:>7}{_fmt(c.precision):>10}"
    )


def print_timing(title: str, timing: Timing) -> None:
    if not timing.docs:
        return
    ms_per_1000 = timing.seconds * 1000 / (timing.chars / 1000)
    print(
        f"\n{title}: {timing.docs} docs, {timing.chars} chars, {timing.docs / timing.seconds:.1f} docs/s, "
        f"{ms_per_1000:.1f} ms per 1,000 chars"
    )


def identifier_documents(per_kind: int, labelled: bool = False) -> list[Document]:
    documents = []
    for i, item in enumerate((generate_labelled if labelled else generate)(per_kind)):
        gold = (Span(item.start, item.start + len(item.value), item.label),) if item.valid else ()
        source = f"generated:{item.label}"
        documents.append(Document(f"gen-{i}", source, item.text, gold))
    return documents


def score_identifiers(documents: Sequence[Document], findings: Sequence[Sequence[Finding]]) -> Scores:
    structured = {d.source.split(":", 1)[1] for d in documents}
    scores = Scores()
    for document, found in zip(documents, findings, strict=True):
        predicted = [Span(f.start, f.end, f.entity.value) for f in found]
        score_document(scores, document.text, document.gold, predicted, structured)
    return scores


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    detector = Detector(load_detection_config(args.models))
    detector.warm_up()
    print(f"detector loaded in {time.perf_counter() - started:.1f} s (config {detector.fingerprint[:12]})")
    return report(detector, args)


def report(detector: Detector, args: argparse.Namespace) -> int:
    """Run the corpus and the generated identifiers through `detector` and print the tables."""
    redaction = policy_redaction(args.policy, args.service, detector) if args.policy else redact_all
    if args.corpus.exists():
        documents = load_corpus(args.corpus, args.limit)
        timings: dict[str, Timing] = defaultdict(Timing)
        findings: list[list[Finding]] = []
        nlp = None if args.no_floor else bare_ner(detector)
        for document in documents:  # the floor is timed right after, on the same text (same load)
            findings.extend(run(detector, [document], timings[part_of(document.source)]))
            if nlp is not None:
                time_floor(nlp, document.text, timings["floor: spaCy NER alone, all corpus"])
        parts = score_parts(documents, findings, redaction)
        known = ("modern (ECHR + EDS)", "modern: ECHR", "modern: EDS", "newspaper 1906")
        for title in (*known, *sorted(set(parts) - set(known))):
            if title in parts:
                print_table(f"{args.corpus.name} — {title}", parts[title])
        timings["all corpus"] = _total(t for title, t in timings.items() if not title.startswith("floor"))
        for title, timing in sorted(timings.items()):
            print_timing(f"speed, {title}", timing)
    else:
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
    if args.identifiers:
        generated = identifier_documents(args.identifiers)
        timing = Timing()
        scores = score_identifiers(generated, run(detector, generated, timing))
        n = args.identifiers
        print_table(f"generated identifiers ({n} valid + {n} lookalikes per kind)", scores)
        print_timing("speed, generated identifiers", timing)
        print_labelled(detector, args.identifiers)
    return 0


def print_labelled(detector: Detector, per_kind: int) -> None:
    """Invalid checksums after a strong label (flagged) and without one (left alone)."""
    documents = identifier_documents(per_kind, labelled=True)
    found = run(detector, documents, Timing())
    print(f"\n## invalid checksums: {per_kind} after a strong label + the same {per_kind} without, per kind")
    print(
        f"{'label':<16}{'labelled':>9}{'flagged':>9}{'recall':>8}{'unlabelled':>11}{'flagged':>9}{'precision':>10}"
    )
    totals = [0, 0, 0, 0]
    for label in dict.fromkeys(d.source.split(":", 1)[1] for d in documents):
        counts = _labelled_counts(
            [(d, f) for d, f in zip(documents, found, strict=True) if d.source.endswith(":" + label)]
        )
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        _print_labelled_row(label, *counts)
    _print_labelled_row("overall", *totals)


def _labelled_counts(pairs: Sequence[tuple[Document, list[Finding]]]) -> list[int]:
    """[labelled, labelled flagged with the right type, unlabelled, unlabelled flagged (any type)]."""
    counts = [0, 0, 0, 0]
    for document, found in pairs:
        if document.gold:
            value = document.gold[0]
            counts[0] += 1
            counts[1] += any(
                f.entity.value == value.label and f.start < value.end and value.start < f.end for f in found
            )
        else:
            counts[2] += 1
            counts[3] += any(
                f.entity.value not in ("DATE", "PERSON", "LOCATION", "ORGANIZATION") for f in found
            )
    return counts


def _print_labelled_row(label: str, labelled: int, hit: int, unlabelled: int, false: int) -> None:
    precision = hit / (hit + false) if hit + false else None
    print(
        f"{label:<16}{labelled:>9}{hit:>9}{_fmt(hit / labelled if labelled else None):>8}"
        f"{unlabelled:>11}{false:>9}{_fmt(precision):>10}"
    )


if __name__ == "__main__":
    sys.exit(main())
