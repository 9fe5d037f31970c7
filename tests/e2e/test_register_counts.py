"""A register row counts the personal data a request adds, not the history a chat client resends."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from tests.e2e.conftest import Proxy

FIRST = "Bonjour, je suis Marie Dubois, joignable au 06 12 34 56 78. Pouvez-vous m'aider ?"


def counts_since(proxy: Proxy, seq: int) -> list[dict[str, int]]:
    with sqlite3.connect(proxy.settings.register_path) as db:
        rows = db.execute("SELECT entity_counts FROM entries WHERE seq > ? ORDER BY seq", (seq,)).fetchall()
    return [json.loads(row[0]) for row in rows]


def last_seq(proxy: Proxy) -> int:
    with sqlite3.connect(proxy.settings.register_path) as db:
        return int(db.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0])


def test_a_twenty_turn_conversation_counts_its_first_messages_data_once(proxy: Proxy) -> None:
    client = proxy.client()
    start = last_seq(proxy)
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Tu es l'assistant de la mairie."}]
    for turn in range(20):
        messages.append({"role": "user", "content": FIRST if turn == 0 else f"Question numéro {turn + 1} ?"})
        answer = client.chat.completions.create(model="demo", messages=messages)  # type: ignore[arg-type]
        messages.append({"role": "assistant", "content": answer.choices[0].message.content or ""})
    rows = counts_since(proxy, start)
    assert len(rows) == 20
    total: Counter[str] = Counter()
    for row in rows:
        total.update(row)
    assert total["PERSON"] == 1 and total["PHONE"] == 1, total
    assert rows[0] == {"PERSON": 1, "PHONE": 1}
