"""Corrections of spaCy's entities (proxy/analysis/ner_rules.py), rule by rule, with the lexicons of
data/: each spaCy span given here is one the model really produces on such text."""

from __future__ import annotations

import pytest
from spacy.lang.fr.stop_words import STOP_WORDS

from proxy.analysis.first_names import load_first_names, normalise
from proxy.analysis.ner_rules import NerRules, NerSpan
from proxy.analysis.places import load_place_names
from proxy.entities import Entity

P, L, ORG = Entity.PERSON, Entity.LOCATION, Entity.ORGANIZATION


@pytest.fixture(scope="module")
def rules() -> NerRules:
    return NerRules(frozenset(normalise(w) for w in STOP_WORDS), load_first_names(), load_place_names())


@pytest.mark.parametrize(
    ("text", "span", "entity", "expected"),
    [
        ("Reçu M. Jean Dupont hier.", "M. Jean Dupont", P, [("Jean Dupont", P)]),  # civilities_fr.txt
        ("Bonjour Julien, merci", "Bonjour Julien", P, [("Julien", P)]),  # greetings.txt
        ("Jean Dupont\nService RH", "Jean Dupont\nService RH", P, [("Jean Dupont", P)]),  # one per line
        ("Il est à l'hôpital Bichat depuis hier.", "hôpital Bichat", L, [("hôpital Bichat", ORG)]),
        ("Vu la mairie de Lyon", "mairie de Lyon", ORG, [("Lyon", L)]),  # public_bodies_fr.txt
        ("Il vit à Rouen.", "Rouen", L, [("Rouen", L)]),
        ("le ministère de la Santé a écrit", "Santé", L, []),  # the domain of a public body
        ("au collège Jean Moulin demain", "Jean Moulin", P, []),  # named_after_places_fr.txt
        ("Téléphone : 06", "Téléphone", L, []),  # a form field's label
        ("Le Maire a signé", "Maire", P, []),  # titles_fr.txt
        ("La Cour rappelle", "Cour", ORG, []),  # generic_words_fr.txt
        ("Veuillez agréer", "Veuillez", P, []),  # opens a sentence, no known first name
        ("Rendez-vous en Mars", "Mars", L, []),  # calendar_words.txt
    ],
)
def test_refine(
    rules: NerRules, text: str, span: str, entity: Entity, expected: list[tuple[str, Entity]]
) -> None:
    start = text.index(span)
    refined = rules.refine(text, NerSpan(start, start + len(span), entity))
    assert [(text[s.start : s.end], s.entity) for s in refined] == expected
