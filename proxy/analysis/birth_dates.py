"""Dates of birth written without "né le": a date right after a person's name in a list or a
form ("DUPONT Jean | M | 12/03/1980", "Marie Curie, 07/11/1867") or followed by an age."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from proxy.analysis.findings import Finding
from proxy.entities import Entity

RECOGNIZER = "fr_date_of_birth"
# Between the name and the date: separators and, maybe, a sex marker.
_AFTER_NAME = re.compile(r"[ \t\u00a0|,;:()\-]*(?:(?:[MFH]|Mme|M\.)[ \t\u00a0|,;:()\-]+)?")
_AGE_AFTER = re.compile(r"[ \t\u00a0,]*\(?[ \t\u00a0]*\d{1,3}[ \t\u00a0]*ans\b")


def promote_birth_dates(text: str, findings: Sequence[Finding]) -> list[Finding]:
    """The same findings, with dates that are evidently dates of birth retyped."""
    promoted = list(findings)
    for i, finding in enumerate(promoted):
        if finding.entity is Entity.DATE and _is_birth_date(text, promoted, i):
            promoted[i] = replace(finding, entity=Entity.DATE_OF_BIRTH, recognizer=RECOGNIZER)
    return promoted


def _is_birth_date(text: str, findings: Sequence[Finding], i: int) -> bool:
    date = findings[i]
    if _AGE_AFTER.match(text, date.end):
        return True
    previous = findings[i - 1] if i > 0 else None
    if previous is None or previous.entity is not Entity.PERSON:
        return False
    between = _AFTER_NAME.fullmatch(text, previous.end, date.start)
    return between is not None and "\n" not in text[previous.end : date.start]
