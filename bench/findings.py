"""Snapshot of every finding of the real detector, to prove a refactoring changed none of them.

    .venv/bin/python bench/findings.py --dump OUT.jsonl [--limit N]
    .venv/bin/python bench/findings.py --compare BEFORE.jsonl AFTER.jsonl

--dump runs the detector of proxy.analysis.engine (models/ as configured, NER in this process) on
the dev corpus (../shared/data/pii_fr_dev.jsonl, when present) and on every fictitious set of the
repository, and writes one JSON line per text: its set, its id, a sha256 of the text and every
finding (start, end, entity, score, recognizer). --compare prints how many texts and findings were
compared and every difference; it exits 1 when there is one (0: byte-identical findings).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script (python bench/findings.py): find the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proxy.analysis.engine import Detector, load_detection_config
from proxy.analysis.findings import Finding

REPO = Path(__file__).resolve().parent.parent
SETS = (
    REPO / ".." / "shared" / "data" / "pii_fr_dev.jsonl",
    REPO / "bench" / "data" / "local_gov_fr.jsonl",
    REPO / "bench" / "data" / "agent_prompts_fr.jsonl",
    REPO / "bench" / "data" / "forbidden_uses_fr.jsonl",
    REPO / "bench" / "data" / "forbidden_uses_heldout_fr.jsonl",
    REPO / "tests" / "analysis" / "data" / "ner_equivalence_fr.jsonl",
)
_BATCH = 16


def texts(path: Path, limit: int) -> Iterator[tuple[str, str]]:
    """(id, text) of each line of a JSONL set (id: the line's own, else its line number)."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if limit and number > limit:
                return
            raw = json.loads(line)
            yield str(raw.get("id", number)), str(raw["text"])


def dump(out: Path, limit: int) -> None:
    detector = Detector(load_detection_config(REPO / "models"))
    count = 0
    with out.open("w", encoding="utf-8") as sink:
        for path in SETS:
            if not path.exists():
                print(f"absent, ignoré : {path}", file=sys.stderr)
                continue
            items = list(texts(path, limit))
            for first in range(0, len(items), _BATCH):
                batch = items[first : first + _BATCH]
                found = detector.detect([text for _, text in batch])
                for (ident, text), findings in zip(batch, found, strict=True):
                    sink.write(json.dumps(_row(path.name, ident, text, findings), ensure_ascii=False))
                    sink.write("\n")
                    count += 1
    detector.close()
    print(f"{count} textes écrits dans {out}")


def _row(name: str, ident: str, text: str, findings: Sequence[Finding]) -> dict[str, object]:
    return {
        "set": name,
        "id": ident,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "findings": [[f.start, f.end, f.entity.value, f.score, f.recognizer] for f in findings],
    }


def _load(path: Path) -> dict[tuple[str, str], str]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        rows[(raw["set"], raw["id"])] = line
    return rows


def compare(before: Path, after: Path) -> int:
    old, new = _load(before), _load(after)
    differences = 0
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            differences += 1
            print(f"différence {key[0]} {key[1]} :\n  avant : {old.get(key)}\n  après : {new.get(key)}")
    findings = sum(len(json.loads(line)["findings"]) for line in old.values())
    print(f"{len(old)} textes et {findings} détections comparés ; {differences} différence(s)")
    return 1 if differences or not old else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, metavar="OUT")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("AVANT", "APRES"))
    parser.add_argument("--limit", type=int, default=0, help="at most N texts per set (0: all)")
    args = parser.parse_args(argv)
    if args.dump:
        dump(args.dump, args.limit)
    if args.compare:
        return compare(*args.compare)
    return 0


if __name__ == "__main__":
    sys.exit(main())
