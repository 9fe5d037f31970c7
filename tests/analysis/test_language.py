"""English lines analysed as English: Open WebUI's own prompts (verbatim copies in
tests/fixtures/openwebui/) lose no instruction word, an English document keeps its personal data
found, French text is untouched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from proxy.analysis.config import load_detection_config
from proxy.analysis.engine import Detector
from proxy.analysis.language import LanguageIdentifier
from proxy.analysis.ner import BilingualNer
from proxy.entities import Entity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openwebui"
TEMPLATES = sorted(FIXTURES.glob("*.txt"))
MODELS = Path(__file__).resolve().parents[2] / "models"
# What Open WebUI puts in a template: the chat history, the prompt, retrieved documents.
FRENCH = (
    "USER: Bonjour, Mme Josiane Berthelot, 12 rue des Lilas à Quimper, demande un permis de construire.\n"
    "ASSISTANT: Je prépare le courrier pour Mme Berthelot (josiane.berthelot@orange.fr, 06 45 23 89 17)."
)
ENGLISH = (
    "USER: Please summarise this letter from Sarah Whitfield, who lives at 42 Baker Street in London.\n"
    "She can be reached at sarah.whitfield@example.org or on +44 7700 900 418."
)
ENGLISH_DATA = ["Sarah Whitfield", "London", "sarah.whitfield@example.org", "+44 7700 900 418"]
FRENCH_DATA = ["Josiane Berthelot", "josiane.berthelot@orange.fr", "06 45 23 89 17"]
_MARKER = re.compile(r"\{\{(?:MESSAGES:END:\d|prompt|PROMPT|CONTEXT|QUERY|responses)\}\}")


def rendered(template: Path, content: str) -> tuple[str, list[tuple[int, int]]]:
    """The template filled the way Open WebUI fills it, and where the inserted content lies."""
    text, inserted, position = "", [], 0
    source = template.read_text(encoding="utf-8")
    for marker in _MARKER.finditer(source):
        text += source[position : marker.start()]
        inserted.append((len(text), len(text) + len(content)))
        text += content
        position = marker.end()
    return text + source[position:], inserted


def _outside(text: str, found: list[tuple[int, int]], inserted: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in found if not any(a <= s < b for a, b in inserted)]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
@pytest.mark.parametrize("content", [FRENCH, ENGLISH], ids=["french", "english"])
def test_no_instruction_word_is_redacted(detector: Detector, template: Path, content: str) -> None:
    text, inserted = rendered(template, content)
    found = detector.detect([text])[0]
    outside = _outside(text, [(f.start, f.end) for f in found], inserted)
    assert outside == []
    if inserted:  # the history, prompt or document keeps its personal data found
        values = {text[f.start : f.end] for f in found}
        assert set(FRENCH_DATA if content is FRENCH else ENGLISH_DATA) <= values


def test_an_english_document_keeps_its_personal_data_found(detector: Detector) -> None:
    letter = (
        "Dear Mr. Thompson,\n\n"
        "Thank you for your letter. Our records show that Sarah Whitfield moved to 42 Baker Street, "
        "London in 2019. Please contact Margaret O'Sullivan at m.osullivan@kinsaletwinning.ie or on "
        "+353 21 477 2234; her colleague Patrick Donnelly can also help.\n\n"
        "Kind regards,\nEmily Clarke"
    )
    found = {letter[f.start : f.end]: f.entity for f in detector.detect([letter])[0]}
    for name in ("Sarah Whitfield", "Margaret O'Sullivan", "Patrick Donnelly", "Emily Clarke", "Thompson"):
        assert found.get(name) is Entity.PERSON, name
    assert found["London"] is Entity.LOCATION
    assert found["m.osullivan@kinsaletwinning.ie"] is Entity.EMAIL
    assert found["+353 21 477 2234"] is Entity.PHONE
    for word in ("Dear", "Thank", "Please", "Kind"):
        assert not any(word in value for value in found), word


def test_the_english_model_reads_english_lines_only(detector: Detector, local_detector: Detector) -> None:
    text = "Bonjour, je suis Jean Dupont et j'habite à Lyon.\nPlease write a short title for Mary Smith.\n"
    assert local_detector._english_spans(text) == [(49, len(text))]
    ner = local_detector._ner
    assert isinstance(ner, BilingualNer) and ner.english_loaded  # loaded by the warm-up
    line = text.splitlines(keepends=True)[1]
    assert (31, 41, "PERSON") in ner.entities([("en", line)])[0]  # "Mary Smith"
    findings = local_detector.detect([text])[0]
    assert {text[f.start : f.end]: f.entity for f in findings}["Mary Smith"] is Entity.PERSON
    assert detector.detect([text]) == [findings]  # same in the NER worker processes


def test_language_of_each_line() -> None:
    identifier = LanguageIdentifier()
    french = "Bonjour, je suis Jean Dupont et j'habite à Lyon.\nMerci de me rappeler.\nNadia Ferhat"
    assert identifier.english_spans(french) == []
    mixed = "Please write the title of the chat.\nIl est à Lyon avec sa fille.\n"
    assert identifier.english_spans(mixed) == [(0, 36)]  # the line with its end
    # A line without function words follows the text: a name under an English letter is English.
    letter = "Thank you for the photos of the visit.\nMargaret O'Sullivan\n"
    assert identifier.english_spans(letter) == [(0, len(letter))]


def test_the_english_model_is_not_loaded_when_disabled(tmp_path: Path) -> None:
    for name in ("nlp.yaml", "recognizers.yaml"):
        (tmp_path / name).write_text((MODELS / name).read_text(encoding="utf-8"), encoding="utf-8")
    nlp = tmp_path / "nlp.yaml"
    nlp.write_text(
        nlp.read_text(encoding="utf-8").replace("enabled: true", "enabled: false"), encoding="utf-8"
    )
    config = load_detection_config(tmp_path)
    assert config.english is None
    detector = Detector(config)
    detector.warm_up()
    assert isinstance(detector._ner, BilingualNer)
    assert detector._ner.english_config is None and not detector._ner.english_loaded
    assert detector._languages is None
    text = "Please write a short title for Mary Smith."
    assert all(f.recognizer != "spacy_ner_en" for f in detector.detect([text])[0])


def test_the_template_lines_data_mirrors_the_fixtures() -> None:
    """proxy/analysis/data/frontend_template_lines.txt: the fixtures' lines of 20 characters or more,
    without a marker (a line opening with "#" is a comment there)."""
    data = Path(__file__).resolve().parents[2] / "proxy" / "analysis" / "data" / "frontend_template_lines.txt"
    listed = {line for line in data.read_text(encoding="utf-8").splitlines() if not line.startswith("#")}
    lines = {
        line.strip() for template in TEMPLATES for line in template.read_text(encoding="utf-8").splitlines()
    }
    expected = {line for line in lines if len(line) >= 20 and "{{" not in line and not line.startswith("#")}
    assert listed == expected
