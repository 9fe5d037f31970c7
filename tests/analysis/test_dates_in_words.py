"""Dates written in words: every day, every month and every year form, generated here from the
rules of French numbers (not from the detector's word list), each found whole."""

from __future__ import annotations

import pytest

from proxy.analysis.context import ContextWords
from proxy.analysis.engine import Detector
from proxy.analysis.patterns_fr import catalogue
from proxy.analysis.recognizers_fr import FrenchPatternRecognizer
from proxy.entities import Entity

UNITS = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
]
TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def below_100(n: int, sep: str = "-") -> str:
    if n < 17:
        return UNITS[n]
    if n < 20:
        return f"dix{sep}{UNITS[n - 10]}"
    if n >= 80:
        rest = n - 80
        return "quatre-vingts" if rest == 0 else f"quatre{sep}vingt{sep}{below_100(rest, sep)}"
    tens, unit = divmod(n, 10)
    if tens == 7:
        tens, unit = 6, unit + 10
    word = TENS[tens]
    if unit == 0:
        return word
    if unit in (1, 11):
        return f"{word}{sep}et{sep}{below_100(unit, sep)}" if sep == "-" else f"{word} et {below_100(unit)}"
    return f"{word}{sep}{below_100(unit, sep)}"


def year_forms(year: int) -> list[str]:
    """1980: 'mil neuf cent quatre-vingts', 'mille neuf cent quatre-vingt', 'mille-neuf-cent-…'."""
    thousands, rest = divmod(year, 1000)
    hundreds, tail = divmod(rest, 100)
    tail_words = below_100(tail) if tail else ""
    head = ["mille", "mil"] if thousands == 1 else ["deux mille"]
    forms = []
    for thousand in head:
        parts = [thousand, *(["cent" if hundreds == 1 else f"{UNITS[hundreds]} cent"] if hundreds else [])]
        if tail_words:
            parts.append(tail_words)
        forms.append(" ".join(parts))
    forms.append(forms[0].replace(" ", "-"))  # 1990 spelling: hyphens everywhere
    forms.append(forms[0].replace("quatre-vingts", "quatre-vingt"))
    return sorted(set(forms))


def day_forms(day: int) -> list[str]:
    return ["premier", "un"] if day == 1 else [below_100(day)]


CASES = [
    *(f"{d} {MONTHS[i % 12]} {year_forms(1950 + i)[0]}" for i in range(31) for d in day_forms(i + 1)),
    *(f"{day_forms(1 + i * 2)[0]} {month} {year_forms(2000 + i)[-1]}" for i, month in enumerate(MONTHS)),
    *(
        f"{day_forms(1 + y % 31)[0]} {MONTHS[y % 12]} {form}"
        for y in range(1900, 2031)
        for form in year_forms(y)
    ),
]


@pytest.fixture(scope="module")
def date_recognizer() -> FrenchPatternRecognizer:
    spec = next(spec for spec in catalogue() if spec.name == "fr_date")
    return FrenchPatternRecognizer(spec, ContextWords.build((), 0), 0.0)


def test_the_generated_set_covers_every_day_month_and_year() -> None:
    words = " ".join(CASES)
    assert all(month in words for month in MONTHS)
    assert {"premier", "onze", "trente-et-un", "mil", "quatre-vingt-dix-neuf"} <= set(
        words.replace(",", "").split()
    )
    assert len(CASES) >= 31 + 12 + 131 * 2


@pytest.mark.parametrize("opening", ["Séance du", "le", "Fait à Lille, le", "Onze :"])
def test_every_date_in_words_is_found_whole(date_recognizer: FrenchPatternRecognizer, opening: str) -> None:
    missed = []
    for date in CASES:
        text = f"{opening} {date}, le conseil délibère."
        start = text.index(date)
        spans = {(r.start, r.end) for r in date_recognizer.analyze(text, [])}
        if not any(s <= start and e >= start + len(date) for s, e in spans):
            missed.append(date)
    assert missed == []


@pytest.mark.parametrize(
    "date",
    [
        "onze octobre mil neuf cent quatre-vingt",
        "premier mars deux mille quatre",
        "trente et un mai mil neuf cent soixante-dix-sept",
    ],
)
def test_a_date_of_birth_in_words_is_redacted_whole(detector: Detector, date: str) -> None:
    text = f"M. Paul Martin, né le {date}, demeurant à Lille."
    found = {text[f.start : f.end]: f.entity for f in detector.detect([text])[0]}
    assert found.get(date) is Entity.DATE_OF_BIRTH, found
