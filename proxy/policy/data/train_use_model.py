"""Train the forbidden-use model (proxy/policy/use_model.py) on the labelled requests of bench/data/.

    sh .ci/uv run --locked python -m proxy.policy.data.train_use_model [--check]

Needs scikit-learn, a development dependency: the proxy itself only reads the weights it writes.
First, for each set written apart from the rules (`forbidden_uses_blind*.jsonl`: one writer each), a
model trained on every other set scores it: what the model does on requests it never saw, per family.
The threshold is the lowest probability that keeps false alarms at or under `MAX_FALSE_ALARMS` on
those scores taken together. Then the model is trained on every set and written with its provenance
(files and their sha256, the vocabulary file's, figures), so a test can tell a stale model.
`--check` prints the figures without writing.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction import DictVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from proxy.policy.lexicon import VOCABULARY_FILE
from proxy.policy.use_model import MODEL_FILE, NEGATIVE, features

REPO = Path(__file__).resolve().parents[3]
SETS = REPO / "bench" / "data"
TRAINING_GLOB = "forbidden_uses*.jsonl"
APART_PREFIX = "forbidden_uses_blind"  # sets written by someone who had not read the rules
CLASSES = (NEGATIVE, "sanction", "aide", "recrutement", "evaluation", "fraude")
REGULARISATION = 1.0  # C: chosen on the sets written apart (1, 3 and 10 compared)
MAX_FALSE_ALARMS = 0.02
# Pieces of the long negatives, read as negatives too (`pasted_fragments`); all of them together weigh
# FRAGMENT_SHARE of the real negatives.
LONG_TEXT_LINES, FRAGMENT_LINES, FRAGMENT_SHARE = 6, 3, 0.1
# Before the regression, each feature is scaled by how unevenly it falls between forbidden uses and
# negatives (the log-count ratio of "NBSVM", Wang & Manning 2012), half-way towards 1 (NB_SHARE): a word
# as frequent on both sides ("note", "dossier", a first name) starts weaker than "tranche" or "à toi de
# voir". The scale is folded into the weights written, so the run-time reading is unchanged. Measured
# on the sets written apart (session 6): 0.935 -> 0.953 of recall at 2 % false alarms (share 0.5).
NB_SHARE = 0.5
KEPT_WEIGHT = 0.01  # smaller weights change no probability by more than a hair: not written
Rows = list[dict[str, str]]


# Ordinary texts of the repository (requests with personal data, documents of local authorities,
# varied French prose, the standing instructions of chat front-ends), none asking for a forbidden
# use: without them, a long document or an English e-mail unlike any labelled request was read as
# one, and so was "Tu aides Mme Martin, gestionnaire au CCAS." (a system prompt naming a person).
ORDINARY = (
    SETS / "agent_prompts_fr.jsonl",
    SETS / "system_prompts_fr.jsonl",
    SETS / "local_gov_fr.jsonl",
    REPO / "tests" / "analysis" / "data" / "ner_equivalence_fr.jsonl",
)


def labelled_sets() -> dict[str, Rows]:
    """The labelled requests, and the ordinary texts as `negatif` (one set each)."""
    sets = {path.name: _rows(path) for path in sorted(SETS.glob(TRAINING_GLOB))}
    for path in ORDINARY:
        sets[path.name] = [{"family": NEGATIVE, "text": row["text"]} for row in _rows(path)]
    return sets


def _rows(path: Path) -> Rows:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class Trained:
    """A regression over scaled features: `scale[j]` multiplies feature j before `model` reads it."""

    vectors: DictVectorizer
    model: LogisticRegression
    scale: npt.NDArray[np.float64]

    def forbidden(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """The probability that each text asks for a forbidden use (any family)."""
        matrix = self.vectors.transform(_feature_rows(texts))
        negative = list(self.model.classes_).index(CLASSES.index(NEGATIVE))
        return np.asarray(1 - self.model.predict_proba(_scaled(matrix, self.scale))[:, negative])

    def weights(self) -> npt.NDArray[np.float64]:
        """One row per class, one column per feature: the weights on the unscaled (0/1) features."""
        return np.asarray(self.model.coef_) * self.scale


def fitted(rows: Rows) -> Trained:
    negatives = (row["text"] for row in rows if row["family"] == NEGATIVE)
    fragments = [piece for text in negatives for piece in pasted_fragments(text)]
    texts = [row["text"] for row in rows] + fragments
    vectors = DictVectorizer()
    matrix = vectors.fit_transform(_feature_rows(texts)).tocsr()
    labels = [CLASSES.index(row["family"]) for row in rows]
    weights = _weights(labels)
    negative = CLASSES.index(NEGATIVE)
    if fragments:
        share = FRAGMENT_SHARE * sum(w for w, label in zip(weights, labels, strict=True) if label == negative)
        weights += [share / len(fragments)] * len(fragments)
        labels += [negative] * len(fragments)
    scale = naive_bayes_scale(matrix, np.array(labels) != negative, np.array(weights))
    model = LogisticRegression(C=REGULARISATION, max_iter=5000)
    model.fit(_scaled(matrix, scale), labels, sample_weight=weights)
    return Trained(vectors, model, scale)


def _feature_rows(texts: Sequence[str]) -> list[dict[str, int]]:
    return [dict.fromkeys(features(text), 1) for text in texts]


def _scaled(matrix: Any, scale: npt.NDArray[np.float64]) -> Any:
    """The sparse matrix with column j multiplied by `scale[j]` (scipy comes with scikit-learn)."""
    return matrix.multiply(scale).tocsr()


def naive_bayes_scale(
    matrix: Any, forbidden: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Per feature: |log-count ratio| between the forbidden uses and the negatives (counts weighted as
    the texts are, one added to each), divided by its mean, interpolated with 1 by `NB_SHARE`."""
    on_forbidden = np.asarray(matrix[forbidden].T @ weights[forbidden]).ravel() + 1
    on_negatives = np.asarray(matrix[~forbidden].T @ weights[~forbidden]).ravel() + 1
    ratio = np.abs(np.log((on_forbidden / on_forbidden.sum()) / (on_negatives / on_negatives.sum())))
    return np.asarray((1 - NB_SHARE) + NB_SHARE * ratio / ratio.mean())


def pasted_fragments(text: str) -> list[str]:
    """Every run of `FRAGMENT_LINES` lines of a long text (`LONG_TEXT_LINES` lines or more): a piece of
    a table or an e-mail that asks nothing. Those of the negatives are negatives too, so that the
    words of pasted material ("exclusion", "note", "fraude présumée") weigh less than the ask."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < LONG_TEXT_LINES:
        return []
    return ["\n".join(lines[i : i + FRAGMENT_LINES]) for i in range(len(lines) - FRAGMENT_LINES + 1)]


def _weights(labels: list[int]) -> list[float]:
    """Each family weighs as much as the others, and all of them together as much as `negatif`: with
    six equal classes, a text that tells the model little (an English e-mail) leaned 5 to 1 towards a
    forbidden use."""
    counts = {label: labels.count(label) for label in set(labels)}
    families = len(counts) - 1
    share = {label: 0.5 if CLASSES[label] == NEGATIVE else 0.5 / families for label in counts}
    return [share[label] * len(labels) / counts[label] for label in labels]


def unseen_scores(sets: dict[str, Rows]) -> dict[str, list[tuple[str, float]]]:
    """Per set written apart: (family, probability of a forbidden use) of each request, scored by a
    model trained on every other set."""
    scores = {}
    for name in (n for n in sets if n.startswith(APART_PREFIX)):
        others = [row for other, rows in sets.items() if other != name for row in rows]
        forbidden = fitted(others).forbidden([row["text"] for row in sets[name]])
        scores[name] = [(row["family"], float(p)) for row, p in zip(sets[name], forbidden, strict=True)]
    return scores


def threshold_for(scores: dict[str, list[tuple[str, float]]]) -> float:
    negatives = sorted(p for rows in scores.values() for family, p in rows if family == NEGATIVE)
    allowed = int(MAX_FALSE_ALARMS * len(negatives))  # false alarms tolerated
    return round(min(0.95, max(0.5, negatives[len(negatives) - allowed - 1] + 1e-3)), 3)


def figures(scores: dict[str, list[tuple[str, float]]], threshold: float) -> dict[str, dict[str, float]]:
    """Per set: recall per family present, false alarms, overall recall (when it has positives: a
    set of long texts that ask nothing only has false alarms)."""
    report = {}
    for name, rows in scores.items():
        line: dict[str, float] = {}
        for family in CLASSES:
            hits = [p >= threshold for f, p in rows if f == family]
            if hits:
                line[family] = round(sum(hits) / len(hits), 3)
        positives = [p >= threshold for f, p in rows if f != NEGATIVE]
        if positives:
            line["rappel"] = round(sum(positives) / len(positives), 3)
        report[name] = line
    return report


def model_file(trained: Trained, provenance: dict[str, Any]) -> bytes:
    coefficients = trained.weights()
    weights = {
        name: [round(float(w), 4) for w in coefficients[:, column]]
        for name, column in sorted(trained.vectors.vocabulary_.items())
        if float(np.abs(coefficients[:, column]).max()) >= KEPT_WEIGHT
    }
    classes = [CLASSES[int(c)] for c in trained.model.classes_]
    raw = {
        "classes": classes,
        "bias": [round(float(b), 4) for b in trained.model.intercept_],
        "threshold": provenance["threshold"],
        "provenance": provenance,
        "weights": weights,
    }
    text = json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), mtime=0)


def _path(name: str) -> Path:
    return next((path for path in ORDINARY if path.name == name), SETS / name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance_of(sets: dict[str, Rows], threshold: float, report: dict[str, Any]) -> dict[str, Any]:
    return {
        "training_sets": {
            name: {"rows": len(rows), "sha256": sha256(_path(name))} for name, rows in sets.items()
        },
        "vocabulary_sha256": sha256(VOCABULARY_FILE),
        "regularisation": REGULARISATION,
        "naive_bayes_share": NB_SHARE,
        "fragments": {"long_text": LONG_TEXT_LINES, "lines": FRAGMENT_LINES, "share": FRAGMENT_SHARE},
        "threshold": threshold,
        "unseen_sets": report,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="print the figures, write nothing")
    args = parser.parse_args(argv)
    sets = labelled_sets()
    scores = unseen_scores(sets)
    threshold = threshold_for(scores)
    report = figures(scores, threshold)
    print(f"seuil : {threshold}")
    for name, line in report.items():
        print(f"  {name:45} " + " ".join(f"{k} {v:.3f}" for k, v in line.items()))
    if not args.check:
        trained = fitted([row for rows in sets.values() for row in rows])
        MODEL_FILE.write_bytes(model_file(trained, provenance_of(sets, threshold, report)))
        print(f"écrit : {MODEL_FILE.relative_to(REPO)} ({MODEL_FILE.stat().st_size // 1024} Kio)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
