"""Strict YAML configuration files: safe loading, pydantic validation, errors naming file, line and key.

Shared by the proxy configuration (settings.py) and the policy loader, so that a typo anywhere is
reported the same way: `policies/default.yaml, ligne 12, clé services.rh.models : ...`.
"""

from __future__ import annotations

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
        mark = getattr(exc, "problem_mark", None)
        where = f", ligne {mark.line + 1}" if mark is not None else ""
        raise ConfigFileError(f"{path}{where} : YAML invalide ({exc}).") from exc


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
    lines = [f"{path} : configuration invalide"]
    for error in exc.errors():
        keys = [str(part) for part in error["loc"]]
        line = line_of(text, keys)
        where = f"ligne {line}, " if line else ""
        lines.append(f"  - {where}clé « {'.'.join(keys) or '(racine)'} » : {_french(error)}")
    return "\n".join(lines)


def _french(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "clé inconnue (faute de frappe ?)"
    if kind == "missing":
        return "clé obligatoire absente"
    return f"{error.get('msg', 'valeur invalide')}"


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
