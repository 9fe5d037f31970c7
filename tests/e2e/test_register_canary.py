"""Canary personal data sent on every route never reaches the register files, its backups or exports.

Canaries go into prompts (non-streaming, streaming, tool-call arguments), embeddings input, model
names, malformed bodies, API keys and headers; then the register database, its -wal file, a backup
made with `gardefou register backup`, CSV and JSONL exports and the stats are scanned for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from proxy.cli import main
from tests.e2e.conftest import Proxy

CANARIES = {
    "name": "Gwenaëlle Kerbrat-Lozach",
    "surname": "Kerbrat",
    "phone": "07 81 23 45 96",
    "phone_compact": "0781234596",
    "email": "gwenaelle.kerbrat@canari.fr",
    "iban": "FR76 1027 8060 3100 0205 9840 120",
    "iban_compact": "FR7610278060310002059840120",
    "nir": "2 84 05 29 019 047 75",
    "secret": "sk-canari-0123456789abcdef",
}
PROMPT = (
    f"Merci de préparer une réponse à {CANARIES['name']} (tél. {CANARIES['phone']}, "
    f"{CANARIES['email']}), NIR {CANARIES['nir']}, remboursement sur l'IBAN {CANARIES['iban']}."
)


def client_for(proxy: Proxy, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=key or proxy.key, max_retries=0, timeout=60)


def scan(paths: list[Path]) -> dict[str, list[str]]:
    """Which canaries each file contains (text or UTF-16 would both be found as UTF-8 here)."""
    found: dict[str, list[str]] = {}
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes()
        hits = [k for k, value in CANARIES.items() if value.encode("utf-8") in data]
        if hits:
            found[path.name] = hits
    return found


@pytest.fixture(scope="module")
def traffic(proxy: Proxy) -> Iterator[Proxy]:
    """Send the canaries on every route once for the whole module."""
    client = client_for(proxy)
    messages = [
        {"role": "system", "content": f"Dossier de {CANARIES['name']}"},
        {"role": "user", "content": PROMPT},
    ]
    client.chat.completions.create(model="demo", messages=messages)  # type: ignore[arg-type]
    stream = client.chat.completions.create(model="demo", messages=messages, stream=True)  # type: ignore[arg-type]
    for _ in stream:
        pass
    _tool_call(client)
    _refusals(proxy, client)
    _raw_requests(proxy)
    yield proxy


def _tool_call(client: openai.OpenAI) -> None:
    arguments = json.dumps({"destinataire": CANARIES["email"], "iban": CANARIES["iban"]})
    client.chat.completions.create(
        model="demo",
        messages=[
            {"role": "user", "content": PROMPT},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "envoyer", "arguments": arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": f"Envoyé à {CANARIES['phone']}"},
        ],
    )


def _refusals(proxy: Proxy, client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError):  # a model named after the canaries
        client.chat.completions.create(
            model=f"{CANARIES['name']} {CANARIES['phone']}",
            messages=[{"role": "user", "content": PROMPT}],
        )
    with pytest.raises(openai.AuthenticationError):  # a wrong key carrying a canary
        client_for(proxy, CANARIES["secret"]).models.list()
    try:
        client.embeddings.create(model="demo", input=[PROMPT, CANARIES["email"]])
    except openai.APIStatusError as error:  # refused or unsupported: recorded either way
        assert error.status_code < 500 or error.status_code in (502, 503)


def _raw_requests(proxy: Proxy) -> None:
    headers = {"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"}
    url = f"{proxy.url}/v1/chat/completions"
    broken = f'{{"model": "demo", "messages": [{{"role": "user", "content": "{PROMPT}"'
    httpx.post(url, content=broken.encode(), headers=headers, timeout=60)
    wrong_type = {"model": "demo", "messages": PROMPT}
    httpx.post(url, json=wrong_type, headers=headers, timeout=60)
    spoofed = headers | {"X-Forwarded-User": CANARIES["email"], "User-Agent": CANARIES["surname"]}
    httpx.post(url, json={"model": "demo", "messages": [{"role": "user", "content": "Bonjour"}]},
               headers=spoofed, timeout=60)  # fmt: skip


def register_files(proxy: Proxy) -> list[Path]:
    db = proxy.settings.register_path
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def test_every_request_has_a_row(traffic: Proxy, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["register", "stats", "--db", str(traffic.settings.register_path), "--format", "json"])
    stats = json.loads(capsys.readouterr().out)
    assert code == 0 and stats["total"]["usages"] >= 6
    assert stats["total"]["donnees_retirees"]  # the canaries were detected and counted, by type


def test_register_files_hold_no_canary(traffic: Proxy) -> None:
    assert scan(register_files(traffic)) == {}


def test_backup_and_exports_hold_no_canary(
    traffic: Proxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(traffic.settings.register_path)]
    outputs = [tmp_path / "copie.sqlite", tmp_path / "export.csv", tmp_path / "export.jsonl"]
    assert main(["register", "backup", *db, str(outputs[0])]) == 0
    assert main(["register", "export", *db, "--format", "csv", "-o", str(outputs[1])]) == 0
    assert main(["register", "export", *db, "--format", "jsonl", "-o", str(outputs[2])]) == 0
    assert main(["register", "stats", *db]) == 0
    printed = capsys.readouterr()
    assert all(path.stat().st_size > 0 for path in outputs)
    assert scan(outputs) == {}
    assert not [value for value in CANARIES.values() if value in printed.out + printed.err]
