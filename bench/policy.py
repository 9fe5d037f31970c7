"""Cost of the policy core per request, and how often its French rules fire on ordinary text.

    .venv/bin/python bench/policy.py [--uses FILE]... [--errors] [--corpus FILE] [--limit N] [--policy FILE]

Every labelled set bench/data/forbidden_uses*.jsonl (or those given with --uses) is reported per
family: recall for the five families of forbidden uses, false alarms for `negatif`. These sets are
also the training sets of the forbidden-use model (proxy/policy/use_model.py): on them the figures
are a fit, not a measure. The measure is on requests the model never saw: first printed here, the
figures its training recorded for each set written apart (scored by a model trained without it),
then give --uses a set kept out of the repository.

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
from dataclasses import dataclass, field
from pathlib import Path

from proxy.analysis.engine import Detector, load_detection_config
from proxy.policy import engine
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import load_policy
from proxy.policy.records import RequestFacts
from proxy.policy.rulebook import Rulebook
from proxy.policy.simulate import caller_for
from proxy.policy.use_model import use_model
from proxy.settings import Hosting

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / ".." / "shared" / "data" / "pii_fr_dev.jsonl"
if not DEFAULT_CORPUS.exists():  # a worktree under /work/wt/: the shared data is one level up
    DEFAULT_CORPUS = REPO.parent.parent / "shared" / "data" / "pii_fr_dev.jsonl"
DATA = REPO / "bench" / "data"
USES = sorted(DATA.glob("forbidden_uses*.jsonl"))  # every labelled set of the repository
NEGATIVE = "negatif"


@dataclass
class Tally:
    """Requests and flagged requests per family, with the time plan + decide took."""

    totals: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    missed: list[str] = field(default_factory=list)
    timings: list[float] = field(default_factory=list)

    def rate(self, family: str) -> float:
        return self.flagged[family] / self.totals[family] if self.totals[family] else 0.0


def measure(rulebook: Rulebook, rows: list[dict[str, str]], service: str) -> Tally:
    """Whether each labelled request makes a forbidden-use rule fire (block, warn or observe)."""
    tally = Tally()
    for row in rows:
        facts = RequestFacts(
            endpoint=engine.CHAT, model="demo", input_chars=len(row["text"]), instructions=(row["text"],)
        )
        started = time.perf_counter()
        plan = engine.plan(rulebook, caller_for(service), facts)
        decision = engine.decide(plan, [row["text"]], [[]])
        tally.timings.append((time.perf_counter() - started) * 1000)
        hit = bool(decision.uses or decision.observed)
        tally.totals[row["family"]] += 1
        tally.flagged[row["family"]] += hit
        if hit != (row["family"] != NEGATIVE):
            tally.missed.append(row.get("id", "?"))
    return tally


def print_tally(name: str, tally: Tally, service: str, show_errors: bool) -> None:
    print(f"usages interdits : {sum(tally.totals.values())} requêtes ({name}), service {service}")
    print(f"  {'famille':<14}{'requêtes':>9}{'signalées':>10}{'taux':>8}")
    for family in sorted(tally.totals, key=lambda f: (f == NEGATIVE, f)):
        label = "fausses alertes" if family == NEGATIVE else "rappel"
        counts = f"{tally.totals[family]:>9}{tally.flagged[family]:>10}"
        print(f"  {family:<14}{counts}{tally.rate(family):>8.3f}  ({label})")
    positives = sum(n for f, n in tally.totals.items() if f != NEGATIVE)
    hits = sum(n for f, n in tally.flagged.items() if f != NEGATIVE)
    print(f"  {'rappel global':<14}{positives:>9}{hits:>10}{hits / max(positives, 1):>8.3f}")
    timings = tally.timings
    print(f"  plan + decide : médiane {statistics.median(timings):.2f} ms, max {max(timings):.2f} ms")
    if show_errors and tally.missed:
        print(f"  erreurs : {' '.join(tally.missed)}")
    print()


def forbidden_uses(args: argparse.Namespace) -> None:
    """Recall per family and false alarms on each labelled set (block, warn or observe all count)."""
    detector = Detector(load_detection_config(REPO / "models"))
    rulebook = load_policy(
        args.policy, PolicyContext({"demo": Hosting.LOCAL}, detector.active_entities)
    ).rulebook
    for path in args.uses or USES:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        print_tally(path.name, measure(rulebook, rows, args.service), args.service, args.errors)


def print_unseen() -> None:
    """What the model did on each set written apart, trained without it (its provenance)."""
    model = use_model()
    print(f"modèle d'usages interdits : seuil {model.threshold}, jeux jamais vus à l'entraînement :")
    unseen = model.provenance["unseen_sets"]
    assert isinstance(unseen, dict)
    for name, line in unseen.items():
        print(f"  {name:40} " + " ".join(f"{family} {value:.3f}" for family, value in line.items()))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--policy", type=Path, default=REPO / "policies" / "default.yaml")
    parser.add_argument(
        "--uses", type=Path, action="append", help="labelled forbidden-use requests (default: bench/data/)"
    )
    parser.add_argument("--errors", action="store_true", help="list the ids of misclassified requests")
    parser.add_argument("--service", default="urbanisme", help="service of the caller")
    args = parser.parse_args()
    print_unseen()
    forbidden_uses(args)
    if args.limit <= 0:
        return
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
