"""Crash test: `kill -9` the server process under concurrent load, 10 times, then once more the
full `gardefou serve` command.

After every crash the register's chain verifies, SQLite's integrity check passes, and every request
that got a complete 200 answer has its row. To keep ten start-ups affordable, the ten servers are
forked from a zygote that loaded the (small) French spaCy model once (tests/e2e/crash_zygote.py):
each is a complete proxy process, uvicorn and the real app, opening its own register connection.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from proxy.keystore import KeyStore
from proxy.register.configured import checkpoint_journal_path, signing_key_path
from proxy.register.journal import read_checkpoints
from proxy.register.signing import load_signer
from proxy.register.store import Register
from proxy.register.verify import verify_register
from proxy.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
KILLS = 10
CLIENTS = 4
PROMPT = "Rédigez une réponse courte à Marie Dubois (06 12 34 56 78) au sujet de son dossier."


@dataclass
class Load:
    """Client threads sending chat completions; keeps the ids of the complete 200 answers."""

    url: str
    key: str
    succeeded: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                self._one(client)

    def _one(self, client: httpx.Client) -> None:
        body = {"model": "demo", "messages": [{"role": "user", "content": PROMPT}]}
        headers = {"Authorization": f"Bearer {self.key}"}
        try:
            response = client.post(f"{self.url}/v1/chat/completions", json=body, headers=headers)
            complete = response.status_code == 200 and response.json()["choices"]
        except (httpx.HTTPError, ValueError, KeyError):
            time.sleep(0.02)  # server down or answer cut by the kill: not a 200
            return
        if complete:
            with self.lock:
                self.succeeded.append(response.headers["x-request-id"])


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("crash")
    models = tmp / "models"
    shutil.copytree(REPO / "models", models)
    nlp = models / "nlp.yaml"
    nlp.write_text(nlp.read_text().replace("fr_core_news_md", "fr_core_news_sm"))
    config = {"data_dir": str(tmp / "data"), "models_dir": str(models)}
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return load_settings(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "proxy", "serve", "--config", str(config), "--port", str(port)]
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True, cwd=REPO)


def wait_ready(url: str, key: str, alive: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert alive(), log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"}).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not start")


def crash_under_load(load: Load, kill: Callable[[], None], rng: random.Random) -> None:
    """Let the clients get some answers, then kill -9 the whole server at a random moment."""
    threads = [threading.Thread(target=load.run) for _ in range(CLIENTS)]
    before = len(load.succeeded)
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(load.succeeded) < before + 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.4))
    kill()
    load.stop.set()
    for thread in threads:
        thread.join()
    load.stop.clear()
    assert len(load.succeeded) > before, "no answer before the kill"


def check_register(settings: Settings, succeeded: list[str]) -> None:
    register = Register.open(settings.register_path, readonly=True)
    try:
        assert register.integrity_check() == "ok"
        key, journal = signing_key_path(settings), checkpoint_journal_path(settings)
        external = read_checkpoints(journal) if journal.exists() else []
        report = verify_register(register, public_key=load_signer(key).public, external=external)
        recorded = {row["request_id"] for row in register.rows()}
    finally:
        register.close()
    assert report.ok, report.problems
    missing = set(succeeded) - recorded
    assert not missing, f"{len(missing)} answered request(s) without a row"


class Zygote:
    def __init__(self, config: Path, log: Path) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        command = [sys.executable, "-m", "tests.e2e.crash_zygote", str(config), str(log)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO, env=env,
            start_new_session=True,
        )  # fmt: skip
        assert self._read() == "ready"

    def _read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def fork_server(self, port: int, config: Path | None = None) -> int:
        """A new server on `port`, with the zygote's configuration or `config` (same models)."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"serve {port} {config or ''}\n")
        self.process.stdin.flush()
        return int(self._read())

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class Forked:
    """A forked server seen as a process handle (poll/kill), for the helpers above."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        while self.alive():
            time.sleep(0.01)


def test_kill_9_under_load_loses_no_answered_request(settings: Settings) -> None:
    config = settings.data_dir.parent / "gardefou.yaml"
    log = config.with_name("server.log")
    key = KeyStore(settings.keys_path).create(user="agent.crash", service="demo").secret_key
    rng = random.Random(2026)
    load = Load(url="", key=key)
    zygote = Zygote(config, log)
    try:
        for _ in range(KILLS):
            port = free_port()
            load.url = f"http://127.0.0.1:{port}"
            server = Forked(zygote.fork_server(port))
            wait_ready(load.url, key, server.alive, log)
            crash_under_load(load, server.kill, rng)
            check_register(settings, load.succeeded)
    finally:
        zygote.close()
    assert len(load.succeeded) >= KILLS * 3


def test_kill_9_of_the_serve_command(settings: Settings) -> None:
    config = settings.data_dir.parent / "gardefou.yaml"
    log = config.with_name("serve.log")
    key = KeyStore(settings.keys_path).create(user="agent.crash2", service="demo").secret_key
    port = free_port()
    load = Load(url=f"http://127.0.0.1:{port}", key=key)
    server = start(config, port, log)
    try:
        wait_ready(load.url, key, lambda: server.poll() is None, log)
        crash_under_load(load, lambda: kill_group(server), random.Random(7))
    finally:
        kill_group(server)
    check_register(settings, load.succeeded)


def kill_group(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()
