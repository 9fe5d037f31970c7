"""The analysis cache never changes what the proxy finds, stays bounded and keeps no text."""

from __future__ import annotations

import json
import random
from pathlib import Path

import anyio
import pytest

from bench.overhead import french_prompt
from proxy.analysis.cache import AnalysisCache
from proxy.analysis.engine import Detector
from proxy.analysis.findings import Finding
from proxy.entities import Entity
from proxy.services import Services
from proxy.settings import Settings

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "pii_fr_dev.jsonl"
WRITTEN = [
    "Bonjour, je m'appelle Marie Dubois et j'habite 12 rue des Lilas, 69003 Lyon.",
    "Mon numéro : 06 12 34 56 78, mon courriel : marie.dubois@exemple.fr.",
    "Virement sur l'IBAN FR76 3000 6000 0112 3456 7890 189 avant vendredi.",
    "Merci de rembourser sur l'IBAN FR76 3000 6000 26",  # a cut IBAN (once hung the detector)
    "Le conseil municipal se réunira jeudi à 18 h en salle du conseil.",
    "",
    "   ",
    "M. Jean-Pierre Martin, né le 3 mars 1961 à Rennes, NIR 1 61 03 35 238 123 45.",
]


def varied_texts() -> list[str]:
    texts = list(WRITTEN) + [french_prompt(size, seed) for seed, size in enumerate((120, 300, 1000, 2500))]
    if CORPUS.exists():
        lines = CORPUS.read_text(encoding="utf-8").splitlines()
        texts += [json.loads(line)["text"][:1500] for line in random.Random(9).sample(lines, 16)]
    return texts


@pytest.fixture(scope="module")
def services(detector: Detector, tmp_path_factory: pytest.TempPathFactory) -> Services:
    settings = Settings(data_dir=tmp_path_factory.mktemp("cache"))
    return Services.build(settings, detector)


def test_cached_findings_equal_uncached_findings(services: Services, detector: Detector) -> None:
    texts = varied_texts()
    expected = {text: detector.detect([text])[0] for text in texts}
    rng = random.Random(4)
    for _ in range(6):  # batches mixing new, already seen and repeated texts, in any order
        batch = rng.sample(texts, 7) + rng.sample(texts, 2)
        found = anyio.run(services.detect, batch)
        assert found == [expected[text] for text in batch]
    assert len(services.analysis_cache) > 0
    assert anyio.run(services.detect, texts) == [expected[text] for text in texts]


def test_the_cache_is_bounded_and_keeps_no_text() -> None:
    cache = AnalysisCache("fingerprint", max_entries=2)
    finding = Finding(start=0, end=5, entity=Entity.PERSON, score=0.85, recognizer="spacy_ner")
    cache.store({"Marie a appelé.": [finding], "Paul aussi.": [], "Et Léa.": []})
    assert len(cache) == 2
    assert cache.lookup(["Marie a appelé.", "Paul aussi.", "Et Léa."]) == {"Paul aussi.": (), "Et Léa.": ()}
    held = repr(vars(cache))
    assert "Paul" not in held and "Léa" not in held


def test_a_new_detection_configuration_does_not_see_old_results() -> None:
    finding = Finding(start=0, end=5, entity=Entity.PERSON, score=0.85, recognizer="spacy_ner")
    old = AnalysisCache("config-a", max_entries=10)
    old.store({"Marie a appelé.": [finding]})
    assert old.lookup(["Marie a appelé."]) == {"Marie a appelé.": (finding,)}
    assert AnalysisCache("config-b", max_entries=10).lookup(["Marie a appelé."]) == {}
    assert AnalysisCache("config-a", max_entries=0).lookup(["Marie a appelé."]) == {}


def test_one_callers_entries_do_not_answer_another() -> None:
    finding = Finding(start=0, end=5, entity=Entity.PERSON, score=0.85, recognizer="spacy_ner")
    cache = AnalysisCache("config-a", max_entries=10)
    cache.store({"Marie a appelé.": [finding]}, scope="agent.urba")
    assert cache.lookup(["Marie a appelé."], scope="agent.urba") == {"Marie a appelé.": (finding,)}
    assert cache.lookup(["Marie a appelé."], scope="agent.rh") == {}


def test_the_cache_is_bounded_by_findings_too() -> None:
    many = tuple(
        Finding(start=i, end=i + 1, entity=Entity.PHONE, score=1.0, recognizer="phone") for i in range(200)
    )
    cache = AnalysisCache("config-a", max_entries=4)  # at most 4 entries and 4 x 32 = 128 findings
    cache.store({"a": many[:50], "b": many[:50]})
    cache.lookup(["a"])  # "a" is now the most recently used
    cache.store({"c": many[:50]})  # 150 findings > 128: the least recently used entry goes
    assert cache.lookup(["a", "b", "c"]) == {"a": many[:50], "c": many[:50]}
    cache.store({"d": many[:129]})  # more than the whole budget: not kept, nothing evicted for it
    assert cache.lookup(["a", "c", "d"]) == {"a": many[:50], "c": many[:50]}
