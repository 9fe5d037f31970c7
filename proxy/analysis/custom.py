"""The DPO's own recognizers, written in Presidio's format and run through Presidio's registry.

`models/custom_recognizers.yaml` holds a `recognizers:` list exactly as Presidio's no-code and
ad-hoc recognizers are written (name, supported_language, supported_entity, patterns with name,
regex and score, context, deny_list, deny_list_score): a file written for Presidio works here
unchanged. One key is Garde-fou's own: `validator`, the name of a checksum of
`proxy.analysis.checksums` a match must pass. A `supported_entity` that is not one of Garde-fou's
types is a type of its own (proxy.entities.CustomEntity): its name is its placeholder label
([MATRICULE_AGENT_12]), a policy may give it its own action (`entities: {MATRICULE_AGENT: block}`),
and a policy that names it needs a recognizer of the file for it (gardefou policy check, and each
policy reload against the recognizers then in force); a name that cannot be a placeholder label is
refused. As in Presidio, every match is kept whatever its score (the policy's thresholds apply).
`supported_language` must be a two-letter language code; every recognizer applies to every text,
whatever its language (an agent's matricule in an English e-mail is still personal data).
Context words before a match add `context.boost` (models/recognizers.yaml).

The file is read at start-up (an invalid file refuses the start) and watched: a changed file is
reloaded if valid, else the recognizers in force stay (logged).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from presidio_analyzer import PatternRecognizer, RecognizerRegistry, RecognizerResult

from proxy.analysis import checksums
from proxy.analysis.config import known_recognizers
from proxy.analysis.context import ContextWords
from proxy.analysis.findings import Finding
from proxy.entities import EntityType, entity_type

log = logging.getLogger("gardefou.detection")
_VALIDATORS: dict[str, Callable[[str], bool]] = {
    name[3:]: function
    for name, function in vars(checksums).items()
    if name.startswith("is_") and callable(function)
}
_KEYS = frozenset(
    {"name", "supported_language", "supported_entity", "supported_entities", "patterns", "context"}
    | {"deny_list", "deny_list_score", "global_regex_flags", "version", "country_code", "validator"}
)
_PATTERN_KEYS = frozenset({"name", "regex", "score"})


class CustomRecognizerError(ValueError):
    """The file cannot be used; the message names the file, the recognizer and the key."""


class _ValidatedRecognizer(PatternRecognizer):
    """Presidio's pattern recognizer with one of the project's checksums as its validation."""

    def __init__(self, validator: Callable[[str], bool], **kwargs: Any) -> None:
        self._validator = validator
        super().__init__(**kwargs)

    def validate_result(self, pattern_text: str) -> bool:
        return self._validator(pattern_text)


@dataclass(frozen=True)
class _Loaded:
    registry: RecognizerRegistry
    recognizers: tuple[Any, ...]  # the registry's, in order (presidio's types are loose)
    contexts: dict[str, ContextWords]


def entity_of(name: str) -> EntityType:
    return entity_type(name)


_LANGUAGE = re.compile(r"[a-z]{2}")


def load(path: Path, window: int) -> _Loaded:
    """Parse and build every recognizer of the file (an absent file: none)."""
    registry = RecognizerRegistry(recognizers=[], supported_languages=["fr"])
    if not path.exists():
        return _Loaded(registry, (), {})
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CustomRecognizerError(f"{path} : fichier illisible ou YAML invalide ({error})") from error
    items = (raw or {}).get("recognizers", []) if isinstance(raw, dict) else None
    if not isinstance(items, list) or (isinstance(raw, dict) and set(raw) - {"recognizers"}):
        raise CustomRecognizerError(f"{path} : une clé « recognizers » (liste) est attendue, seule")
    contexts: dict[str, ContextWords] = {}
    for i, item in enumerate(items):
        recognizer: Any = _build(path, i, item)
        name = str(recognizer.name)
        if name in contexts or name in known_recognizers():
            raise CustomRecognizerError(f"{path} : recognizers[{i}] : nom en double « {name} »")
        registry.add_recognizer(recognizer)
        contexts[name] = ContextWords.build(item.get("context") or (), window)
    return _Loaded(registry, tuple(registry.recognizers), contexts)


def _check(where: str, item: Any) -> None:
    if not isinstance(item, dict):
        raise CustomRecognizerError(f"{where} : un objet est attendu")
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise CustomRecognizerError(f"{where} : clé inconnue « {unknown[0]} »")
    for j, pattern in enumerate(item.get("patterns") or []):
        if not isinstance(pattern, dict) or set(pattern) - _PATTERN_KEYS or "regex" not in pattern:
            raise CustomRecognizerError(f"{where}.patterns[{j}] : clés attendues name, regex, score")
        if not 0.0 <= float(pattern.get("score", -1)) <= 1.0:
            raise CustomRecognizerError(f"{where}.patterns[{j}].score : un nombre entre 0 et 1 est attendu")
    if not item.get("patterns") and not item.get("deny_list"):
        raise CustomRecognizerError(f"{where} : « patterns » ou « deny_list » est attendu")
    _check_names(where, item)


def _check_names(where: str, item: dict[str, Any]) -> None:
    """Entity names that can be placeholder labels, a language that is a language code."""
    entities = item.get("supported_entities") or [item.get("supported_entity")]
    for name in entities:
        try:
            entity_of(str(name))
        except ValueError as error:
            raise CustomRecognizerError(f"{where}.supported_entity : {error}") from error
    language = item.get("supported_language", "fr")
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        raise CustomRecognizerError(
            f"{where}.supported_language : un code de langue à deux lettres est attendu (fr, en...) ; "
            "chaque reconnaisseur s'applique à tout texte, quelle que soit sa langue"
        )


def _build(path: Path, i: int, item: Any) -> Any:
    where = f"{path} : recognizers[{i}]"
    _check(where, item)
    settings = {key: value for key, value in item.items() if key != "validator"}
    settings.setdefault("name", f"custom_{i}")
    try:
        recognizer = _recognizer(where, settings, item.get("validator"))
        recognizer.analyze("", recognizer.supported_entities, None)  # compiles the regexes now
        return recognizer
    except CustomRecognizerError:
        raise
    except Exception as error:  # Presidio's and regex's errors: a bad regex, a missing entity
        raise CustomRecognizerError(f"{where} : {type(error).__name__} : {error}") from error


def _recognizer(where: str, settings: dict[str, Any], validator: str | None) -> Any:
    if validator is None:
        return PatternRecognizer.from_dict(settings)
    if validator not in _VALIDATORS:
        raise CustomRecognizerError(
            f"{where}.validator : inconnu (connus : {', '.join(sorted(_VALIDATORS))})"
        )
    recognizer = PatternRecognizer.from_dict(settings)  # Presidio's own checks first
    return _ValidatedRecognizer(_VALIDATORS[validator], **_arguments(recognizer, settings))


def _arguments(recognizer: Any, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "supported_entity": recognizer.supported_entities[0],
        "name": recognizer.name,
        "supported_language": recognizer.supported_language,
        "patterns": recognizer.patterns,
        "context": recognizer.context,
        **(
            {"global_regex_flags": settings["global_regex_flags"]} if "global_regex_flags" in settings else {}
        ),
    }


class CustomRecognizers:
    """The recognizers of the file in force, reloaded when it changes (at most every `interval_s`)."""

    def __init__(self, path: Path, window: int, boost: float, interval_s: float = 1.0) -> None:
        self._path, self._window, self._boost, self._interval = path, window, boost, interval_s
        self._stamp = _stamp(path)
        self._loaded = load(path, window)
        self._next_check = time.monotonic() + interval_s
        self._lock = threading.Lock()
        self._required: Callable[[], frozenset[str]] = frozenset

    def require(self, named: Callable[[], frozenset[str]]) -> None:
        """Types a reloaded file must still recognise (those the policy in force names): a file that
        drops one is refused, the recognizers in force stay."""
        self._required = named

    @property
    def entities(self) -> frozenset[EntityType]:
        """The types of the recognizers in force (the file reloaded first if it changed)."""
        return frozenset(entity_of(e) for r in self._current().recognizers for e in r.supported_entities)

    def findings(self, text: str) -> list[Finding]:
        loaded = self._current()
        found = []
        for recognizer in loaded.recognizers:
            name = str(recognizer.name)
            for result in recognizer.analyze(text, recognizer.supported_entities, None):
                found.append(self._finding(text, name, loaded.contexts[name], result))
        return found

    def _finding(self, text: str, name: str, context: ContextWords, result: RecognizerResult) -> Finding:
        score = float(result.score)
        if context.found_before(text, result.start):
            score = min(1.0, score + self._boost)
        return Finding(result.start, result.end, entity_of(result.entity_type), round(score, 4), name)

    def _current(self) -> _Loaded:
        if time.monotonic() < self._next_check:
            return self._loaded
        with self._lock:
            self._next_check = time.monotonic() + self._interval
            stamp = _stamp(self._path)
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._loaded = self._checked(load(self._path, self._window))
                    log.info("custom recognizers reloaded (%d)", len(self._loaded.recognizers))
                except CustomRecognizerError as error:
                    log.error("custom recognizers reload refused, previous ones kept: %s", error)
        return self._loaded

    def _checked(self, loaded: _Loaded) -> _Loaded:
        found = {str(e) for r in loaded.recognizers for e in r.supported_entities}
        missing = sorted(self._required() - found)
        if missing:
            raise CustomRecognizerError(
                f"{self._path} : la politique en vigueur nomme « {missing[0]} », "
                "que ce fichier ne reconnaît plus"
            )
        return loaded


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
