"""The NER run on its own weights finds exactly what spaCy's `ner` component finds."""

from __future__ import annotations

import json
import random
from pathlib import Path

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.overhead import french_prompt
from proxy.analysis.engine import Detector
from proxy.analysis.ner import BilingualNer, FrenchNer, NerPath
from proxy.analysis.ner_inference import NerInference

EQUIVALENCE = Path(__file__).resolve().parent / "data" / "ner_equivalence_fr.jsonl"
WORDS = [
    "Mme", "M.", "Claire", "Martin", "DUPONT", "Jean-Pierre", "Nguyen", "habite", "à", "Lyon", "la",
    "mairie", "de", "Saint-Étienne", "conseil", "départemental", "du", "Finistère", "société",
    "Orange", "rue", "République", "l'école", "Jules", "Ferry", "CCAS", "Paris", "et", "avec",
    "Direction", "générale", "des", "finances", "publiques", "écrit", "Marie", "(", ")", "«", "»",
]  # fmt: skip
SEPARATORS = [" ", "  ", "\n", "\n\n", "\t", ", ", ". ", "\xa0", " \n "]


def _ner(local_detector: Detector) -> FrenchNer:
    bilingual = local_detector._ner
    assert isinstance(bilingual, BilingualNer)
    ner = bilingual.french
    return ner


def test_the_shipped_model_runs_on_the_direct_path(local_detector: Detector) -> None:
    assert _ner(local_detector).direct
    assert local_detector.ner_path is NerPath.DIRECT


def test_same_entities_as_spacy_on_letters_and_the_equivalence_corpus(local_detector: Detector) -> None:
    """Batches of mixed lengths: spaCy sorts them and parses them 8 at a time. The corpus is in the
    repository (tests/analysis/data/README.md): it cannot shrink silently."""
    ner = _ner(local_detector)
    texts = [french_prompt(size, seed) for seed, size in enumerate([150, 400, 1000, 3000] * 10)]
    corpus = [json.loads(line)["text"] for line in EQUIVALENCE.read_text(encoding="utf-8").splitlines()]
    assert len(corpus) >= 200
    texts += corpus
    random.Random(9).shuffle(texts)
    for start in range(0, len(texts), 40):
        batch = texts[start : start + 40]
        expected = ner.spacy_entities(batch)
        assert sum(map(len, expected)) > 0
        assert ner.entities(batch) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=60).map(
            lambda pairs: "".join(word + separator for word, separator in pairs)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_same_entities_as_spacy_on_any_text(local_detector: Detector, texts: list[str]) -> None:
    """Whitespace tokens, entities on the last token, empty texts, several texts at once."""
    ner = _ner(local_detector)
    assert ner.entities(texts) == ner.spacy_entities(texts)


def test_an_architecture_it_does_not_know_is_left_to_spacy() -> None:
    nlp = spacy.blank("fr")
    nlp.add_pipe("ner").add_label("PER")  # spaCy's default NER model: HashEmbedCNN, not Tok2Vec.v2
    nlp.initialize()
    assert NerInference.build(nlp) is None
