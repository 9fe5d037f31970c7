"""Strict YAML configuration files: safe loading, pydantic validation, errors naming file, line and key.

Shared by the proxy configuration (settings.py) and the policy loader, so that a typo anywhere is
reported the same way: `policies/default.yaml, ligne 12, clé services.rh.models : ...`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


# The one configuration of every model read from a file (configuration, policy, detection models):
# an unknown key is an error (a typo must not be ignored), and a loaded value is never changed.
STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ConfigFileError(ValueError):
    """A configuration file that cannot be used; the message is meant for a human (French)."""


def read_yaml(path: Path) -> tuple[Any, str]:
    """Return the parsed document and its text; refuse missing, unreadable or malformed files."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError(f"{path} : fichier illisible ({exc.strerror}).") from exc
    try:
        return yaml.safe_load(text), text
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{path}{yaml_problem(exc)}") from exc


def yaml_problem(exc: yaml.YAMLError) -> str:
    """One line for a YAML syntax error: where, and what (PyYAML's words, on one line)."""
    mark = getattr(exc, "problem_mark", None)
    where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = " ".join((f"{context}, {problem}" if context else str(problem)).split())
    for english, french in _YAML_WORDS.items():
        detail = detail.replace(english, french)
    detail = detail.strip(" ,")
    return f"{where} : YAML invalide ({detail})."


# PyYAML's usual phrases, in French (the rest stays as PyYAML says it).
_YAML_WORDS: dict[str, str] = {
    "while parsing a flow sequence": "dans une liste entre crochets",
    "while parsing a flow mapping": "dans un dictionnaire entre accolades",
    "while parsing a block mapping": "dans un bloc « clé: valeur »",
    "while parsing a block collection": "dans une liste « - »",
    "while scanning a quoted scalar": "dans un texte entre guillemets",
    "while scanning a simple key": "dans une clé",
    "while scanning for the next token": "",
    "found unexpected end of stream": "fin du texte inattendue (guillemet ou crochet non fermé ?)",
    "expected <block end>, but found": "indentation incohérente : trouvé",
    "mapping values are not allowed here": "« : » inattendu ici (mettre le texte entre guillemets ?)",
    "could not find expected ':'": "« : » manquant",
    "found character '\\t' that cannot start any token": "tabulation interdite (indenter avec des espaces)",
    "expected ',' or ']', but got": "« , » ou « ] » attendu, trouvé",
    "expected ',' or '}', but got": "« , » ou « } » attendu, trouvé",
    "found duplicate anchor": "ancre en double",
    "found undefined alias": "alias non défini",
}


def load_model(path: Path, model: type[ModelT], *, empty_ok: bool = False) -> tuple[ModelT, str]:
    """Parse `path` into `model`; return the model and the raw text (for hashing)."""
    data, text = read_yaml(path)
    if data is None and empty_ok:
        data = {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path} : le document doit être un dictionnaire YAML (clé: valeur).")
    try:
        return model.model_validate(data), text
    except ValidationError as exc:
        raise ConfigFileError(describe_errors(path, text, exc)) from exc


def describe_errors(path: Path, text: str, exc: ValidationError) -> str:
    """One line per problem (file, line, key, French message); a value that fits none of the forms
    a key accepts is reported once."""
    lines = [f"{path} : configuration invalide"]
    seen: set[str] = set()
    for error in exc.errors():
        keys = [_key(part) for part in error["loc"] if not _TYPE_STEP.match(str(part))]
        name = ".".join(keys) or "(racine)"
        if name in seen:
            continue
        seen.add(name)
        line = line_of(text, keys)
        where = f"ligne {line}, " if line else ""
        lines.append(f"  - {where}clé « {name} » : {french_error(error)}")
    return "\n".join(lines)


def _key(part: object) -> str:
    return "(nom de la clé)" if part == "[key]" else str(part)


# Steps of pydantic's error locations that name a type tried, not a key of the file.
_TYPE_STEP = re.compile(r"^(\w+-?\w*\[.*\]|[A-Z][a-z]+[A-Z]\w*|[A-Z][a-z]+)$")

# pydantic error type -> French message (placeholders filled from the error's context)
_MESSAGES: dict[str, str] = {
    "extra_forbidden": "clé inconnue (faute de frappe ?)",
    "missing": "clé obligatoire absente",
    "literal_error": "valeur attendue : {expected}",
    "enum": "valeur attendue parmi : {expected}",
    "string_type": "texte attendu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "bool_type": "true ou false attendu",
    "bool_parsing": "true ou false attendu",
    "dict_type": "dictionnaire attendu (clé: valeur)",
    "model_type": "dictionnaire attendu (clé: valeur)",
    "list_type": "liste attendue ([a, b] ou lignes « - a »)",
    "tuple_type": "liste attendue ([a, b] ou lignes « - a »)",
    "greater_than": "doit être strictement supérieur à {gt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than": "doit être strictement inférieur à {lt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "too_short": "au moins {min_length} élément(s) attendu(s)",
    "too_long": "au plus {max_length} élément(s)",
    "string_too_short": "au moins {min_length} caractère(s)",
    "string_too_long": "au plus {max_length} caractère(s)",
    "string_pattern_mismatch": "format invalide (minuscules, chiffres, - et _ ; attendu : {pattern})",
    "url_parsing": "adresse URL invalide",
    "url_scheme": "adresse URL invalide (http:// ou https:// attendu)",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "ip_v4_network": "réseau IP invalide",
    "ip_any_network": "réseau IP invalide",
}


def french_error(error: Any) -> str:
    """pydantic's English message as French: a known type's translation, or the validator's own
    (French) message without pydantic's 'Value error, ' prefix."""
    kind = error.get("type", "")
    template = _MESSAGES.get(kind)
    if template is not None:
        context = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
        context = {k: v.replace("' or '", "', '") for k, v in context.items()}
        try:
            return template.format(**context)
        except (KeyError, IndexError):
            return template.split(" (")[0].split(" : ")[0]
    message = str(error.get("msg", "valeur invalide"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def line_of(text: str, keys: list[str]) -> int | None:
    """1-based line of the YAML node at `keys` (or of its deepest existing parent)."""
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in keys:
        node = _child(node, key)
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _child(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if str(key_node.value) == key:
                return value_node if not isinstance(value_node, yaml.ScalarNode) else key_node
    if isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
        return node.value[int(key)]
    return None
