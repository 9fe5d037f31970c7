"""French matching of forbidden uses: inflections, accents, imperative/infinitive, word order."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from proxy.entities import Entity
from proxy.policy.checks import PolicyContext
from proxy.policy.lexicon import (
    Group,
    Pattern,
    Sentence,
    Term,
    UnknownVocabulary,
    expand,
    sentences,
    stems,
    vocabularies,
)
from proxy.policy.loader import load_policy
from proxy.policy.rulebook import Rulebook, TextMatches, split_sentences
from proxy.settings import Hosting

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"


PATTERNS = Path(__file__).resolve().parent / "uses_by_patterns.yaml"


@pytest.fixture(scope="module")
def rulebook(tmp_path_factory: pytest.TempPathFactory) -> Rulebook:
    """The default policy with its forbidden-use rules written as word patterns (the default
    policy's own rules are the model's: tests/policy/test_forbidden_uses.py)."""
    raw = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    raw["uses"] = yaml.safe_load(PATTERNS.read_text(encoding="utf-8"))["uses"]
    path = tmp_path_factory.mktemp("policy") / "patterns.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    context = PolicyContext({"demo": Hosting.LOCAL}, frozenset(Entity))
    return load_policy(path, context).rulebook


def uses_in(rulebook: Rulebook, text: str) -> set[str]:
    found = split_sentences([text])
    return {matcher.id for matcher in rulebook.uses if matcher.found_in(found)}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Décide si ce dossier doit être sanctionné.", "decision-sanction"),
        ("DÉCIDEZ DE LA SANCTION", "decision-sanction"),
        ("decidez de la sanction", "decision-sanction"),  # no accents
        ("La sanction, c'est toi qui la décides.", "decision-sanction"),  # word order
        ("Faut-il sanctionner cet agent ?", "decision-sanction"),
        ("À toi de décider : sanction ou relaxe ?", "decision-sanction"),
        ("Quelle sanction appliquer à M. Martin ?", "decision-sanction"),
        ("Peux-tu trancher sur le licenciement de l'agent ?", "decision-sanction"),
        ("Sanctionner ou pas ce fonctionnaire ? À toi de voir", "decision-sanction"),
        ("Décide si M. Martin doit être sanctionné.", "decision-sanction"),  # "M." ends no sentence
        ("Dois-je sanctionner Mme Durand ?", "decision-sanction"),
        ("Attribue la subvention à l'association la plus méritante.", "attribution-aide"),
        ("Accorderiez-vous le RSA à ce demandeur ?", "attribution-aide"),
        ("Dis-moi s'il est éligible à l'allocation.", "attribution-aide"),
        ("Note ce candidat sur 20.", "evaluation-personnes"),
        ("Notez les candidats.", "evaluation-personnes"),
        ("Évaluer les agents du service selon leur productivité", "evaluation-personnes"),
        ("Les candidatures doivent être classées, fais-le.", "evaluation-personnes"),
        ("Présélectionne trois CV.", "evaluation-personnes"),
        ("Donne un score de risque de fraude pour chaque allocataire.", "detection-fraude"),
        ("Repère les fraudeurs parmi les bénéficiaires.", "detection-fraude"),
    ],
)
def test_forbidden_uses_are_recognised_in_any_form(rulebook: Rulebook, text: str, rule: str) -> None:
    assert rule in uses_in(rulebook, text)


@pytest.mark.parametrize(
    "text",
    [
        "Rédige un courrier informant l'agent de la sanction décidée par le maire.",
        "Explique la procédure disciplinaire dans la fonction publique territoriale.",
        "Le maire a décidé hier. Rédige la lettre au sujet de la sanction.",  # two sentences
        "Rédige une note de service pour les agents sur les congés.",
        "Peux-tu évaluer le coût des travaux de voirie ?",
        "Rédige une délibération attribuant une subvention au club de football.",
        "Rédige une fiche de poste pour recruter un agent d'accueil.",
        "Résume ce dossier de permis de construire.",
        # a file's name is not words of the request ("note" would read as "grade her")
        "Résume le document joint note.odt : Madame Martin demande un logement social.",
        "Voici classement_2024.xlsx et la liste des agents. Fais un tableau des congés.",
    ],
)
def test_ordinary_requests_are_not_forbidden_uses(rulebook: Rulebook, text: str) -> None:
    assert uses_in(rulebook, text) == set()


def test_a_term_matches_its_words_in_sequence_without_function_words() -> None:
    term = Term.parse("attribution d'aide")
    assert term.positions(Sentence.parse("l'attribution de l'aide sociale")) == [0]
    assert term.positions(Sentence.parse("l'aide à l'attribution")) == []
    assert term.positions(Sentence.parse("aide et attribution, puis attribution d'une aide")) == [3]


def test_a_pattern_needs_every_group_in_one_sentence() -> None:
    pattern = Pattern.parse(["décider | trancher", "sanction"])
    assert pattern.found_in(Sentence.parse("Il faut trancher, quelle sanction ?"))
    assert not pattern.found_in(Sentence.parse("Il faut trancher."))


def test_sentences_split_on_end_punctuation_and_line_breaks() -> None:
    assert len(sentences("Première phrase. Deuxième !\nTroisième ; quatrième : suite")) == 4


def test_civilities_titles_and_initials_do_not_end_a_sentence() -> None:
    assert len(sentences("Voir M. Martin, Mme. Durand, Dr. Li et J. Dupont. Fin.")) == 2


def test_only_instructions_ask_and_a_text_read_first_as_a_document_still_asks_later(
    rulebook: Rulebook,
) -> None:
    decide = "Décide si M. Martin doit être sanctionné pour son arrêt maladie."
    memo = TextMatches(rulebook.categories, rulebook.uses)
    assert memo.found([decide], []) == ({"sante"}, set())  # a pasted document asks nothing
    assert memo.found([decide], [decide]) == ({"sante"}, uses_in(rulebook, decide))
    assert memo.uses_in([decide]) != set()


def test_category_keywords_match_inflected_forms(rulebook: Rulebook) -> None:
    found = split_sentences(["Ses maladies chroniques et son handicap reconnu par la MDPH."])
    categories = {m.id for m in rulebook.categories if m.keywords_found_in(found)}
    assert categories == {"sante"}


def test_text_matches_are_remembered_per_text_without_the_text(rulebook: Rulebook) -> None:
    """A resent history is matched once; the memo gives the same answer and holds only digests."""
    texts = ["Ses maladies chroniques et son handicap reconnu par la MDPH.", "Rien de particulier."]
    memo = TextMatches(rulebook.categories, rulebook.uses, max_entries=2)
    first = memo.keywords_in(texts)
    assert first == {"sante"} == memo.keywords_in(texts) == memo.keywords_in(texts[:1])
    assert memo.keywords_in(texts[1:]) == set()
    decide = "Décide si M. Martin doit être sanctionné."
    assert memo.uses_in([decide]) == uses_in(rulebook, decide) != set()
    assert len(memo._entries) == 2  # bounded: the oldest text went
    assert all(isinstance(key, bytes) and len(key) == 32 for key in memo._entries)
    assert "MDPH" not in repr(memo._entries) and "maladie" not in repr(memo._entries)


def test_stemming_from_several_threads_gives_the_same_stems() -> None:
    """Policy matching also runs in detection threads: a shared Snowball stemmer mixes words up."""
    from concurrent.futures import ThreadPoolExecutor

    from proxy.policy.lexicon import _stemmer

    words = [
        f"{w}{s}"
        for w in ("sanction", "évaluer", "attribu", "allocat", "décid")
        for s in ("er", "ions", "ait")
    ]
    expected = [_stemmer().stemWord(w) for w in words]  # type: ignore[attr-defined]

    def stem_all(_: int) -> list[str]:
        stems = [_stemmer().stemWord(w) for w in words * 200]  # type: ignore[attr-defined]
        return stems[: len(words)] if stems == expected * 200 else stems

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch inside stemWord: a shared stemmer fails at once
    try:
        with ThreadPoolExecutor(4) as pool:
            assert all(result == expected for result in pool.map(stem_all, range(16)))
    finally:
        sys.setswitchinterval(interval)


def test_a_vocabulary_is_named_with_at_and_an_unknown_one_is_refused() -> None:
    group = Group.parse("@sanction | relaxe")
    assert group.found_in(Sentence.parse("un blâme")) and group.found_in(Sentence.parse("la relaxe"))
    with pytest.raises(UnknownVocabulary, match="vocabulaire inconnu « @sanctions »"):
        Group.parse("@sanctions")
    assert all(stems(term) for terms in vocabularies().values() for term in expand(terms))


def test_a_participle_reports_a_decision_the_other_forms_ask_for_one() -> None:
    ask = Term.parse("décider")
    assert ask.found_in(Sentence.parse("Décide."))
    assert ask.found_in(Sentence.parse("Tu déciderais quoi ?"))
    assert not ask.found_in(Sentence.parse("Le maire a décidé."))
    assert Term.parse("sanctionner").found_in(Sentence.parse("Doit-il être sanctionné ?"))


def test_a_has_is_not_a_to_but_a_to_may_be_typed_without_its_accent() -> None:
    taken = Term.parse("a attribué")
    assert not taken.found_in(Sentence.parse("Choisis à qui attribuer le logement."))
    assert taken.found_in(Sentence.parse("La commission a attribué le logement."))
    assert Term.parse("à ma place").found_in(Sentence.parse("decide a ma place"))


def test_a_question_term_is_only_found_in_a_question() -> None:
    which = Term.parse("lequel ?")
    assert [s.question for s in sentences("Lequel ? La décision par laquelle.")] == [True, False]
    assert which.found_in(sentences("Lequel des deux on embauche ?")[0])
    assert not which.found_in(sentences("Le dossier dans lequel il figure.")[0])


def test_a_use_spreads_over_a_few_sentences_and_a_sentence_with_unless_adds_nothing(
    rulebook: Rulebook,
) -> None:
    spread = "Voici le dossier de Mme Rey. Elle a 34 ans. Elle demande l'aide au permis. Décide."
    assert "attribution-aide" in uses_in(rulebook, spread)
    assert uses_in(rulebook, "Le jury a retenu Mme A. Rédige le courrier aux autres candidats.") == set()
    far = "L'aide au permis existe. Une phrase. Une autre. Encore une. Et une autre. Décide."
    assert uses_in(rulebook, far) == set()


def test_the_whole_text_first_look_never_loses_a_forbidden_use(rulebook: Rulebook) -> None:
    """`UseMatcher.found_in` reads sentences only for the patterns the whole text holds: given a
    "whole" that holds every term of every group, it reads every sentence — same answers, on every
    labelled request of the repository (a third of them ask for a forbidden use)."""
    groups = [group for use in rulebook.uses for pattern in use.patterns for group in pattern.groups]
    terms = [term for group in groups for term in group.terms]
    everything = Sentence.of(tuple(stem for term in terms for stem in term.stems), question=True)
    data = Path(__file__).resolve().parents[2] / "bench" / "data"
    texts = [row["text"] for path in sorted(data.glob("forbidden_uses*.jsonl")) for row in _rows(path)]
    assert len(texts) >= 600
    found = 0
    for text in texts:
        parts = split_sentences([text])
        for use in rulebook.uses:
            quick = use.found_in(parts)
            assert quick == use.found_in(parts, whole=everything), (use.id, text[:80])
            found += quick
    assert found >= 300  # the comparison covers matches, not only misses


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
