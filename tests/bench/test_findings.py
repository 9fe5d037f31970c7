"""bench/findings.py compares two dumps line by line: identical findings pass, any difference (a
finding changed, a text missing on one side) is printed and fails; an empty dump proves nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.findings import compare

ROW = {"set": "s.jsonl", "id": "1", "sha256": "ab", "findings": [[0, 4, "PERSON", 0.9, "spacy_ner"]]}


def _dump(path: Path, *rows: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_identical_dumps_pass_and_say_how_much_was_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = {**ROW, "id": "2", "findings": []}
    assert compare(_dump(tmp_path / "a", ROW, other), _dump(tmp_path / "b", other, ROW)) == 0
    assert "2 textes et 1 détections comparés ; 0 différence(s)" in capsys.readouterr().out


def test_a_changed_score_or_a_missing_text_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = {**ROW, "findings": [[0, 4, "PERSON", 0.85, "spacy_ner"]]}
    assert compare(_dump(tmp_path / "a", ROW), _dump(tmp_path / "b", changed)) == 1
    assert compare(_dump(tmp_path / "c", ROW), _dump(tmp_path / "d")) == 1
    assert capsys.readouterr().out.count("différence s.jsonl 1") == 2


def test_an_empty_dump_fails(tmp_path: Path) -> None:
    assert compare(_dump(tmp_path / "a"), _dump(tmp_path / "b")) == 1
