"""Catalogue of the pattern recognizers for French text: regexes, checksums, need for context.

Context words live in models/recognizers.yaml; here is only what is true of the identifiers
themselves. Separators between digit groups: space, no-break space, dot or dash.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from proxy.analysis import checksums
from proxy.analysis.patterns import Pattern, RecognizerSpec
from proxy.analysis.wordlists import (
    alternation,
    alternatives,
    first_letters,
    identifier_labels,
    identifier_shapes,
    number_words,
    prefilter,
)
from proxy.entities import Entity

_S = r"[ \u00a0.\-]?"  # optional separator inside a number
_END = r"(?!\w)(?![ \u00a0.\-]\d)"  # a number ends: no letter/digit, no separator + digit
_END_PHONE = r"(?!\w)(?![.\-]\d)(?![ \u00a0]\d(?!\d))"
_START = r"(?<![\w+])(?<!\d[ \u00a0.\-])"  # a number starts: no digit (or digit + separator) before
_I = re.IGNORECASE


def _nir(with_key: bool) -> str:
    key = rf"(?:{_S}\d){{2}}" if with_key else ""
    body = rf"[1-478](?:{_S}\d){{4}}{_S}(?:\d{_S}\d|2{_S}[AB])(?:{_S}\d){{6}}"
    return _START + body + key + _END


EMAIL = RecognizerSpec(
    "email",
    Entity.EMAIL,
    (
        Pattern(
            r"(?<![\w.%+-])[a-z0-9](?:[a-z0-9._%+-]*[a-z0-9_%+-])?@"
            r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}(?![\w-])",
            1.0,
            flags=_I,
        ),
    ),
)

URL = RecognizerSpec(
    "url",
    Entity.URL,
    (
        Pattern(
            r"(?<![\w@.])(?:https?://|www\.)[^\s<>\"'«»()\[\]{}]*[^\s<>\"'«»()\[\]{}.,;:!?]",
            0.7,
            flags=_I,
        ),
    ),
)

IP_ADDRESS = RecognizerSpec(
    "ip_address",
    Entity.IP_ADDRESS,
    (
        Pattern(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)", 0.6, checksums.is_ip),
        Pattern(
            r"(?<![\w:])(?=[0-9a-f:]*:[0-9a-f:]*:)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])",
            0.7,
            checksums.is_ip,
            flags=_I,
        ),
    ),
)

PHONE = RecognizerSpec(
    "fr_phone",
    Entity.PHONE,
    (
        # Phone lists: another number may follow after a space ("01 41 29 00 35 01 41 29 00 37").
        # Pairs all separated, or not at all: "06 2452 78 86" is a table of figures, not a phone.
        Pattern(r"(?<![\w+])(?<!\d[.\-])0[1-9](?:(?:[ \u00a0.\-]\d{2}){4}|\d{8})" + _END_PHONE, 0.75),
        # Overseas numbers are written 4-2-2-2: "0692 45 78 13" (La Réunion), "0590 88 21 47".
        Pattern(r"(?<![\w+])(?<!\d[.\-])0[1-9]\d{2}(?:[ \u00a0.\-]\d{2}){3}" + _END_PHONE, 0.75),
        Pattern(
            r"(?<![\w+])(?:(?:\+|00)[ \u00a0]?33|\(\+?33\))[ \u00a0]?(?:\(0\)[ \u00a0]?|0)?[1-9]"
            r"(?:[ \u00a0.\-]?\d{2}){4}" + _END,
            0.9,
        ),
        Pattern(
            r"(?<![\w+])(?:\+|00)[ \u00a0]?(?:26[229]|59[046]|687|689|508|681)[ \u00a0]?\d{3}"
            r"(?:[ \u00a0.\-]?\d{2}){3}" + _END,
            0.9,
        ),
        Pattern(r"(?<![\w+])\+(?!33)[1-9]\d{0,2}(?:[ \u00a0.\-]?\d){6,12}" + _END, 0.6),
        # Grouped oddly ("01 2048 3632", "09 65 42 8231"): ten digits, when the text says it's a phone.
        Pattern(
            r"(?<![\w+])(?<!\d[.\-])0[1-9]\d{0,2}(?:[ \u00a0.\-]\d{2,4}){2,4}" + _END_PHONE,
            0.6,
            checksums.has_ten_digits,
            True,
        ),
        # A digit short after +33 ("+33 20 19 39 00"): the prefix says it is a phone.
        Pattern(r"(?<![\w+])(?:\+|00)[ \u00a0]?33[ \u00a0]?[1-9]\d(?:[ \u00a0.\-]?\d{2}){3}" + _END, 0.75),
    ),
)

NIR = RecognizerSpec(
    "fr_nir",
    Entity.NIR,
    (
        Pattern(_nir(with_key=True), 1.0, checksums.is_nir, flags=_I),
        Pattern(_nir(with_key=False), 0.6, checksums.is_nir_without_key, True, flags=_I),
    ),
)

SIREN = RecognizerSpec(
    "fr_siren",
    Entity.SIREN,
    (Pattern(_START + r"\d{3}[ \u00a0.]?\d{3}[ \u00a0.]?\d{3}" + _END, 0.45, checksums.is_siren),),
)

SIRET = RecognizerSpec(
    "fr_siret",
    Entity.SIRET,
    (
        Pattern(
            _START + r"\d{3}[ \u00a0.]?\d{3}[ \u00a0.]?\d{3}[ \u00a0.]?\d{5}" + _END,
            0.6,
            checksums.is_siret,
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
            checksums.is_iban,
            shrink=True,
            flags=_I,
        ),
    ),
)

RIB = RecognizerSpec(
    "fr_rib",
    Entity.RIB,
    (
        Pattern(
            r"(?<!\w)\d{5}[ \u00a0]?\d{5}[ \u00a0]?[0-9A-Z]{11}[ \u00a0]?\d{2}(?!\w)",
            1.0,
            checksums.is_rib,
        ),
    ),
)

CREDIT_CARD = RecognizerSpec(
    "credit_card",
    Entity.CREDIT_CARD,
    (
        Pattern(
            r"(?<![\w+])(?:\d{4}(?:[ \u00a0\-]?\d{4}){3}(?:[ \u00a0\-]?\d{3})?"
            r"|\d{4}(?:[ \u00a0\-]?\d{4}){2}[ \u00a0\-]?\d{3}"
            r"|\d{4}[ \u00a0\-]?\d{6}[ \u00a0\-]?\d{5}|\d{13,19})" + _END,
            0.9,
            checksums.is_card_number,
        ),
    ),
)

TAX_ID = RecognizerSpec(
    "fr_tax_id",
    Entity.TAX_ID,
    (
        Pattern(
            _START + r"[0-3]\d[ \u00a0]?\d{2}[ \u00a0]?\d{3}[ \u00a0]?\d{3}[ \u00a0]?\d{3}" + _END,
            0.6,
            checksums.is_tax_number,
        ),
    ),
)

CAF_NUMBER = RecognizerSpec(
    "fr_caf_number",
    Entity.CAF_NUMBER,
    (Pattern(_START + r"\d{7}" + _END, 0.6, needs_context=True),),
)

_PLATE_LETTERS = "[A-HJ-NP-TV-Z]"
LICENSE_PLATE = RecognizerSpec(
    "fr_license_plate",
    Entity.LICENSE_PLATE,
    (
        Pattern(r"(?<![\w-])[A-Z]{2}[- ]\d{3}[- ][A-Z]{2}(?![\w-])", 0.75),
        Pattern(rf"(?<![\w-]){_PLATE_LETTERS}{{2}}\d{{3}}{_PLATE_LETTERS}{{2}}(?![\w-])", 0.5, None, True),
        Pattern(r"(?<![\w-])\d{1,4}[- ]?[A-Z]{1,3}[- ]?(?:\d{2}|2[AB]|97[1-6])(?![\w-])", 0.5, None, True),
    ),
)

ID_CARD = RecognizerSpec(
    "fr_id_card",
    Entity.ID_CARD,
    (
        Pattern(r"(?<!\w)(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{9}(?!\w)", 0.6, None, True),
        Pattern(r"(?<!\w)\d{4}[0-9AB]\d{7}(?!\w)", 0.6, checksums.is_old_id_card, True),
    ),
)

PASSPORT = RecognizerSpec(
    "fr_passport",
    Entity.PASSPORT,
    (
        Pattern(r"(?<!\w)\d{2}[A-Z]{2}\d{5}(?!\w)", 0.6),
        # Another country's passport, when the text says so: "passeport n° EK4521873"
        Pattern(
            r"(?<!\w)(?i:passeport|passport)[^\n\d]{0,30}?(?i:n°|no\.?|num[ée]ro|number|nr\.?)"
            r"[ \u00a0]*:?[ \u00a0]*([A-Z0-9]{6,12})(?!\w)",
            0.85,
            checksums.is_foreign_passport,
            group=1,
        ),
    ),
)

_MONTHS = f"(?:{alternatives('months_fr.txt')})"
_WEEKDAY = r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)[ \u00a0]+)?"
_DAY = r"(?:1er|premier|[0-3]?\d)"
_YEAR = r"(?:1[89]\d{2}|20\d{2})"
_NUMERIC_DATE = (
    r"(?:[0-3]?\d ?[/.\-] ?[01]?\d ?[/.\-] ?(?:\d{4}|\d{2})(?!\d)"
    r"|\d{4}[/.\-][01]\d[/.\-][0-3]\d)"
)
_WRITTEN_DATE = rf"{_WEEKDAY}{_DAY},?[ \u00a0]*{_MONTHS}(?![a-zé])(?:,?[ \u00a0]*{_YEAR})?"
_MONTH_YEAR = rf"{_MONTHS}[ \u00a0]*{_YEAR}"
_FULL_MONTHS = f"(?:{alternatives('full_months_fr.txt')})"
_WEEKDAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_WEEKDAY_ABBREVIATIONS = r"(?:lun|mar|mer|jeu|ven|sam|dim)\.?"
_DAY_MONTH = r"[0-3]?\d/[01]?\d"  # "22/04": a date when its context says so (not "10/10", a mark)
_DAY_MONTH_CONTEXT = (
    rf"(?:le|du|au|avant le|apr[eè]s le|depuis le|jusqu['’]au|{_WEEKDAYS}|{_WEEKDAY_ABBREVIATIONS})"
)
_ENGLISH_MONTHS = rf"(?:{alternatives('months_en.txt')})\.?"
_ENGLISH_DAY = r"(?:[0-3]?\d(?:st|nd|rd|th)?)"
_ENGLISH_WEEKDAY = rf"(?:(?:{alternatives('weekdays_en.txt')}),?[ \u00a0]+)?"
_ENGLISH_DATE = (
    rf"{_ENGLISH_WEEKDAY}"
    rf"(?:{_ENGLISH_DAY}[ \u00a0]+{_ENGLISH_MONTHS}|{_ENGLISH_MONTHS}[ \u00a0]+{_ENGLISH_DAY})"
    rf"(?:,?[ \u00a0]+{_YEAR})?"
)
_RANGE_START = r"(?:du|entre le|entre)"  # "du 21 au 25 octobre"
_BEFORE_MONTH = r"(?:en|depuis|dès|d['’]ici|fin|début|mi-|courant|de|d['’])"  # "en juin"


def _date_spec(in_words: str) -> RecognizerSpec:
    return RecognizerSpec(
        "fr_date",
        Entity.DATE,
        (
            Pattern(rf"(?<![\w/.\-]){_WRITTEN_DATE}(?!\w)", 0.85, flags=_I),
            Pattern(rf"(?<![\w/.\-]){_NUMERIC_DATE}(?![\w/]|[.\-]\d)", 0.85, checksums.is_date),
            Pattern(rf"(?<!\w){_MONTH_YEAR}(?!\w)", 0.75, flags=_I),
            Pattern(
                r"(?<!\w)(?:le|du|au)[ \u00a0]+([0-3]\d[01]\d(?:19|20)\d{2})(?!\w)",
                0.6,
                checksums.is_compact_date,
                group=1,
                flags=_I,
            ),
            Pattern(
                rf"(?<!\w)(?:en|depuis|dès|année|courant|fin|début)[ \u00a0]+({_YEAR})(?![\w,.]\d)",
                0.55,
                group=1,
                flags=_I,
            ),
            # "le 22/04", "Lun. 22/04", "16/01-19/01": day and month without the year
            Pattern(
                rf"{prefilter(_DAY_MONTH_CONTEXT)}(?<!\w){_DAY_MONTH_CONTEXT}"
                rf"[ \u00a0]+({_DAY_MONTH})(?![\w/]|[.\-]\d)",
                0.7,
                checksums.is_day_month,
                group=1,
                flags=_I,
            ),
            Pattern(
                rf"(?=\d)(?<![\w/.\-])({_DAY_MONTH})(?=[ \u00a0]?[-–][ \u00a0]?{_DAY_MONTH}(?![\w/]))",
                0.7,
                checksums.is_day_month,
                group=1,
            ),
            Pattern(
                rf"(?=\d)(?<=\d[-–])({_DAY_MONTH})(?![\w/]|[.\-]\d)", 0.7, checksums.is_day_month, group=1
            ),
            # "mardi 19 après-midi", "samedi 13 et dimanche 14 avril": the month comes later or is known
            Pattern(
                rf"{prefilter(_WEEKDAYS)}(?<!\w){_WEEKDAYS}"
                rf"[ \u00a0]+(?:1er|[0-3]?\d)(?![\w/:,.]|[ \u00a0]*h\b)",
                0.7,
                flags=_I,
            ),
            # "du 21 au 25 octobre": the first day of a range
            Pattern(
                rf"{prefilter(_RANGE_START)}(?<!\w){_RANGE_START}[ \u00a0]+(1er|[0-3]?\d)"
                rf"(?=[ \u00a0]+(?:au|et)[ \u00a0]+(?:1er|[0-3]?\d)[ \u00a0]+{_MONTHS}(?![a-zé]))",
                0.7,
                group=1,
                flags=_I,
            ),
            # "en juin", "depuis décembre", "de mai à septembre": a month alone, after a preposition
            Pattern(
                rf"{prefilter(_BEFORE_MONTH)}(?<!\w){_BEFORE_MONTH}[ \u00a0]*"
                rf"(?<=[ \u00a0'’-])"
                rf"({_FULL_MONTHS})(?![\w-])",
                0.6,
                group=1,
                flags=_I,
            ),
            Pattern(in_words, 0.8, flags=_I),
            # English: "3 August 2024", "Tuesday 5 March", "Thu, 7 Mar 2024", "June 13, 2024"
            Pattern(rf"{prefilter(_ENGLISH_DATE)}(?<![\w/.\-]){_ENGLISH_DATE}(?![\w])", 0.85),
        ),
    )


def _birth_date_spec(any_date: str) -> RecognizerSpec:
    return RecognizerSpec(
        "fr_date_of_birth",
        Entity.DATE_OF_BIRTH,
        (
            Pattern(
                r"(?<!\w)(?:n[ée]e?s?(?:\(e\))?|na[iî]t)[ \u00a0]+(?:le|en|au cours de|vers)[ \u00a0]+"
                rf"({any_date})(?![\w/])",
                0.95,
                group=1,
                flags=_I,
            ),
            Pattern(
                r"(?<!\w)(?:date[ \u00a0]+de[ \u00a0]+naissance|date[ \u00a0]+de[ \u00a0]+nais\.?|"
                r"DDN|n[ée]e?[ \u00a0]*(?:\(e\))?[ \u00a0]*le)[ \u00a0]*:?[ \u00a0]*"
                rf"({any_date})(?![\w/])",
                0.95,
                group=1,
                flags=_I,
            ),
        ),
    )


DRIVING_LICENCE = RecognizerSpec("fr_driving_licence", Entity.DRIVING_LICENSE, ())

_STATIC: tuple[RecognizerSpec, ...] = (
    EMAIL,
    URL,
    IP_ADDRESS,
    PHONE,
    NIR,
    SIREN,
    SIRET,
    IBAN,
    RIB,
    CREDIT_CARD,
    TAX_ID,
    CAF_NUMBER,
    LICENSE_PLATE,
    ID_CARD,
    PASSPORT,
    DRIVING_LICENCE,
)
CATALOGUE_NAMES = frozenset({*(spec.name for spec in _STATIC), "fr_date", "fr_date_of_birth"})

_LABEL_GAP = r"[^\n\d]{0,30}?"  # "n° de sécurité sociale (NIR) : ", "IBAN du compte : "


def labelled_pattern(name: str, labels: Sequence[str]) -> Pattern:
    """The shape of `name`'s identifier right after one of its labels, checksum or not."""
    prefilter = first_letters(labels)  # generated from the labels: a cheap test at each position
    shape = identifier_shapes()[name].replace("{S}", _S)
    regex = rf"{prefilter}(?<!\w)(?i:{alternation(labels)})(?!\w){_LABEL_GAP}{_START}({shape}){_END}"
    return Pattern(regex, 0.8, group=1)


def _with_labels(spec: RecognizerSpec, labels: Mapping[str, Sequence[str]]) -> RecognizerSpec:
    if spec.name not in labels:
        return spec
    return replace(spec, patterns=(*spec.patterns, labelled_pattern(spec.name, labels[spec.name])))


def date_in_words(words: Sequence[str], year: str = "?") -> str:
    """A date written in words ("le onze mars deux mille vingt-quatre"), from the number words;
    `year` "" makes the year compulsory."""
    number = alternation(words)
    numbers = rf"{number}(?:(?:[ \u00a0-]+|[ \u00a0-]et[ \u00a0-]){number})*"
    return rf"{numbers}[ \u00a0]+{_FULL_MONTHS}(?:[ \u00a0]+{numbers}){year}(?![\w-])"


@functools.cache
def catalogue() -> tuple[RecognizerSpec, ...]:
    """Every pattern recognizer of the catalogue, with the word lists of data/ compiled in."""
    words = number_words()
    in_words = date_in_words(words)
    # The year in words first: "premier mars deux mille quatre" is not "premier mars" and a year.
    with_year = date_in_words(words, year="")
    any_date = rf"(?:{with_year}|{_WRITTEN_DATE}|{_NUMERIC_DATE}|{_MONTH_YEAR}|{in_words}|{_YEAR})"
    specs = (*_STATIC, _date_spec(rf"{first_letters(words)}(?<![\w-]){in_words}"), _birth_date_spec(any_date))
    labels = identifier_labels()
    unknown = sorted(set(labels) - {spec.name for spec in specs})
    if unknown:
        raise ValueError(f"identifier_labels.yaml : reconnaisseur inconnu « {unknown[0]} »")
    return tuple(_with_labels(spec, labels) for spec in specs)
