"""Running it like a service, end to end: the real `gardefou serve` command (a subprocess, its NER in a
worker process), the official openai client, a recording upstream and a syslog receiver on loopback.

- /metrics, parsed with prometheus_client's parser, counts exactly what the register holds, and no
  label value holds a personal value, a key or an agent's id;
- the JSON log lines name each request without any value that was sent;
- /readyz turns 503 within 2 s when the NER worker is stopped (SIGSTOP), and 200 after SIGCONT;
- the SIEM receiver gets one RFC 5424 message per register row and per checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from proxy.keystore import KeyStore
from proxy.settings import Settings, load_settings
from tests.e2e.recording_upstream import Recorder, create_recording_upstream
from tests.e2e.servers import serve
from tests.e2e.syslog_receiver import Receiver, udp_receiver

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
USER = "agent.surveille"
NAME, PHONE, EMAIL = "Marie Dubois", "06 12 34 56 78", "marie.dubois@exemple.fr"
CARD = "4111 1111 1111 1111"
PERSONAL = (NAME, "Dubois", PHONE, "0612345678", EMAIL, CARD, "4111111111111111")
PROMPT = f"Rédigez un courrier pour {NAME}, joignable au {PHONE} ou à {EMAIL}."


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    settings: Settings
    key: str
    log_path: Path
    siem: Receiver

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=self.key, max_retries=0)

    def rows(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.settings.register_path) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM entries ORDER BY seq")]

    def checkpoints(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.settings.register_path) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM checkpoints ORDER BY id")]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp: Path, upstream_url: str, siem_port: int) -> Path:
    models = tmp / "models"  # the small French model: a quicker start, same pipeline
    shutil.copytree(REPO / "models", models)
    nlp = models / "nlp.yaml"
    nlp.write_text(nlp.read_text().replace("fr_core_news_md", "fr_core_news_sm"))
    config = {
        "data_dir": str(tmp / "data"),
        "models_dir": str(models),
        "register_checkpoint_every": 3,
        "upstreams": [
            {"name": "local-llm", "base_url": f"{upstream_url}/v1", "models": ["demo"], "hosting": "local"},
            {
                "name": "amont-eteint",
                "base_url": f"http://127.0.0.1:{free_port()}/v1",
                "models": ["eteint"],
                "hosting": "sovereign",
            },
        ],
        "detection": {"processes": 1},
        "metrics": {"allow_networks": ["127.0.0.1/32"]},
        "health": {"upstream_interval_s": 1},
        "logs": {"format": "json"},
        "siem": {"enabled": True, "transport": "udp", "host": "127.0.0.1", "port": siem_port},
    }
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("supervision")
    recorder = Recorder()
    with serve(create_recording_upstream(recorder)) as upstream_url, udp_receiver() as siem:
        config = write_config(tmp, upstream_url, siem.port)
        settings = load_settings(config)
        key = KeyStore(settings.keys_path).create(user=USER, service="urbanisme").secret_key
        port = free_port()
        log_path = tmp / "server.log"
        with log_path.open("wb") as log:
            command = [sys.executable, "-m", "proxy", "serve", "--config", str(config), "--port", str(port)]
            process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        running = Server(f"http://127.0.0.1:{port}", process, settings, key, log_path, siem)
        try:
            wait_ready(running)
            exercise(running)
            yield running
        finally:
            running.stop()


def wait_ready(server: Server, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.log_path.read_text()
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server never became ready")


def exercise(server: Server) -> None:
    """Uses of every kind: forwarded (plain, streamed, embeddings), blocked, invalid."""
    client = server.client()
    client.chat.completions.create(model="demo", messages=[{"role": "user", "content": PROMPT}])
    stream = client.chat.completions.create(
        model="demo", messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    assert NAME in "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    client.embeddings.create(model="demo", input=[PROMPT])
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(
            model="demo", messages=[{"role": "user", "content": f"Payer avec la carte {CARD}."}]
        )
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="demo", messages=[{"role": "robot", "content": PROMPT}])


def scrape(server: Server) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = httpx.get(f"{server.url}/metrics", timeout=10)
    assert response.status_code == 200
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def counted(samples: list[tuple[dict[str, str], float]], *keys: str) -> Counter[tuple[str, ...]]:
    totals: Counter[tuple[str, ...]] = Counter()
    for labels, value in samples:
        if value:
            totals[tuple(labels[k] for k in keys)] += int(value)
    return totals


def test_metrics_count_what_the_register_holds(server: Server) -> None:
    rows = server.rows()
    assert {row["decision"] for row in rows} == {"forwarded", "blocked", "failed"}
    samples = scrape(server)
    by_route = counted(samples["gardefou_requests_total"], "route", "service", "decision")
    assert by_route == Counter((r["endpoint"], r["service"], r["decision"]) for r in rows)
    hosting = counted(samples["gardefou_requests_total"], "model", "hosting")
    assert hosting[("demo", "local")] == sum(1 for r in rows if r["upstream"] == "local-llm")
    findings: Counter[str] = Counter()
    for row in rows:
        findings.update(json.loads(row["entity_counts"]))
    assert counted(samples["gardefou_findings_total"], "entity") == {(e,): n for e, n in findings.items()}
    blocked = [r for r in rows if r["decision"] == "blocked"]
    assert counted(samples["gardefou_refusals_total"], "code") == Counter((r["error_code"],) for r in blocked)
    durations = dict(counted(samples["gardefou_request_duration_seconds_count"], "route"))
    assert durations == Counter((r["endpoint"],) for r in rows)
    assert sum(v for _, v in samples["gardefou_detection_duration_seconds_count"]) >= 4
    assert sum(v for _, v in samples["gardefou_upstream_first_byte_seconds_count"]) == 3
    assert samples["gardefou_ner_workers"] and samples["gardefou_register_checkpoint_age_seconds"]
    assert samples["gardefou_siem_sent_total"]
    up = {labels["upstream"]: value for labels, value in samples["gardefou_upstream_up"]}
    assert up == {"local-llm": 1.0, "amont-eteint": 0.0}


def test_no_metric_label_holds_personal_data_a_key_or_an_agent(server: Server) -> None:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for value in sample.labels.values():
                for secret in (*PERSONAL, USER, server.key):
                    assert secret not in value, (sample.name, value)
    for secret in (*PERSONAL, USER, server.key[:20]):
        assert secret not in text


def request_lines(server: Server) -> list[dict[str, Any]]:
    lines = []
    for line in server.log_path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return [line for line in lines if line.get("logger") == "gardefou.requests"]


def test_log_lines_name_each_request_and_hold_no_value_sent(server: Server) -> None:
    lines = request_lines(server)
    by_id = {line["request_id"]: line for line in lines}
    for row in server.rows():
        line = by_id[row["request_id"]]
        assert line["service"] == row["service"] and line["decision"] == row["decision"]
        assert line["status"] == row["status"] and line["duration_ms"] >= 0
    forwarded = [by_id[r["request_id"]] for r in server.rows() if r["decision"] == "forwarded"]
    assert all("detection_ms" in line and "upstream_first_byte_ms" in line for line in forwarded)
    text = server.log_path.read_text(encoding="utf-8")
    for secret in (*PERSONAL, USER, server.key, server.key[:20]):
        assert secret not in text


def ner_worker_pids(server_pid: int) -> list[int]:
    """The server's spawned multiprocessing children (the NER workers), from /proc."""
    pids = []
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"spawn_main" in cmdline:
                pids.append(int(child))
    return pids


def readyz_status_within(server: Server, wanted: int, timeout: float) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    while True:
        response = httpx.get(f"{server.url}/readyz", timeout=2)
        elapsed = time.monotonic() - started
        if response.status_code == wanted or elapsed > timeout:
            assert response.status_code == wanted, (elapsed, response.text)
            body: dict[str, Any] = response.json()
            return elapsed, body
        time.sleep(0.05)


def test_readyz_fails_within_2s_when_the_ner_workers_stop_and_recovers(server: Server) -> None:
    pids = ner_worker_pids(server.process.pid)
    assert len(pids) == 1
    assert httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        elapsed, body = readyz_status_within(server, 503, timeout=2.0)
        assert elapsed <= 2.0
        assert body["statut"] == "indisponible"
        assert body["problemes"] == ["1 processus d'analyse sur 1 ne répondent pas."]
        assert httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200  # alive all the same
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    elapsed, body = readyz_status_within(server, 200, timeout=3.0)
    assert body["statut"] == "prêt" and body["problemes"] == []
    # An upstream down is named, but the service stays ready while another one answers.
    assert body["verifications"]["amonts"] == {
        "ok": True,
        "detail": "Modèle(s) amont injoignable(s) : amont-eteint.",
    }
    assert ner_worker_pids(server.process.pid) == pids  # the same worker, not a replacement


def test_readyz_says_in_french_when_the_register_file_is_gone(server: Server) -> None:
    path = server.settings.register_path
    aside = path.with_name("register-aside.sqlite")
    path.rename(aside)  # the server keeps its open file; the configured path holds nothing
    try:
        _, body = readyz_status_within(server, 503, timeout=2.0)
        assert body["problemes"] == ["Le fichier du registre (ou son dossier) n'est pas inscriptible."]
    finally:
        aside.rename(path)
    readyz_status_within(server, 200, timeout=2.0)


def test_siem_gets_one_message_per_register_row_and_checkpoint(server: Server) -> None:
    server.stop()  # the last checkpoint is written (and sent) at shutdown
    rows, checkpoints = server.rows(), server.checkpoints()
    assert len(checkpoints) >= 2
    messages = server.siem.wait_for(len(rows) + len(checkpoints))
    entries = [m for m in messages if m.msgid == "entry"]
    sealed = [m for m in messages if m.msgid == "checkpoint"]
    assert len(messages) == len(rows) + len(checkpoints)
    assert [m.payload["hash"] for m in entries] == [r["hash"] for r in rows]  # the stored rows, as stored
    assert [m.payload["signature"] for m in sealed] == [c["signature"] for c in checkpoints]
    assert all(m.app == "gardefou" and m.pri == 13 * 8 + 6 for m in entries)
    assert all(m.payload["kind"] == "checkpoint" and m.pri == 13 * 8 + 5 for m in sealed)
    raw = b"".join(server.siem.raw).decode()
    for value in PERSONAL:
        assert value not in raw
