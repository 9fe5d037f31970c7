"""Catalogue of the pattern recognizers for French text: regexes, checksums, need for context.

Context words live in models/recognizers.yaml; here is only what is true of the identifiers
themselves. Separators between digit groups: space, no-break space, dot or dash.
"""

from __future__ import annotations

import re

from proxy.analysis import checksums
from proxy.analysis.patterns import Pattern, RecognizerSpec
from proxy.entities import Entity

_SEP = r"[ \u00a0.\-]?"
_END_NUMBER = r"(?!\w)(?![ \u00a0.\-]\d)"
_START_NUMBER = r"(?<![\w+])(?<!\d[ \u00a0.\-])"

EMAIL = RecognizerSpec(
    "email",
    Entity.EMAIL,
    (
        Pattern(
            r"(?<![\w.%+-])[a-z0-9](?:[a-z0-9._%+-]*[a-z0-9_%+-])?@"
            r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}(?![\w-])",
            1.0,
            flags=re.IGNORECASE,
        ),
    ),
)

PHONE = RecognizerSpec(
    "fr_phone",
    Entity.PHONE,
    (
        Pattern(_START_NUMBER + r"0[1-9](?:[ \u00a0.\-]?\d{2}){4}" + _END_NUMBER, 0.75),
        Pattern(
            r"(?<![\w+])(?:\+|00)[ \u00a0]?33[ \u00a0]?(?:\(0\)[ \u00a0]?)?[1-9]"
            r"(?:[ \u00a0.\-]?\d{2}){4}" + _END_NUMBER,
            0.9,
        ),
        Pattern(
            r"(?<![\w+])(?:\+|00)(?:26[229]|59[046]|687|689|508|681)[ \u00a0]?\d{3}"
            r"(?:[ \u00a0.\-]?\d{2}){3}" + _END_NUMBER,
            0.9,
        ),
    ),
)

NIR = RecognizerSpec(
    "fr_nir",
    Entity.NIR,
    (
        Pattern(
            _START_NUMBER
            + r"[1-478]"
            + _SEP
            + r"\d{2}"
            + _SEP
            + r"\d{2}"
            + _SEP
            + r"(?:\d{2}|2[AB])"
            + _SEP
            + r"\d{3}"
            + _SEP
            + r"\d{3}"
            + _SEP
            + r"\d{2}"
            + _END_NUMBER,
            1.0,
            validate=checksums.is_nir,
            flags=re.IGNORECASE,
        ),
        Pattern(
            _START_NUMBER
            + r"[1-478]"
            + _SEP
            + r"\d{2}"
            + _SEP
            + r"\d{2}"
            + _SEP
            + r"(?:\d{2}|2[AB])"
            + _SEP
            + r"\d{3}"
            + _SEP
            + r"\d{3}"
            + _END_NUMBER,
            0.6,
            validate=checksums.is_nir_without_key,
            needs_context=True,
            flags=re.IGNORECASE,
        ),
    ),
)

IBAN = RecognizerSpec(
    "iban",
    Entity.IBAN,
    (
        Pattern(
            r"(?<!\w)[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]{4}){2,7}(?:[ \u00a0]?[A-Z0-9]{1,3})?(?!\w)",
            1.0,
            validate=checksums.is_iban,
            shrink=True,
            flags=re.IGNORECASE,
        ),
    ),
)

CATALOGUE: tuple[RecognizerSpec, ...] = (EMAIL, PHONE, NIR, IBAN)
