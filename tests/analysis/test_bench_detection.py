"""bench/detection.py: the scoring rules on hand-made spans, and a tiny run of the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.detection import parse_args, report
from bench.scoring import Scores, Span, score_document
from proxy.analysis.engine import Detector

TEXT = "M. Jean Dupont habite à Lyon depuis le 4 mai 1998."


def _scores(predicted: list[Span], redacted: list[Span] | None = None) -> Scores:
    gold = [Span(0, 14, "PERSON"), Span(24, 28, "LOCATION"), Span(36, 49, "DATE")]
    scores = Scores()
    score_document(scores, TEXT, gold, predicted, {"PERSON", "LOCATION", "DATE"}, redacted)
    return scores


def test_overlap_exact_and_leak() -> None:
    scores = _scores([Span(3, 14, "PERSON"), Span(24, 28, "ADDRESS"), Span(39, 49, "DATE_OF_BIRTH")])
    person, place, date = (scores.by_label[k] for k in ("PERSON", "LOCATION", "DATE"))
    assert (person.recall, person.exact_recall, person.leak_rate) == (1.0, 0.0, 0.0)  # "M." reveals nobody
    assert (place.recall, place.exact_recall, place.precision) == (
        1.0,
        1.0,
        1.0,
    )  # ADDRESS counts as LOCATION
    assert (date.recall, date.leak_rate) == (1.0, 0.0)  # "le" reveals nothing


def test_wrong_type_is_a_miss_and_a_false_positive_but_still_hides() -> None:
    scores = _scores([Span(3, 14, "LOCATION")])
    assert scores.by_label["PERSON"].recall == 0.0
    assert scores.by_label["PERSON"].leak_rate == 0.0
    assert scores.by_label["LOCATION"].precision == 0.0


def test_what_the_policy_keeps_leaks() -> None:
    found = [Span(3, 14, "PERSON"), Span(39, 49, "DATE")]
    scores = _scores(found, redacted=found[:1])
    assert scores.by_label["DATE"].recall == 1.0
    assert scores.by_label["DATE"].leak_rate == 1.0


def test_report_runs_on_a_tiny_corpus(
    detector: Detector, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "mini.jsonl"
    spans = [{"start": 3, "end": 14, "label": "PERSON"}, {"start": 24, "end": 28, "label": "LOCATION"}]
    rows = [
        {"id": "a", "source": "ECHR test", "text": TEXT, "spans": spans},
        {"id": "b", "source": "EuropeanaNewspapers", "text": TEXT, "spans": spans},
    ]
    corpus.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), encoding="utf-8")
    assert report(detector, parse_args(["--corpus", str(corpus), "--identifiers", "1"])) == 0
    printed = capsys.readouterr().out
    assert "modern (ECHR + EDS)" in printed and "newspaper 1906" in printed
    assert "generated identifiers (1 valid + 1 lookalikes per kind)" in printed
    assert "ms per 1,000 chars" in printed
