"""The regexes generated from the data files: alternations in the file's order, and prefilters
that can never drop a match (property test on strings drawn from the regex itself)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxy.analysis import patterns_fr, patterns_names, patterns_places
from proxy.analysis.wordlists import alternatives, prefilter, words

# Every regex that the detector guards with a generated prefilter.
GUARDED = {
    "closings": patterns_names._CLOSING,
    "kin_owners": patterns_names._KIN_OWNER,
    "place_prepositions": patterns_places._TO_OR_FROM,
    "day_month_context": patterns_fr._DAY_MONTH_CONTEXT,
    "weekdays": patterns_fr._WEEKDAYS,
    "range_start": patterns_fr._RANGE_START,
    "before_month": patterns_fr._BEFORE_MONTH,
    "english_date": patterns_fr._ENGLISH_DATE,
}


def test_alternatives_keep_the_file_order() -> None:
    assert alternatives("full_months_fr.txt").split("|") == list(words("full_months_fr.txt"))
    assert words("full_months_fr.txt")[0] == "janvier"


def test_prefilter_is_the_set_of_first_letters() -> None:
    assert prefilter(r"(?:du|entre le|entre)") == "(?=(?i:[de]))"
    assert prefilter(r"(?<!\w)(?:(?:sinc[eè]res )?salut|[aà] bient[oô]t)") == "(?=(?i:[asà]))"
    assert prefilter(r"(?:(?:Mon|Tue),? )?(?:\d{1,2} Jan|June \d)") == r"(?=(?i:[JMT\d]))"
    with pytest.raises(ValueError):
        prefilter(r"(?:\w+|de)")  # any letter may open it: no prefilter to generate


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_a_guarded_regex_never_loses_a_match(name: str) -> None:
    regex = GUARDED[name]
    plain = re.compile(regex, re.I)
    guarded = re.compile(prefilter(regex) + regex, re.I)
    text = "Le 3 juin, depuis Lille ; cordialement, sa fille ; Monday 3 June 2024 ; entre le 2 et le 5 mai."

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(plain, fullmatch=True))
    def check(sample: str) -> None:
        assert guarded.match(sample), sample

    check()
    assert [m.span() for m in plain.finditer(text)] == [m.span() for m in guarded.finditer(text)]
