"""The word lists behind the NER rules: places that stay places, and the French dictionary."""

from __future__ import annotations

import pytest

from proxy.analysis.common_words import load_common_words
from proxy.analysis.places import load_place_names, place_key


@pytest.mark.parametrize(
    "name",
    ["Villeneuve-d’Ascq", "VILLENEUVE-D'ASCQ", "Saint-Étienne-du-Rouvray", "Lomme", "Finistère", "Belgique"],
)
def test_communes_departements_and_countries_are_known_places(name: str) -> None:
    assert place_key(name) in load_place_names()


@pytest.mark.parametrize("word", ["Besoin", "Coordonnées", "hier", "Établi", "Supérieur"])
def test_the_models_dictionary_knows_common_words_and_their_forms(word: str) -> None:
    assert word in load_common_words("fr_core_news_md")


@pytest.mark.parametrize("word", ["Kadiatou", "Xyzzyq", ""])
def test_the_dictionary_does_not_know_every_capitalised_word(word: str) -> None:
    assert word not in load_common_words("fr_core_news_md")
