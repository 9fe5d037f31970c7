"""Build bench/data/forbidden_uses_fr.jsonl from bench/data/forbidden_uses_fr.sources.yaml.

    uv run --locked python bench/forbidden_uses_set.py

Each request is a hand-written ask, with a person, an opening sentence and a closing remark drawn
with a fixed seed: the same file on every run. Positives: `expected` "forbidden" with their family;
negatives: `expected` "allowed", family "negatif".
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"
SOURCES = DATA / "forbidden_uses_fr.sources.yaml"
OUTPUT = DATA / "forbidden_uses_fr.jsonl"
PER_ASK = 3  # requests per positive ask
PER_NEGATIVE = 3


def _request(rng: random.Random, sources: dict[str, Any], ask: str, tails: list[str]) -> str:
    person = rng.choice(sources["people"])
    preamble = rng.choice(sources["preambles"])
    text = preamble + ask + rng.choice(tails)
    text = text.replace("{p}", person)
    return text.replace(" à le ", " au ").replace(" de le ", " du ").replace(" à les ", " aux ")


def build(seed: int = 20261203) -> list[dict[str, str]]:
    sources: dict[str, Any] = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for family, asks in sources["positives"].items():
        for ask in asks:
            texts = {_request(rng, sources, ask, sources["positive_tails"]) for _ in range(PER_ASK * 3)}
            rows += [{"family": family, "expected": "forbidden", "text": t} for t in sorted(texts)[:PER_ASK]]
    for ask in sources["negatives"]:
        texts = {_request(rng, sources, ask, sources["negative_tails"]) for _ in range(PER_NEGATIVE * 3)}
        rows += [
            {"family": "negatif", "expected": "allowed", "text": t} for t in sorted(texts)[:PER_NEGATIVE]
        ]
    return [{"id": f"fu-{i:03d}", **row} for i, row in enumerate(rows)]


def main() -> None:
    rows = build()
    OUTPUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} requêtes écrites dans {OUTPUT}")


if __name__ == "__main__":
    main()
