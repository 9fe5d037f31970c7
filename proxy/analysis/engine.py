"""The detector: spaCy's French NER and the French pattern recognizers, as Presidio recognizers.

With the recognizer modules, the only importer of presidio and spacy. Nothing falls back to a
default: the registry and its recognizers are all built here from `models/`. The NER runs in worker
processes (`processes` > 0) while this process applies the pattern recognizers, or here (0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH_STOP_WORDS

from proxy.analysis.birth_dates import RECOGNIZER as BIRTH_DATE_RECOGNIZER
from proxy.analysis.birth_dates import promote_birth_dates
from proxy.analysis.common_words import load_common_words
from proxy.analysis.config import NER_RECOGNIZER, DetectionConfig, load_detection_config
from proxy.analysis.context import ContextWords
from proxy.analysis.custom import CustomRecognizerError, CustomRecognizers
from proxy.analysis.findings import Finding
from proxy.analysis.first_names import load_first_names, normalise
from proxy.analysis.language import EnglishLines, LanguageIdentifier, Span, ner_texts, regrouped
from proxy.analysis.markup import clip
from proxy.analysis.ner import ENGLISH_WARM_UP, BilingualNer, NerLoadError, NerPath, NerText, RawEntity
from proxy.analysis.ner_processes import Collect, NerHealth, NerProcesses
from proxy.analysis.ner_rules import NerRules
from proxy.analysis.normalise import normalise as normalised_view
from proxy.analysis.normalise import original_findings
from proxy.analysis.overlaps import resolve
from proxy.analysis.patterns_fr import catalogue
from proxy.analysis.patterns_names import name_specs
from proxy.analysis.patterns_places import ADDRESS, place_spec
from proxy.analysis.places import load_communes, load_place_names
from proxy.analysis.recognizers_fr import LANGUAGE, FrenchPatternRecognizer, SpacyNerRecognizer
from proxy.entities import Entity, EntityType

__all__ = ["DetectionConfig", "DetectionError", "Detector", "load_detection_config"]

_WARM_UP_TEXT = "M. Jean Dupont, 12 rue de la Paix, 75002 Paris, tél. 06 12 34 56 78."
_ALL_ENTITIES: list[str] = []  # Presidio's "every entity the recognizer supports"


class DetectionError(Exception):
    """Detection could not run; the caller must fail closed (never forward unanalysed text)."""


@dataclass(frozen=True, slots=True)
class _EntitySpan:
    """The part of a spaCy span that the NER recognizer reads, label already mapped."""

    start_char: int
    end_char: int
    label_: str


class Detector:
    """Finds French personal data in texts. Thread-safe; build once per process (heavy).

    `processes`: NER worker processes (0: the NER runs in this process); a worker that has not
    answered after `timeout_s` fails the analysis and is replaced."""

    def __init__(self, config: DetectionConfig, processes: int = 0, timeout_s: float = 30.0) -> None:
        self._config = config
        self._thresholds = {r.name: r.threshold for r in config.recognizers}
        self._birth_dates = config.recognizer(BIRTH_DATE_RECOGNIZER) is not None
        try:
            recognizers = _recognizers(config)
            if not recognizers:
                raise DetectionError("models/recognizers.yaml : aucun reconnaisseur actif.")
            self._registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
            registered = self._registry.get_recognizers(LANGUAGE, all_fields=True)  # run from the registry
            self._patterns = [r for r in registered if isinstance(r, FrenchPatternRecognizer)]
            self._ner_recognizer = next((r for r in recognizers if isinstance(r, SpacyNerRecognizer)), None)
            # Language routing (language.py): English lines also go to the English model.
            self._languages = None if config.english is None else LanguageIdentifier()
            english_labels = {} if config.english is None else config.english.labels
            self._english = EnglishLines(
                NER_RECOGNIZER, english_labels, config.ner_score, load_first_names(), load_place_names()
            )
            self._custom = CustomRecognizers(
                Path(config.custom_file), config.context_window, config.context_boost
            )
            self._ner: BilingualNer | NerProcesses | None = None
            if self._ner_recognizer is not None:
                self._ner = (
                    NerProcesses(config, processes, timeout_s) if processes > 0 else BilingualNer(config)
                )
        except DetectionError:
            raise
        except (NerLoadError, CustomRecognizerError) as error:
            raise DetectionError(str(error)) from error
        except Exception as error:
            raise DetectionError(f"Chargement du détecteur impossible : {error}") from error

    @property
    def config(self) -> DetectionConfig:
        return self._config

    def require_custom(self, named: Callable[[], frozenset[str]]) -> None:
        """Custom types the policy in force names: a reloaded recognizer file must keep them."""
        self._custom.require(named)

    @property
    def active_entities(self) -> frozenset[EntityType]:
        entities: set[EntityType] = set()
        for recognizer in self._registry.get_recognizers(LANGUAGE, all_fields=True):
            entities.update(Entity(e) for e in recognizer.supported_entities)
        return frozenset(entities | self._custom.entities)

    @property
    def ner_path(self) -> NerPath | None:
        """How the NER runs (None: no NER recognizer active, or workers not warmed up yet)."""
        return None if self._ner is None else self._ner.path

    @property
    def fingerprint(self) -> str:
        return self._config.fingerprint

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        """One sorted, non-overlapping list of findings per text, in the text's own offsets (found
        on its normalised view: see normalise.py)."""
        try:
            views = [normalised_view(text) for text in texts]
            texts = [view.text for view in views]
            english = [self._english_spans(text) for text in texts]
            with self._ner_started(ner_texts(texts, english)) as collect_entities:
                matches = [self._pattern_results(text) for text in texts]  # meanwhile, NER workers run
                entities = regrouped(english, collect_entities())
            return [
                original_findings(view, self._findings(view.text, found, ner, spans))
                for view, found, ner, spans in zip(views, matches, entities, english, strict=True)
            ]
        except DetectionError:
            raise
        except Exception as error:
            raise DetectionError(f"Échec de la détection ({type(error).__name__})") from error

    def warm_up(self) -> None:
        """Load the model everywhere before the first request (the NER workers load in parallel)."""
        if isinstance(self._ner, NerProcesses):
            try:
                self._ner.warm_up()
            except Exception as error:
                failure = type(error).__name__
                message = f"Les processus d'analyse (detection.processes) n'ont pas démarré : {failure}"
                raise DetectionError(message) from error
        self.detect([_WARM_UP_TEXT])
        if isinstance(self._ner, BilingualNer) and self._ner.english_config is not None:
            self._ner.entities([ENGLISH_WARM_UP])  # the English model, loaded on first use

    def ner_health(self, stale_s: float) -> NerHealth | None:
        """The NER worker processes' health (None when the NER runs in this process, or not at all)."""
        return self._ner.health(stale_s) if isinstance(self._ner, NerProcesses) else None

    def close(self) -> None:
        """Stop the NER worker processes, if any."""
        if isinstance(self._ner, NerProcesses):
            self._ner.close()

    def _english_spans(self, text: str) -> list[Span]:
        return [] if self._languages is None or self._ner is None else self._languages.english_spans(text)

    def _ner_started(self, texts: list[NerText]) -> AbstractContextManager[Collect]:
        """The NER started (in the workers, or here at once); the context yields what collects its
        results."""
        if self._ner is None:
            return nullcontext(lambda: [[] for _ in texts])
        if isinstance(self._ner, NerProcesses):
            return self._ner.analysing(texts)
        entities = self._ner.entities(texts)
        return nullcontext(lambda: entities)

    def _pattern_results(self, text: str) -> list[RecognizerResult]:
        if not text.strip():
            return []
        return [result for r in self._patterns for result in r.analyze(text, _ALL_ENTITIES)]

    def _findings(
        self,
        text: str,
        found: list[RecognizerResult],
        ner: tuple[list[RawEntity], list[RawEntity]],
        english: list[Span],
    ) -> list[Finding]:
        if not text.strip():
            return []
        french_entities, english_entities = ner
        if self._ner_recognizer is not None:
            found = found + self._ner_recognizer.analyze(
                text, _ALL_ENTITIES, self._artifacts(french_entities)
            )
        results = EntityRecognizer.remove_duplicates(found)
        own = [_finding(result) for result in results]
        english_own = self._english.findings(text, english_entities)  # the English model, English lines
        clipped = (clip(text, f) for f in (*own, *english_own, *self._custom.findings(text)))  # not markup
        findings = (
            f for f in clipped if f is not None and f.score >= self._thresholds.get(f.recognizer, 0.0)
        )
        kept = resolve(self._english.filter(text, findings, english), text)  # French NER, English lines
        return promote_birth_dates(text, kept) if self._birth_dates else kept

    def _artifacts(self, spans: list[RawEntity]) -> NlpArtifacts:
        """What the NER recognizer reads: the entities, labels mapped to our types (ignored dropped)."""
        labels = self._config.labels
        entities = [_EntitySpan(s, e, labels[label].value) for s, e, label in spans if label in labels]
        return NlpArtifacts(
            entities=entities,  # type: ignore[arg-type]  # duck-typed spaCy spans
            tokens=[],  # type: ignore[arg-type]
            tokens_indices=[],
            lemmas=[],
            nlp_engine=None,
            language=LANGUAGE,
            scores=[self._config.ner_score] * len(entities),
        )


def _finding(result: RecognizerResult) -> Finding:
    return Finding(
        start=result.start,
        end=result.end,
        entity=Entity(result.entity_type),
        score=round(float(result.score), 4),
        recognizer=str(result.recognition_metadata[RecognizerResult.RECOGNIZER_NAME_KEY]),
    )


def _recognizers(config: DetectionConfig) -> list[Any]:
    recognizers: list[Any] = []
    first_names, places = load_first_names(), load_place_names()
    common_words = load_common_words(config.model)
    if config.recognizer(NER_RECOGNIZER) is not None:
        entities = frozenset(config.labels.values())
        stop_words = frozenset(normalise(w) for w in FRENCH_STOP_WORDS)
        rules = NerRules(stop_words, first_names, places, common_words)
        recognizers.append(SpacyNerRecognizer(NER_RECOGNIZER, entities, config.ner_score, rules))
    names = name_specs(first_names, common_words, places)
    for spec in (*catalogue(), ADDRESS, place_spec(load_communes()), *names):
        settings = config.recognizer(spec.name)
        if settings is not None:
            context = ContextWords.build(settings.context, config.context_window)
            recognizers.append(FrenchPatternRecognizer(spec, context, config.context_boost))
    return recognizers
