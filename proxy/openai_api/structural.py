"""Structural fields are validated, not trusted: types, ranges and allowed values, in French.

A structural value carries no free text; a value that does not fit its rule is refused (400) and never
forwarded. Strings met anywhere are checked too: a lone surrogate cannot be analysed nor re-encoded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from proxy.errors import InvalidRequest
from proxy.openai_api.inventory import Rule

OBJECT = "object"
MAX_MODEL_CHARS = 200
_TOKEN_ID_DIGITS = 10


def check(rule: Rule, value: Any, path: str) -> None:
    """Raise InvalidRequest unless `value` fits the structural `rule` (null is always accepted)."""
    if value is None:
        return
    _CHECKS[rule.type or ""](rule, value, path)


def check_string(value: str, path: str) -> None:
    """A string every text slot may hold: valid Unicode, and no file smuggled as a data URL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(path, "caractère Unicode invalide (substitut isolé)") from None
    if value.startswith("data:") and ";base64," in value[:200]:
        raise InvalidRequest(
            f"Le champ « {path} » contient un fichier encodé (URL data:) : Garde-fou ne transmet pas de "
            "fichier qu'il ne peut pas analyser."
        )


def check_scalar(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise _invalid(path, "nombre non fini")


def _invalid(path: str, what: str) -> InvalidRequest:
    return InvalidRequest(f"Requête invalide : champ « {path} » ({what}).")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _in_range(rule: Rule, value: float, path: str) -> None:
    if rule.min is not None and value < rule.min:
        raise _invalid(path, f"valeur minimale : {rule.min:g}")
    if rule.max is not None and value > rule.max:
        raise _invalid(path, f"valeur maximale : {rule.max:g}")


def _model(rule: Rule, value: Any, path: str) -> None:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_MODEL_CHARS or not value.isprintable():
        raise _invalid(path, f"nom de modèle attendu, {MAX_MODEL_CHARS} caractères au plus")
    check_string(value, path)


def _bool(rule: Rule, value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _invalid(path, "booléen attendu")


def _int(rule: Rule, value: Any, path: str) -> None:
    if not _is_int(value):
        raise _invalid(path, "entier attendu")
    _in_range(rule, value, path)


def _number(rule: Rule, value: Any, path: str) -> None:
    if not _is_number(value):
        raise _invalid(path, "nombre attendu")
    _in_range(rule, value, path)


def _enum(rule: Rule, value: Any, path: str) -> None:
    if not any(type(value) is type(allowed) and value == allowed for allowed in rule.values):
        shown = ", ".join(str(v).lower() for v in rule.values)
        raise _invalid(path, f"valeurs acceptées : {shown}")


def _enum_list(rule: Rule, value: Any, path: str) -> None:
    if not isinstance(value, list):
        raise _invalid(path, "liste attendue")
    for index, item in enumerate(value):
        _enum(rule, item, f"{path}[{index}]")


def _object(rule: Rule, value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise _invalid(path, "objet attendu")


def _token_map(rule: Rule, value: Any, path: str) -> None:
    """logit_bias: token ids (digits) to a bias between -100 and 100."""
    if not isinstance(value, dict):
        raise _invalid(path, "objet attendu")
    for key, bias in value.items():
        if not (key.isascii() and key.isdigit() and len(key) <= _TOKEN_ID_DIGITS):
            raise _invalid(path, "identifiants de jetons (chiffres) attendus")
        if not _is_number(bias) or not -100 <= bias <= 100:
            raise _invalid(path, "biais entre -100 et 100 attendu")


_CHECKS: dict[str, Callable[[Rule, Any, str], None]] = {
    "model": _model,
    "bool": _bool,
    "int": _int,
    "number": _number,
    "enum": _enum,
    "enum_list": _enum_list,
    OBJECT: _object,
    "token_map": _token_map,
}
