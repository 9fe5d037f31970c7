"""spaCy's French named-entity recogniser, loaded with only what detection needs.

Only the `ner` component is loaded; numpy's BLAS does the matrix work; the tokenizer is memoised per
chunk (`tokenizer.py`); the model runs on its own weights without thinc's layer graph
(`ner_inference.py`), once checked at start-up to find exactly what spaCy's component finds; every
analysis runs in a spaCy memory zone, so the vocabulary keeps no name or e-mail address it has
seen. Used in the server process (`processes: 0`) or in each NER worker process
(`ner_processes.py`).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

import spacy
from thinc.api import NumpyOps, set_current_ops

from proxy.analysis.config import DetectionConfig
from proxy.analysis.ner_inference import NerInference
from proxy.analysis.tokenizer import ChunkCachedTokenizer

log = logging.getLogger("gardefou")

# (start, end, spaCy label) of one entity, in characters of the analysed text.
RawEntity = tuple[int, int, str]
FRENCH = "fr"
ENGLISH = "en"
# (language, text): a text for the French model, or an English line for the English one.
NerText = tuple[str, str]
ENGLISH_WARM_UP: NerText = (ENGLISH, "Please write a short title for the letter of Mary Smith.")

_FREQUENT_WORDS = 50_000
# Checked at start-up with both ways of running the model: people, places, organisations, an
# entity on the last token, whitespace tokens, several documents in one batch.
_SELF_CHECK = [
    "Mme Claire Martin, directrice de l'école Jules Ferry, a écrit à la mairie de Villeurbanne.",
    "Le conseil départemental du Finistère et la société Orange ont signé avec M. Karim Benali.",
    "Rendez-vous  à Lyon,\n\nrue de la République, avec Jean-Pierre Dupont et Marie",
    "",
    "Le Centre communal d'action sociale (CCAS) de Saint-Étienne reçoit Mme Nguyen.\t",
    "Paris",
]
_NUMPY_OPS = NumpyOps(use_blis=False)


class NerPath(StrEnum):
    """How the NER runs, as `/healthz` and the admin page show it: a spaCy upgrade that breaks
    the direct path's equivalence must be visible, not only logged (models/README.md)."""

    DIRECT = "direct"  # on the model's own weights, checked equal to spaCy at start-up
    SPACY_UNSUPPORTED = "spacy-architecture-non-prise-en-charge"  # spaCy's component (slower)
    SPACY_MISMATCH = "spacy-ecart-detecte"  # the direct path differed from spaCy: spaCy runs it

    @property
    def degraded(self) -> bool:
        return self is not NerPath.DIRECT


class NerLoadError(Exception):
    """The model cannot be used as configured (not installed, unmapped labels)."""


class FrenchNer:
    """Entities of French texts. Thread-safe (one analysis at a time); heavy: build once."""

    def __init__(self, config: DetectionConfig) -> None:
        check_model(config)
        use_numpy_blas()
        excluded = _components_to_exclude(config.model, config.components)
        self._nlp: Any = spacy.load(config.model, exclude=excluded)
        self._nlp.tokenizer = ChunkCachedTokenizer(self._nlp.tokenizer)
        _intern_frequent_words(self._nlp)
        self._batch_size = config.batch_size
        self._lock = threading.Lock()
        self._inference, self.path = self._checked_inference()

    @property
    def vocabulary_size(self) -> int:
        return len(self._nlp.vocab.strings)

    @property
    def direct(self) -> bool:
        """The model runs on its own weights (`ner_inference.py`), not through spaCy's component."""
        return self._inference is not None

    def entities(self, texts: Sequence[str]) -> list[list[RawEntity]]:
        if self._inference is None:
            return self.spacy_entities(texts)
        with self._lock, self._nlp.memory_zone():
            use_numpy_blas()
            docs = [self._nlp.make_doc(text) for text in texts]
            return self._inference.entities(docs, self._batch_size)

    def spacy_entities(self, texts: Sequence[str]) -> list[list[RawEntity]]:
        """The entities as spaCy's own `ner` component sets them (the reference)."""
        with self._lock, self._nlp.memory_zone():
            use_numpy_blas()
            docs = self._nlp.pipe(texts, batch_size=self._batch_size)
            return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]

    def _checked_inference(self) -> tuple[NerInference | None, NerPath]:
        """The direct path, if the model's architecture is supported and it finds what spaCy's
        component finds on the check texts; else spaCy's component (slower), said in the log and
        in `path`."""
        inference = NerInference.build(self._nlp)
        if inference is None:
            log.warning("NER: architecture not supported by the direct path; spaCy runs it")
            return None, NerPath.SPACY_UNSUPPORTED
        expected = self.spacy_entities(_SELF_CHECK)
        self._inference = inference
        if self.entities(_SELF_CHECK) != expected:
            log.warning("NER: the direct path differs from spaCy on the check texts; spaCy runs it")
            return None, NerPath.SPACY_MISMATCH
        return inference, NerPath.DIRECT


class BilingualNer:
    """The French model, and the English one when `models/nlp.yaml` enables it: each text goes to
    its language's model. Thread-safe; heavy: build once. The English model loads with the first
    English text (the warm-up sends one: see `ENGLISH_WARM_UP`), never when disabled, so that a worker
    process that replaces a lost one is ready as soon as the French model is."""

    def __init__(self, config: DetectionConfig) -> None:
        self.french = FrenchNer(config)
        self.english_config = config.english_ner
        self._english: FrenchNer | None = None
        self._loading = threading.Lock()

    @property
    def path(self) -> NerPath:
        """The French model's path, or the English one's (once loaded) if only that one is degraded."""
        if self._english is not None and not self.french.path.degraded:
            return self._english.path
        return self.french.path

    @property
    def english_loaded(self) -> bool:
        return self._english is not None

    def entities(self, texts: Sequence[NerText]) -> list[list[RawEntity]]:
        found: list[list[RawEntity]] = [[] for _ in texts]
        for language in (FRENCH, ENGLISH):
            indices = [i for i, (lang, _) in enumerate(texts) if lang == language]
            if not indices:
                continue
            ner = self.french if language == FRENCH else self._english_ner()
            for i, entities in zip(indices, ner.entities([texts[i][1] for i in indices]), strict=True):
                found[i] = entities
        return found

    def _english_ner(self) -> FrenchNer:
        if self.english_config is None:
            raise NerLoadError("English text sent while the English model is disabled")
        with self._loading:
            if self._english is None:
                self._english = FrenchNer(self.english_config)
            return self._english


def use_numpy_blas() -> None:
    """Make numpy (OpenBLAS) thinc's array backend in the calling context.

    It multiplies the NER's small matrices about 3 times faster than thinc's default (blis) on this
    kind of CPU, with the same entities found. It must be set in every thread that runs the NER:
    thinc keeps the current backend in a context variable, and the parser builds models on each
    call; without one set it also looks its backends up again (entry points, imports) every time."""
    set_current_ops(_NUMPY_OPS)


def check_model(config: DetectionConfig) -> None:
    """The configured model is installed and each of its labels is mapped or ignored (read from the
    package's metadata: no model loaded)."""
    model = config.model
    if not spacy.util.is_package(model):
        raise NerLoadError(f"Modèle spaCy « {model} » non installé (models/nlp.yaml).")
    labels: Iterable[str] = _meta(model).get("labels", {}).get("ner", [])
    unmapped = sorted(set(labels) - set(config.labels) - config.ignored_labels)
    if unmapped:
        raise NerLoadError(
            f"models/nlp.yaml : étiquettes du modèle sans correspondance : {', '.join(unmapped)}"
        )


def _meta(model: str) -> dict[str, Any]:
    meta: dict[str, Any] = spacy.util.get_model_meta(spacy.util.get_package_path(model))
    return meta


def _components_to_exclude(model: str, components: Iterable[str]) -> list[str]:
    """The model's components that nlp.yaml's `components` does not name."""
    names: list[str] = _meta(model).get("pipeline", [])
    return [name for name in names if name not in components]


def _intern_frequent_words(nlp: Any) -> None:
    """Create the lexemes of the model's most frequent words once, at start-up.

    The memory zone frees every lexeme created inside it; without this, common words would be
    rebuilt on every request. The vectors table lists words by frequency; the capitalised form
    covers sentence starts."""
    for key in itertools.islice(nlp.vocab.vectors.key2row, _FREQUENT_WORDS):
        word = nlp.vocab.strings[key]
        nlp.vocab[word]
        if word[:1].islower():
            nlp.vocab[word.capitalize()]
