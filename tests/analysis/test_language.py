"""English lines (Open WebUI's task prompts) are not read by the French NER without corroboration.

The three prompts in data/ are reconstructions of Open WebUI's default title, tags and follow-up
templates (English instructions), each followed by a French chat history with personal data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from proxy.analysis.engine import Detector
from proxy.analysis.language import english_spans
from proxy.entities import Entity

DATA = Path(__file__).resolve().parent / "data"
TASKS = sorted(DATA.glob("openwebui_*_task.txt"))
_HISTORY = re.compile(r"<chat_history>.*</chat_history>", re.S)


@pytest.mark.parametrize("path", TASKS, ids=lambda p: p.stem)
def test_no_english_instruction_word_is_redacted(detector: Detector, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    history = _HISTORY.search(text)
    assert history is not None
    found = detector.detect([text])[0]
    outside = [text[f.start : f.end] for f in found if not history.start() <= f.start < history.end()]
    assert outside == []
    assert any(f.entity is Entity.PERSON for f in found)  # the French history keeps its names


def test_french_lines_stay_french() -> None:
    assert english_spans("Bonjour, je suis Jean Dupont et j'habite à Lyon.\nMerci de me rappeler.") == []
    text = "Please write the title of the chat.\nIl est à Lyon."
    assert english_spans(text) == [(0, 36)]  # the line with its end
