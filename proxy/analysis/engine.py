"""The detector: spaCy French NER + French pattern recognizers inside an explicit Presidio engine.

With the recognizer modules, the only importer of presidio and spacy. Nothing falls back to a
default: the NLP engine, the registry and its recognizers are all built here from `models/`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH_STOP_WORDS
from thinc.api import NumpyOps, set_current_ops

from proxy.analysis.birth_dates import RECOGNIZER as BIRTH_DATE_RECOGNIZER
from proxy.analysis.birth_dates import promote_birth_dates
from proxy.analysis.config import NER_RECOGNIZER, DetectionConfig, load_detection_config
from proxy.analysis.context import ContextWords
from proxy.analysis.findings import Finding
from proxy.analysis.first_names import load_first_names, normalise
from proxy.analysis.ner_rules import NerRules
from proxy.analysis.overlaps import resolve
from proxy.analysis.patterns_fr import CATALOGUE
from proxy.analysis.patterns_names import name_specs
from proxy.analysis.patterns_places import ADDRESS, PLACE
from proxy.analysis.recognizers_fr import LANGUAGE, FrenchPatternRecognizer, SpacyNerRecognizer
from proxy.analysis.tokenizer import ChunkCachedTokenizer
from proxy.entities import Entity

__all__ = ["DetectionConfig", "DetectionError", "Detector", "load_detection_config"]

_FREQUENT_WORDS = 50_000
_WARM_UP_TEXT = "M. Jean Dupont, 12 rue de la Paix, 75002 Paris, tél. 06 12 34 56 78."


class DetectionError(Exception):
    """Detection could not run; the caller must fail closed (never forward unanalysed text)."""


class _FrenchSpacyEngine(SpacyNlpEngine):
    """spaCy engine that loads only installed models, keeps only `ner`, maps labels strictly."""

    def __init__(self, config: DetectionConfig) -> None:
        ner = NerModelConfiguration(
            model_to_presidio_entity_mapping={k: v.value for k, v in config.labels.items()},
            labels_to_ignore=sorted(config.ignored_labels),
            default_score=config.ner_score,
        )
        super().__init__(
            models=[{"lang_code": LANGUAGE, "model_name": config.model}],
            ner_model_configuration=ner,
        )
        self._config = config

    def load(self) -> None:
        model = self._config.model
        if not spacy.util.is_package(model):
            raise DetectionError(f"Modèle spaCy « {model} » non installé (models/nlp.yaml).")
        use_numpy_blas()
        nlp = spacy.load(model, exclude=_components_to_exclude(model))
        ner: Any = nlp.get_pipe("ner")
        _check_labels(ner.labels, self._config)
        nlp.tokenizer = ChunkCachedTokenizer(nlp.tokenizer)
        _intern_frequent_words(nlp)
        self.nlp = {LANGUAGE: nlp}  # type: ignore[assignment]  # presidio annotates it None

    @property
    def model(self) -> Any:
        return self.nlp[LANGUAGE]  # type: ignore[index]

    def artifacts(self, doc: Any) -> NlpArtifacts:
        return self._doc_to_nlp_artifact(doc, LANGUAGE)

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(
            list(doc.ents), [self._config.ner_score] * len(doc.ents)
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[],
            nlp_engine=None,
            language=language,
            scores=scores,
        )


def use_numpy_blas() -> None:
    """Make numpy (OpenBLAS) thinc's array backend in the calling context.

    It multiplies the NER's small matrices about 3 times faster than thinc's default (blis) on this
    kind of CPU, with the same entities found. It must be set in every thread that runs the NER:
    thinc keeps the current backend in a context variable, and the parser builds models on each
    call; without one set it also looks its backends up again (entry points, imports) every time."""
    set_current_ops(_NUMPY_OPS)


_NUMPY_OPS = NumpyOps(use_blis=False)


def _intern_frequent_words(nlp: Any) -> None:
    """Create the lexemes of the model's most frequent words once, at start-up.

    Detection runs in a spaCy memory zone, which frees every lexeme created inside it; without
    this, common words would be rebuilt on every request. The vectors table lists words by
    frequency; the capitalised form covers sentence starts."""
    for key in itertools.islice(nlp.vocab.vectors.key2row, _FREQUENT_WORDS):
        word = nlp.vocab.strings[key]
        nlp.vocab[word]
        if word[:1].islower():
            nlp.vocab[word.capitalize()]


def _components_to_exclude(model: str) -> list[str]:
    meta = spacy.util.get_model_meta(spacy.util.get_package_path(model))
    names: list[str] = meta.get("pipeline", [])
    return [name for name in names if name != "ner"]


def _check_labels(labels: Iterable[str], config: DetectionConfig) -> None:
    unmapped = sorted(set(labels) - set(config.labels) - config.ignored_labels)
    if unmapped:
        raise DetectionError(
            f"models/nlp.yaml : étiquettes du modèle sans correspondance : {', '.join(unmapped)}"
        )


class Detector:
    """Finds French personal data in texts. Thread-safe; build once per process (heavy)."""

    def __init__(self, config: DetectionConfig) -> None:
        self._config = config
        self._thresholds = {r.name: r.threshold for r in config.recognizers}
        self._birth_dates = config.recognizer(BIRTH_DATE_RECOGNIZER) is not None
        self._nlp_lock = threading.Lock()
        try:
            self._nlp = _FrenchSpacyEngine(config)
            self._nlp.load()
            self._analyzer = _build_analyzer(config, self._nlp)
        except DetectionError:
            raise
        except Exception as error:
            raise DetectionError(f"Chargement du détecteur impossible : {error}") from error

    @property
    def config(self) -> DetectionConfig:
        return self._config

    @property
    def active_entities(self) -> frozenset[Entity]:
        entities: set[Entity] = set()
        for recognizer in self._analyzer.registry.get_recognizers(LANGUAGE, all_fields=True):
            entities.update(Entity(e) for e in recognizer.supported_entities)
        return frozenset(entities)

    @property
    def fingerprint(self) -> str:
        return self._config.fingerprint

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        """One sorted, non-overlapping list of findings per text."""
        try:
            # The memory zone frees the strings spaCy interned for these texts once they are
            # analysed: a long-running proxy must not keep every name it has seen in its vocabulary.
            with self._nlp_lock, self._nlp.model.memory_zone():
                use_numpy_blas()
                docs = self._nlp.model.pipe(texts, batch_size=self._config.batch_size)
                return [self._analyze(doc.text, self._nlp.artifacts(doc)) for doc in docs]
        except DetectionError:
            raise
        except Exception as error:
            raise DetectionError(f"Échec de la détection ({type(error).__name__})") from error

    def warm_up(self) -> None:
        self.detect([_WARM_UP_TEXT])

    def _analyze(self, text: str, artifacts: NlpArtifacts) -> list[Finding]:
        if not text.strip():
            return []
        results = self._analyzer.analyze(text, language=LANGUAGE, nlp_artifacts=artifacts)
        findings = map(_finding, results)
        kept = resolve((f for f in findings if f.score >= self._thresholds[f.recognizer]), text)
        return promote_birth_dates(text, kept) if self._birth_dates else kept


def _finding(result: RecognizerResult) -> Finding:
    return Finding(
        start=result.start,
        end=result.end,
        entity=Entity(result.entity_type),
        score=round(float(result.score), 4),
        recognizer=str(result.recognition_metadata[RecognizerResult.RECOGNIZER_NAME_KEY]),
    )


def _build_analyzer(config: DetectionConfig, nlp: _FrenchSpacyEngine) -> AnalyzerEngine:
    registry = RecognizerRegistry(recognizers=_recognizers(config), supported_languages=[LANGUAGE])
    if not registry.recognizers:
        raise DetectionError("models/recognizers.yaml : aucun reconnaisseur actif.")
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp,
        supported_languages=[LANGUAGE],
        context_aware_enhancer=LemmaContextAwareEnhancer(),
    )


def _recognizers(config: DetectionConfig) -> list[Any]:
    recognizers: list[Any] = []
    first_names = load_first_names()
    if config.recognizer(NER_RECOGNIZER) is not None:
        entities = frozenset(config.labels.values())
        rules = NerRules(frozenset(normalise(w) for w in FRENCH_STOP_WORDS), first_names)
        recognizers.append(SpacyNerRecognizer(NER_RECOGNIZER, entities, config.ner_score, rules))
    for spec in (*CATALOGUE, ADDRESS, PLACE, *name_specs(first_names)):
        settings = config.recognizer(spec.name)
        if settings is not None:
            context = ContextWords.build(settings.context, config.context_window)
            recognizers.append(FrenchPatternRecognizer(spec, context, config.context_boost))
    return recognizers
