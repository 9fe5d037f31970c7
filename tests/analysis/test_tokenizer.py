"""The chunk cache in front of spaCy's tokenizer never changes a token, a space or a norm."""

from __future__ import annotations

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from proxy.analysis.tokenizer import ChunkCachedTokenizer

# Pieces that exercise spaCy's French rules: elisions, abbreviations, hyphens, special spaces.
FRAGMENTS = [
    "M. ",
    "Mme ",
    "l'",
    "d’",
    "aujourd'hui",
    "c'est-à-dire",
    "St-Étienne",
    "06 12 34 56 78",
    "jean.dupont@exemple.fr",
    "https://www.service-public.fr/a?b=1",
    "FR76 3000 6000 0112",
    "(:",
    "«",
    "»",
    "n°",
    "12 bis",
    "...",
    "  ",
    " \n ",
    "\n\n",
    "\t",
    "\xa0",
    "\u202f",
    "Dupont",
    "DUPONT",
    "Marie-Claire",
]
texts = st.lists(
    st.sampled_from(FRAGMENTS) | st.text(alphabet="ab é.,;:'’-()/ \n\xa0", max_size=6), max_size=30
)

SAMPLES = [
    "Bonjour, M. Jean DUPONT (né le 12/03/1980) habite au 3 bis rue de l'Église, 69001 Lyon.",
    "  Madame,\n\nSuite à votre demande du 3 mars… Cordialement,\nMarie-Claire Martin\n",
    "Tél. : 06\xa012\xa034\xa056\xa078 — courriel : m.martin@mairie-exemple.fr ",
    "",
    " ",
    "\n",
]


def signature(doc: Doc) -> list[tuple[str, str, str, int]]:
    return [(token.text, token.whitespace_, token.norm_, token.idx) for token in doc]


def reference_tokenizer() -> Tokenizer:
    tokenizer: Tokenizer = spacy.blank("fr").tokenizer
    tokenizer.max_cache_size = 0  # spaCy's own cache makes its output depend on history
    return tokenizer


REFERENCE = reference_tokenizer()
CACHED = ChunkCachedTokenizer(spacy.blank("fr").tokenizer)


def test_same_tokens_as_spacy_on_french_samples() -> None:
    for text in SAMPLES * 2:  # the second pass is served from the cache
        assert signature(CACHED(text)) == signature(REFERENCE(text))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_same_tokens_as_spacy_on_any_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert signature(CACHED(text)) == signature(REFERENCE(text))
    assert signature(CACHED(text)) == signature(REFERENCE(text))


def test_holds_no_text_and_stays_bounded() -> None:
    small = ChunkCachedTokenizer(spacy.blank("fr").tokenizer, max_entries=3)
    small("Jean Dupont habite à Lyon")
    assert len(small._chunks) <= 3
    assert all(isinstance(key, int) for key in small._chunks)
    assert "Dupont" not in repr(small._chunks)
