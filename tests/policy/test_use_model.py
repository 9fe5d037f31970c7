"""The forbidden-use model: what it reads, that the shipped weights are those of today's data, and how
a policy names it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from proxy.policy.lexicon import VOCABULARY_FILE, VOCABULARY_MARK, Group, sentences, vocabularies
from proxy.policy.schema import UseRule
from proxy.policy.use_model import NEGATIVE, _vocabulary_index, features, use_model

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
LABELLED = sorted(DATA.glob("forbidden_uses*.jsonl"))
ORDINARY = Path(__file__).resolve().parents[1] / "analysis" / "data"  # besides bench/data/


def _texts() -> list[str]:
    return [
        json.loads(line)["text"]
        for path in LABELLED
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_the_vocabulary_index_finds_what_each_vocabulary_finds_alone() -> None:
    """The model reads the vocabularies through an index by word: on every sentence of every labelled
    request, the same names as trying each vocabulary in turn (else the weights mean other things)."""
    groups = {name: Group.parse(VOCABULARY_MARK + name) for name in vocabularies()}
    index = _vocabulary_index()
    checked = found = 0
    for text in _texts():
        for sentence in sentences(text):
            expected = {name for name, group in groups.items() if group.found_in(sentence)}
            assert index.names_in(sentence) == expected, text[:80]
            checked += 1
            found += bool(expected)
    assert checked > 5000 and found > 2000


def test_the_shipped_model_was_trained_on_todays_sets_and_vocabulary() -> None:
    """Adding a labelled set or changing a vocabulary asks for
    `python -m proxy.policy.data.train_use_model`."""
    provenance = use_model().provenance
    trained = provenance["training_sets"]
    assert isinstance(trained, dict)
    assert {path.name for path in LABELLED} <= set(trained)  # every labelled set, and ordinary texts
    for name, entry in trained.items():
        [path] = [p for p in (DATA / name, ORDINARY / name) if p.exists()]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), name
    assert provenance["vocabulary_sha256"] == hashlib.sha256(VOCABULARY_FILE.read_bytes()).hexdigest()


# Sets written to stress one weak spot: long pasted material (tables, e-mails, minutes) before or
# after the ask (N, R, W, AE) or asking nothing at all (AD: court reports, old newspapers, judgments),
# elliptic questions on both sides (X: "on le garde ?" / "on la garde, la réunion de jeudi ?"), and
# requests in English or franglais (AG). Scored without them, they are where the model errs most.
PASTED = {f"forbidden_uses_blind_{letters}_fr.jsonl" for letters in ("n", "r", "w", "ae", "ad")}
ELLIPTIC = "forbidden_uses_blind_x_fr.jsonl"
ENGLISH = "forbidden_uses_blind_ag_fr.jsonl"


def test_on_sets_it_never_saw_the_model_keeps_its_floor() -> None:
    """The figures the training recorded for each set written apart, scored by a model trained
    without it: a retraining that loses ground fails here (floors a little under the figures of
    bench/data/README.md, session 6: pooled recall 0.935 at 2.0 % false alarms over 29 sets)."""
    provenance = use_model().provenance
    unseen, trained = provenance["unseen_sets"], provenance["training_sets"]
    assert isinstance(unseen, dict) and isinstance(trained, dict) and len(unseen) >= 29
    for name, line in unseen.items():
        weak = name in PASTED or name == ENGLISH
        assert line.get("rappel", 1.0) >= (0.74 if weak else 0.8), name  # very short ones (X): 0.82
        assert line[NEGATIVE] <= (0.08 if name in PASTED or name == ELLIPTIC else 0.04), name
    positives = {name: _positives(name) for name in unseen}
    found = sum(unseen[name].get("rappel", 0.0) * positives[name] for name in unseen)
    assert found / sum(positives.values()) >= 0.92


def _positives(name: str) -> int:
    path = Path(__file__).resolve().parents[2] / "bench" / "data" / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(json.loads(line)["family"] != NEGATIVE for line in lines)


def test_features_are_words_pairs_pieces_questions_and_vocabularies_never_the_text() -> None:
    read = features("Décide de la sanction de M. Martin ?")
    assert {"u:decid", "b:decid_sanction", "q", "v:sanction", "vq:sanction", "c:mart"} <= read
    assert {"f:decid", "a:decid", "a:sanction"} <= read  # the first word; a question asks
    assert "a:decid" not in features("Le maire a décidé la sanction de M. Martin.")
    assert "Martin" not in " ".join(read)


def test_the_model_reads_a_request_as_a_family_or_as_none() -> None:
    model = use_model()
    asked = model.probabilities("Tu peux trancher : on prend Mme Diallo ou M. Petit pour le poste ?")
    assert max(asked, key=asked.__getitem__) == "recrutement"
    assert model.asked(asked, ["recrutement", "evaluation"], None)
    plain = model.probabilities("Rédige un courrier pour relancer le prestataire de la cantine.")
    assert max(plain, key=plain.__getitem__) == NEGATIVE
    assert not model.asked(plain, model.families, None)
    assert abs(sum(plain.values()) - 1) < 1e-9


def test_a_forbidden_use_split_between_families_counts_for_the_likeliest() -> None:
    """The threshold was chosen on the probability of any forbidden use: a request above it counts
    for the rule of its likeliest family, even when no family reaches it alone."""
    model = use_model()
    split = {NEGATIVE: 0.3, "sanction": 0.3, "fraude": 0.25, "aide": 0.15, "recrutement": 0, "evaluation": 0}
    assert model.asked(split, ["sanction"], 0.6)
    assert not model.asked(split, ["fraude"], 0.6) and not model.asked(split, ["aide"], 0.6)
    assert model.asked(split, ["fraude", "aide"], 0.4)  # the families of a rule still add up
    assert not model.asked(split, ["sanction"], 0.75)  # the rule's own threshold holds
    weak = {NEGATIVE: 0.5, "sanction": 0.2, "fraude": 0.2, "aide": 0.1, "recrutement": 0, "evaluation": 0}
    assert not any(model.asked(weak, [family], 0.6) for family in model.families)


def test_a_use_rule_names_patterns_or_model_families_it_knows() -> None:
    assert UseRule(description="sanction", model=("sanction",)).model == ("sanction",)
    with pytest.raises(ValidationError, match=r"« match » .*« model »"):
        UseRule(description="rien")
    with pytest.raises(ValidationError, match=r"famille inconnue du modèle : punition .*connues : sanction"):
        UseRule(description="sanction", model=("punition",))
    with pytest.raises(ValidationError):
        UseRule(description="sanction", model=("sanction",), model_threshold=1.5)


def test_the_run_time_reading_is_the_training_reading() -> None:
    """At run time the pieces of a word are looked up once per word and remembered: the weights
    summed are those of `features`, which the training reads."""
    model = use_model()
    for text in _texts()[::7]:
        rows = [model.rows[f] for f in features(text) if f in model.rows]
        totals = model.bias + model.weights[rows].sum(axis=0)
        shares = np.exp(totals - totals.max()) / np.exp(totals - totals.max()).sum()
        expected = dict(zip(model.classes, shares, strict=True))
        got = model.probabilities(text)
        assert all(abs(got[name] - expected[name]) < 1e-9 for name in model.classes), text[:80]
        assert model.probabilities(text) == got  # the same with every word remembered
