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
if not DEFAULT_CORPUS.exists():  # a worktree under /work/wt/: the shared data is one level up
    DEFAULT_CORPUS = REPO.parent.parent / "shared" / "data" / "pii_fr_dev.jsonl"
USES = REPO / "bench" / "data" / "forbidden_uses_fr.jsonl"


def forbidden_uses(args: argparse.Namespace) -> None:
    """Recall per family and false alarms on the labelled requests (block, warn or observe all count)."""
    rows = [json.loads(line) for line in args.uses.read_text(encoding="utf-8").splitlines()]
    detector = Detector(load_detection_config(REPO / "models"))
    rulebook = load_policy(
        args.policy, PolicyContext({"demo": Hosting.LOCAL}, detector.active_entities)
    ).rulebook
    flagged: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    timings = []
    for row in rows:
        facts = RequestFacts(
            endpoint=engine.CHAT, model="demo", input_chars=len(row["text"]), instructions=(row["text"],)
        )
        started = time.perf_counter()
        plan = engine.plan(rulebook, caller_for(args.service), facts)
        decision = engine.decide(plan, [row["text"]], [[]])
        timings.append((time.perf_counter() - started) * 1000)
        totals[row["family"]] += 1
        flagged[row["family"]] += bool(decision.uses or decision.observed)
    print(f"usages interdits : {len(rows)} requêtes ({args.uses.name}), service {args.service}")
    print(f"  {'famille':<14}{'requêtes':>9}{'signalées':>10}{'taux':>8}")
    for family in sorted(totals, key=lambda f: (f == "negatif", f)):
        rate = flagged[family] / totals[family]
        label = "fausses alertes" if family == "negatif" else "rappel"
        print(f"  {family:<14}{totals[family]:>9}{flagged[family]:>10}{rate:>8.3f}  ({label})")
    positives = sum(n for f, n in totals.items() if f != "negatif")
    hits = sum(n for f, n in flagged.items() if f != "negatif")
    print(f"  {'rappel global':<14}{positives:>9}{hits:>10}{hits / positives:>8.3f}")
    print(f"  plan + decide : médiane {statistics.median(timings):.2f} ms, max {max(timings):.2f} ms\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--policy", type=Path, default=REPO / "policies" / "default.yaml")
    parser.add_argument("--uses", type=Path, default=USES, help="labelled forbidden-use requests")
    parser.add_argument("--service", default="urbanisme", help="service of the caller")
    args = parser.parse_args()
    if args.uses.exists():
        forbidden_uses(args)
    if not args.corpus.exists():
        print(f"corpus absent : {args.corpus}")
        return
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
