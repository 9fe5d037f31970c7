"""Cost of the policy core per request, and how often its French rules fire on ordinary text.

    .venv/bin/python bench/policy.py [--corpus FILE] [--limit N] [--policy FILE]

Detection runs once beforehand (its cost is bench/detection.py's business); what is timed is the
pure plan + decide, i.e. what the policy adds to every request. The corpus texts (court judgments,
clinical templates, old newspapers) are not requests to an assistant: the share of texts where a
forbidden-use rule fires is a rough upper bound of false alarms on long documents pasted by agents.
Nothing is asserted; figures are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from proxy.analysis.engine import Detector, load_detection_config
from proxy.policy import engine
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import load_policy
from proxy.policy.records import RequestFacts
from proxy.policy.simulate import caller_for
from proxy.settings import Hosting

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / ".." / "shared" / "data" / "pii_fr_dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--policy", type=Path, default=REPO / "policies" / "default.yaml")
    args = parser.parse_args()
    lines = args.corpus.read_text(encoding="utf-8").splitlines()[: args.limit]
    texts = [json.loads(line)["text"] for line in lines]
    detector = Detector(load_detection_config(REPO / "models"))
    started = time.perf_counter()
    findings = [detector.detect([text])[0] for text in texts]
    detection_ms = (time.perf_counter() - started) * 1000 / len(texts)
    rulebook = load_policy(
        args.policy, PolicyContext({"demo": Hosting.LOCAL}, detector.active_entities)
    ).rulebook
    timings, fired = [], Counter[str]()
    for text, found in zip(texts, findings, strict=True):
        facts = RequestFacts(endpoint=engine.CHAT, model="demo", input_chars=len(text), instructions=(text,))
        started = time.perf_counter()
        plan = engine.plan(rulebook, caller_for("urbanisme"), facts)
        decision = engine.decide(plan, [text], [found])
        timings.append((time.perf_counter() - started) * 1000)
        fired.update({rule.rsplit(".", 1)[0] if rule.startswith("use.") else rule for rule in decision.rules})
    chars = sum(len(t) for t in texts)
    average = chars / len(texts)
    print(f"textes : {len(texts)} ({average:.0f} caractères en moyenne) — politique : {args.policy.name}")
    print(f"détection (pour comparaison) : {detection_ms:.1f} ms par texte")
    print(
        f"plan + decide : médiane {statistics.median(timings):.2f} ms, "
        f"p95 {sorted(timings)[int(len(timings) * 0.95)]:.2f} ms, max {max(timings):.2f} ms"
    )
    print(f"débit du moteur : {chars / sum(timings):.0f} caractères par ms")
    print("règles déclenchées (part des textes) :")
    for rule, count in fired.most_common():
        print(f"  {rule:40} {count:4d}  {100 * count / len(texts):5.1f} %")


if __name__ == "__main__":
    main()
