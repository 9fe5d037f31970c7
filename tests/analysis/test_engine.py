"""The real detector on French text: types, offsets, sorting, batching, config refusal."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from proxy.analysis.engine import DetectionError, Detector, load_detection_config
from proxy.analysis.ner import BilingualNer, _components_to_exclude
from proxy.analysis.ner_processes import NerProcesses
from proxy.entities import Entity

MODELS = Path(__file__).resolve().parents[2] / "models"

LETTER = (
    "Bonjour, je suis M. DUPONT Jean, joignable au 06 12 34 56 78 ou à jean.dupont@exemple.fr. "
    "Mon numéro de sécurité sociale est 1 84 12 76 451 089 46 et mon IBAN "
    "FR76 3000 6000 0112 3456 7890 189. J'habite à Lyon."
)


def _found(detector: Detector, text: str) -> dict[str, Entity]:
    return {text[f.start : f.end]: f.entity for f in detector.detect([text])[0]}


def test_finds_each_kind_in_a_letter(detector: Detector) -> None:
    found = _found(detector, LETTER)
    assert found["06 12 34 56 78"] is Entity.PHONE
    assert found["jean.dupont@exemple.fr"] is Entity.EMAIL
    assert found["1 84 12 76 451 089 46"] is Entity.NIR
    assert found["FR76 3000 6000 0112 3456 7890 189"] is Entity.IBAN
    assert found["Lyon"] is Entity.LOCATION
    assert any("DUPONT" in span and e is Entity.PERSON for span, e in found.items())


def test_findings_sorted_and_disjoint(detector: Detector) -> None:
    findings = detector.detect([LETTER])[0]
    assert findings == sorted(findings, key=lambda f: f.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))


def test_batch_gives_one_list_per_text_same_as_alone(detector: Detector) -> None:
    texts = [LETTER, "", "Rien de personnel ici.", LETTER]
    batch = detector.detect(texts)
    assert len(batch) == 4
    assert batch[1] == []
    assert batch[0] == batch[3] == detector.detect([LETTER])[0]


def test_detection_leaves_no_string_of_the_texts_in_the_vocabulary(local_detector: Detector) -> None:
    """spaCy interns every token it sees; a long-running proxy would keep every name ever sent."""
    bilingual = local_detector._ner
    assert isinstance(bilingual, BilingualNer)
    ner = bilingual.french
    before = ner.vocabulary_size
    found = local_detector.detect(["Mme Zéphyrine Quastrovek habite 12 rue Brambilou à Trifouillis-sur-Lez."])
    assert Entity.PERSON in {f.entity for f in found[0]}
    assert ner.vocabulary_size == before


def test_ner_in_worker_processes_finds_exactly_what_it_finds_in_process(
    detector: Detector, local_detector: Detector
) -> None:
    texts = [LETTER, "Mme Claire Martin, 3 rue des Lilas, 69003 Lyon.", "", "Rien.", LETTER.upper()] * 3
    assert detector.detect(texts) == local_detector.detect(texts)  # a batch spread over the workers
    assert [detector.detect([text]) for text in texts] == [local_detector.detect([t]) for t in texts]


def test_a_dead_ner_worker_is_replaced(detector: Detector) -> None:
    """Workers killed (all at once, just before a request) are replaced; no request fails."""
    pool = detector._ner
    assert isinstance(pool, NerProcesses)
    expected = detector.detect([LETTER, LETTER.upper()])
    killed = pool.pids
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    assert detector.detect([LETTER, LETTER.upper()]) == expected
    assert detector.detect([LETTER]) == expected[:1]
    assert not set(killed) & set(pool.pids)


def test_active_entities_cover_the_configured_recognizers(detector: Detector) -> None:
    assert {Entity.PERSON, Entity.LOCATION, Entity.NIR, Entity.IBAN} <= detector.active_entities


def test_fingerprint_is_stable_hex(detector: Detector) -> None:
    assert len(detector.fingerprint) == 64
    assert detector.fingerprint == load_detection_config(MODELS).fingerprint


def _copy_models(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(MODELS, target)
    return target


def test_unknown_recognizer_is_refused_with_file_and_key(tmp_path: Path) -> None:
    models = _copy_models(tmp_path)
    path = models / "recognizers.yaml"
    path.write_text(path.read_text() + "  fr_nirr:\n    enabled: true\n")
    with pytest.raises(ValueError, match=r"(?s)recognizers\.yaml.*ligne \d+, clé « recognizers\.fr_nirr »"):
        load_detection_config(models)


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    models = _copy_models(tmp_path)
    path = models / "nlp.yaml"
    path.write_text(path.read_text() + "modele: fr_core_news_lg\n")
    with pytest.raises(ValueError, match=r"(?s)nlp\.yaml.*ligne \d+, clé « modele » : clé inconnue"):
        load_detection_config(models)


def test_components_are_read_and_an_empty_list_is_refused(tmp_path: Path) -> None:
    models = _copy_models(tmp_path)
    config = load_detection_config(models)
    assert config.components == ("ner",)
    excluded = _components_to_exclude(config.model, config.components)
    assert "ner" not in excluded and excluded  # the model's other components are not loaded
    path = models / "nlp.yaml"
    path.write_text(path.read_text().replace("components: [ner]", "components: []"))
    with pytest.raises(ValueError, match=r"(?s)nlp\.yaml.*ligne 5, clé « components »"):
        load_detection_config(models)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    models = _copy_models(tmp_path)
    (models / "nlp.yaml").unlink()
    with pytest.raises(ValueError, match=r"nlp\.yaml"):
        load_detection_config(models)


def test_unmapped_model_label_refuses_to_start(tmp_path: Path) -> None:
    models = _copy_models(tmp_path)
    path = models / "nlp.yaml"
    path.write_text(path.read_text().replace("  MISC: null\n", ""))
    with pytest.raises(DetectionError, match="MISC"):
        Detector(load_detection_config(models))


def test_concurrent_detection_gives_the_same_results(detector: Detector) -> None:
    texts = [LETTER, "Mme Claire Martin, 3 rue des Lilas, 69003 Lyon.", "Rien.", LETTER.upper()]
    expected = detector.detect(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: detector.detect(texts), range(8)))
    assert all(result == expected for result in results)


class _Unreadable:
    def __str__(self) -> str:
        raise RuntimeError("boom")


def test_failure_inside_detection_is_a_detection_error(detector: Detector) -> None:
    with pytest.raises(DetectionError) as raised:
        detector.detect([_Unreadable()])  # type: ignore[list-item]
    assert "boom" not in str(raised.value)  # the message names the failure type, never data


def test_small_model_is_selectable_and_changes_the_fingerprint(tmp_path: Path) -> None:
    models = _copy_models(tmp_path)
    path = models / "nlp.yaml"
    path.write_text(path.read_text().replace("model: fr_core_news_md", "model: fr_core_news_sm"))
    small = load_detection_config(models)
    assert small.model == "fr_core_news_sm"
    assert small.fingerprint != load_detection_config(MODELS).fingerprint


def test_unknown_model_is_refused(tmp_path: Path) -> None:
    models = _copy_models(tmp_path)
    path = models / "nlp.yaml"
    path.write_text(path.read_text().replace("model: fr_core_news_md", "model: en_core_web_lg"))
    with pytest.raises(ValueError, match=r"(?s)nlp\.yaml.*ligne 4, clé « model » : valeur attendue"):
        load_detection_config(models)
