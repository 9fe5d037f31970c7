"""Markup-safe spans: corpora wrapped in HTML/XML and Markdown keep every tag once redacted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from proxy.analysis.engine import Detector
from proxy.analysis.findings import Finding
from proxy.analysis.markup import clip
from proxy.entities import Entity
from proxy.policy.schema import Action
from proxy.transform.placeholders import PlaceholderStyle
from proxy.transform.redact import redact
from proxy.transform.vault import build_vault

REPO = Path(__file__).resolve().parents[2]
CORPORA = [REPO / "bench" / "data" / "local_gov_fr.jsonl", REPO / "bench" / "data" / "agent_prompts_fr.jsonl"]
DEV_CORPUS = REPO.parent / "shared" / "data" / "pii_fr_dev.jsonl"  # outside the repository: when present
DEV_DOCUMENTS = 60
KEY = b"k" * 32
_TAG = re.compile(r"</?[a-z][^<>@]*>")  # not "<jb.morel@gmail.com>", an address to redact
_MARKDOWN = re.compile(r"\*\*|\]\(#\)|^> |^# ", re.M)


def _rows(path: Path, limit: int = 0) -> list[dict[str, object]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in (lines[:limit] if limit else lines)]


def _wrap(text: str, spans: list[dict[str, int]], before: str, after: str) -> str:
    """Each annotated value wrapped (the hardest place for a tag: right after a name)."""
    parts, cursor = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        if span["start"] < cursor:
            continue
        parts += [text[cursor : span["start"]], before, text[span["start"] : span["end"]], after]
        cursor = span["end"]
    return "".join([*parts, text[cursor:]])


def html(row: dict[str, object]) -> str:
    text = _wrap(str(row["text"]), row["spans"], "<b>", "</b>")  # type: ignore[arg-type]
    paragraphs = "\n".join(f"<p>{line}</p>" for line in text.split("\n"))
    return f'<source id="1">{paragraphs}</source>\n<source id="2">{row["text"]}</source>'


def markdown(row: dict[str, object]) -> str:
    bold = _wrap(str(row["text"]), row["spans"], "**", "**")  # type: ignore[arg-type]
    linked = _wrap(str(row["text"]), row["spans"], "[", "](#)")  # type: ignore[arg-type]
    return f"# Dossier\n\n{bold}\n\n> {linked}"


def _marks(text: str) -> tuple[list[str], list[str]]:
    return _TAG.findall(text), _MARKDOWN.findall(text)


def _redacted(detector: Detector, texts: list[str]) -> list[str]:
    findings = detector.detect(texts)
    actions = dict.fromkeys(Entity, Action.PSEUDONYMISE)
    style = PlaceholderStyle.TYPED
    vault = build_vault(KEY, style, texts, findings, actions)
    return [redact(text, found, actions, vault, style) for text, found in zip(texts, findings, strict=True)]


@pytest.mark.parametrize("wrap", [html, markdown])
def test_every_tag_survives_redaction(detector: Detector, wrap: object) -> None:
    rows = [(path.name, row) for path in CORPORA for row in _rows(path)]
    if DEV_CORPUS.exists():
        rows += [(DEV_CORPUS.name, row) for row in _rows(DEV_CORPUS, DEV_DOCUMENTS)]
    texts = [wrap(row) for _, row in rows]  # type: ignore[operator]
    damaged = [
        f"{name}:{row['id']}"
        for (name, row), text, redacted in zip(rows, texts, _redacted(detector, texts), strict=True)
        if _marks(text) != _marks(redacted)
    ]
    assert len(rows) >= 105
    assert damaged == []


def test_a_name_before_a_closing_tag_keeps_the_tag(detector: Detector) -> None:
    texts = ["…sa fille Maëlys Guéguen.</source>", "<b>M. Jean Martin.</b>", "**Jean Dupont**."]
    assert _redacted(detector, texts)[0].endswith("].</source>")
    assert re.fullmatch(r"<b>M\. \[PERSONNE_\d+\]\.</b>", _redacted(detector, texts[1:2])[0])
    assert re.fullmatch(r"\*\*\[PERSONNE_\d+\]\*\*\.", _redacted(detector, texts[2:])[0])


@pytest.mark.parametrize(
    ("text", "span", "kept"),
    [
        ("Maëlys Guéguen.</source>", (0, 22), "Maëlys Guéguen"),
        ("<b>Jean Martin</b>", (0, 14), "Jean Martin"),
        ("[Paul Durand](https://exemple.fr)", (0, 25), "Paul Durand"),
        ("Signé Jean D.", (6, 13), "Jean D."),
        ("Lyon, ", (0, 6), "Lyon"),
        ("**Marie**", (0, 9), "Marie"),
    ],
)
def test_clip_keeps_the_name_alone(text: str, span: tuple[int, int], kept: str) -> None:
    clipped = clip(text, Finding(*span, Entity.PERSON, 0.9, "test"))
    assert clipped is not None
    assert text[clipped.start : clipped.end] == kept


def test_clip_leaves_pattern_ends_and_drops_pure_markup() -> None:
    date = Finding(0, 8, Entity.DATE, 0.9, "test")
    assert clip("1er janv. 2024", date) == date
    assert clip("</b>", Finding(0, 4, Entity.PERSON, 0.9, "test")) is None


def test_clip_keeps_an_anonymised_initial_in_brackets() -> None:
    initial = Finding(0, 4, Entity.PERSON, 0.7, "test")
    assert clip("[L.] a indiqué", initial) == initial
