"""Three instances behind HAProxy, one PostgreSQL (register and keys), one Redis (limits): the
acceptance test of issue 23.

Eight clients, each with its own key, send chat completions through the real HAProxy configuration
of deploy/fleet/haproxy.cfg while one instance after another is killed with SIGKILL ten times and
restarted. Then every request that got a complete 200 has exactly one row in the one register
(matched by the X-Request-Id the client saw), no request id has two rows, and `gardefou register
verify` passes. A per-user limit of N per minute lets N through across the three instances, and a key
created or revoked on one instance is honoured by the others within a second.

Each instance is a complete proxy process (uvicorn, the real app, its own PostgreSQL and Redis
connections opened after the fork) forked from a zygote that loaded the small French spaCy model
once (tests/e2e/crash_zygote.py): ten start-ups of `gardefou serve` would cost minutes of model
loading; the command itself is killed under load in tests/e2e/test_register_crash.py.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from proxy.cli import main
from proxy.keystore_pg import PostgresKeyStore
from proxy.register.store import Register
from proxy.roles import Role
from proxy.settings import Settings, load_settings
from tests.e2e.test_register_crash import Zygote
from tests.engines.postgres_server import APP, OWNER, PostgresServer, postgres_server
from tests.engines.redis_server import RedisServer, free_port, redis_server

REPO = Path(__file__).resolve().parents[2]
HAPROXY_CFG = REPO / "deploy" / "fleet" / "haproxy.cfg"
KILLS = 10
CLIENTS = 8
USER_LIMIT = 20  # per user and minute, in the limit test
UNLIMITED = {"user_requests_per_minute": 100_000, "service_requests_per_minute": 100_000}
PROMPT = "Résumez la demande de permis de construire n° {n} en deux phrases."


def haproxy_binary() -> str:
    binary = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")  # not on every PATH
    if binary is None:
        if os.environ.get("CI") == "true":
            raise AssertionError("haproxy manquant en CI : .ci/run doit l'installer")
        pytest.skip("haproxy absent (paquet Debian haproxy)")
    return binary


@dataclass
class Fleet:
    tmp: Path
    postgres: PostgresServer
    redis: RedisServer
    upstream_url: str
    zygote: Zygote

    def config(self, name: str, **limits: Any) -> Path:
        """An instance's configuration: its own data folder, everything else shared."""
        shared, folder = self.tmp / "shared", self.tmp / name
        folder.mkdir(exist_ok=True)
        config = {
            "data_dir": str(folder / "data"),
            "models_dir": str(self.tmp / "models"),
            "detection": {"processes": 0},
            "register_url": self.postgres.url(APP),
            "register_checkpoints": str(shared / "register-checkpoints.jsonl"),
            "register_key": str(shared / "register-signing.key"),
            "pseudonym_secret_file": str(shared / "pseudonym.key"),
            "limits": {"backend": self.redis.url, "max_concurrent_per_user": 16, **limits},
            "upstreams": [
                {
                    "name": "local-llm",
                    "base_url": f"{self.upstream_url}/v1",
                    "models": ["demo"],
                    "hosting": "local",
                }
            ],
        }
        path = folder / "gardefou.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    def keys(self) -> PostgresKeyStore:
        return PostgresKeyStore(self.postgres.url(APP))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, upstream_url: str) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("fleet")
    shutil.copytree(REPO / "models", tmp / "models")
    nlp = tmp / "models" / "nlp.yaml"
    nlp.write_text(nlp.read_text().replace("fr_core_news_md", "fr_core_news_sm"))
    (tmp / "shared").mkdir()
    zygote_config = tmp / "zygote.yaml"  # the zygote only loads the models; each instance has its own
    zygote_config.write_text(
        yaml.safe_dump({"data_dir": str(tmp / "zygote"), "models_dir": str(tmp / "models")})
    )
    with ThreadPoolExecutor(1) as loading:  # the model loads while PostgreSQL and Redis start
        zygote_started = loading.submit(Zygote, zygote_config, tmp / "instances.log")
        try:
            with postgres_server() as postgres, redis_server(tmp / "redis") as redis:
                assert main(["keys", "init", "--url", postgres.url(OWNER), "--app-role", APP]) == 0
                assert main(["register", "init-db", "--url", postgres.url(OWNER), "--app-role", APP]) == 0
                yield Fleet(tmp, postgres, redis, upstream_url, zygote_started.result())
        finally:
            zygote_started.result().close()


@dataclass
class Instances:
    """Three forked instances on fixed ports (the balancer's servers), killed and restarted."""

    zygote: Zygote
    configs: list[Path]
    ports: list[int] = field(default_factory=lambda: [free_port() for _ in range(3)])
    pids: list[int] = field(default_factory=lambda: [0, 0, 0])

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def start(self, index: int) -> None:
        self.pids[index] = self.zygote.fork_server(self.ports[index], self.configs[index])

    def kill(self, index: int) -> None:
        os.kill(self.pids[index], signal.SIGKILL)
        while _alive(self.pids[index]):
            time.sleep(0.01)

    def wait_ready(self, index: int, log: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert _alive(self.pids[index]), log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"{self.urls[index]}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(log.read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        for pid in self.pids:
            if pid and _alive(pid):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while any(pid and _alive(pid) for pid in self.pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in self.pids:
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def running(fleet: Fleet, name: str, **limits: Any) -> Iterator[Instances]:
    configs = [fleet.config(f"{name}-{i}", **limits) for i in range(3)]
    instances = Instances(fleet.zygote, configs)
    try:
        for index in range(3):
            instances.start(index)
        for index in range(3):
            instances.wait_ready(index, fleet.tmp / "instances.log")
        yield instances
    finally:
        instances.stop()


@contextmanager
def balancer(tmp: Path, instances: Instances) -> Iterator[str]:
    """The deploy/fleet/haproxy.cfg, its three servers and its port moved onto loopback."""
    port = free_port()
    text = HAPROXY_CFG.read_text(encoding="utf-8").replace("bind :8080", f"bind 127.0.0.1:{port}")
    for index, instance_port in enumerate(instances.ports, start=1):
        text = text.replace(f"gardefou-{index}:8080", f"127.0.0.1:{instance_port}")
    config = tmp / "haproxy.cfg"
    config.write_text(text, encoding="utf-8")
    with (tmp / "haproxy.log").open("wb") as log:
        process = subprocess.Popen([haproxy_binary(), "-db", "-f", str(config)], stdout=log, stderr=log)
    try:
        _wait_answering(f"http://127.0.0.1:{port}/readyz", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "haproxy exited"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("haproxy did not answer")


@dataclass
class Load:
    """Client threads, one key each, sending chat completions; keeps the ids of complete 200s."""

    url: str
    keys: list[str]
    acknowledged: list[str] = field(default_factory=list)
    statuses: Counter[int | str] = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, key: str) -> None:
        with httpx.Client(timeout=30) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                self._one(client, key, n)

    def _one(self, client: httpx.Client, key: str, n: int) -> None:
        body = {"model": "demo", "messages": [{"role": "user", "content": PROMPT.format(n=n)}]}
        try:
            response = client.post(
                f"{self.url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
            )
            complete = response.status_code == 200 and bool(response.json()["choices"])
        except (httpx.HTTPError, ValueError, KeyError) as error:
            with self.lock:
                self.statuses[type(error).__name__] += 1
            time.sleep(0.02)
            return
        with self.lock:
            self.statuses[response.status_code] += 1
            if complete:
                self.acknowledged.append(response.headers["x-request-id"])
        if not complete:
            time.sleep(0.05)  # refused (no instance ready, limits): retry a little later, as clients do

    def sent(self) -> int:
        return sum(self.statuses.values())


def register_request_ids(settings: Settings) -> list[str]:
    register = Register.open(settings.register_target, readonly=True)
    try:
        return [str(row["request_id"]) for row in register.rows()]
    finally:
        register.close()


def test_three_instances_killed_ten_times_lose_no_acknowledged_request(fleet: Fleet) -> None:
    store = fleet.keys()
    keys = [store.create(user=f"agent.flotte{i}", service="urbanisme").secret_key for i in range(CLIENTS)]
    store.close()
    rng, log = random.Random(23), fleet.tmp / "instances.log"
    started = time.monotonic()
    with (
        running(fleet, "kill", **UNLIMITED) as instances,
        balancer(fleet.tmp, instances) as url,
    ):
        load = Load(url, keys)
        threads = [threading.Thread(target=load.run, args=(key,)) for key in keys]
        for thread in threads:
            thread.start()
        for kill in range(KILLS):
            victim = kill % 3
            time.sleep(rng.uniform(0.3, 0.8))
            instances.kill(victim)
            instances.start(victim)
            instances.wait_ready(victim, log)  # two instances serve while it restarts
        time.sleep(1.0)
        load.stop.set()
        for thread in threads:
            thread.join()
    settings = load_settings(instances.configs[0])
    ids = register_request_ids(settings)
    counts = Counter(ids)
    missing = set(load.acknowledged) - set(counts)
    print(
        f"\nflotte : {load.sent()} requêtes envoyées, {len(load.acknowledged)} acquittées (200), "
        f"{len(ids)} lignes au registre, {KILLS} SIGKILL, statuts {dict(load.statuses)}, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert len(load.acknowledged) >= 100, load.statuses
    assert not missing, f"{len(missing)} requête(s) acquittée(s) sans ligne"
    assert max(counts.values()) == 1, "une requête a deux lignes"
    assert len(set(load.acknowledged)) == len(load.acknowledged)
    assert main(["register", "verify", "--config", str(instances.configs[0])]) == 0


def test_a_user_limit_holds_across_the_three_instances(fleet: Fleet) -> None:
    store = fleet.keys()
    key = store.create(user="agent.limite", service="urbanisme").secret_key
    store.close()
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def send(urls: list[str]) -> None:
        with httpx.Client(timeout=30) as client:
            for url in urls:
                body = {"model": "demo", "messages": [{"role": "user", "content": "Bonjour"}]}
                headers = {"Authorization": f"Bearer {key}"}
                status = client.post(f"{url}/v1/chat/completions", json=body, headers=headers).status_code
                with lock:
                    statuses[status] += 1

    limits = {**UNLIMITED, "user_requests_per_minute": USER_LIMIT}  # the service limit is not tested here
    with running(fleet, "limit", **limits) as instances:
        urls = [instances.urls[i % 3] for i in range(3 * USER_LIMIT)]
        threads = [threading.Thread(target=send, args=(urls[i::8],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    print(f"\nlimite {USER_LIMIT}/min, {3 * USER_LIMIT} requêtes sur trois instances : {dict(statuses)}")
    assert statuses[200] == USER_LIMIT and statuses[429] == 2 * USER_LIMIT, statuses


def test_a_key_created_or_revoked_on_one_instance_is_honoured_by_all_within_a_second(fleet: Fleet) -> None:
    store = fleet.keys()
    admin = store.create(user="admin.ville", service="dsi", role=Role.ADMIN).secret_key
    store.close()
    # the kill test's requests are still in the service's window: its limit is not the one tested here
    with running(fleet, "keys", **UNLIMITED) as instances, httpx.Client(timeout=10) as client:
        first, others = instances.urls[0], instances.urls[1:]
        created = client.post(
            f"{first}/admin/api/keys",
            json={"user": "agent.nouveau", "service": "urbanisme"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert created.status_code == 201, created.text
        new = created.json()
        agent = {"Authorization": f"Bearer {new['key']}"}
        answers = [client.get(f"{url}/v1/models", headers=agent) for url in others]
        assert [answer.status_code for answer in answers] == [200, 200], answers[0].text
        revoked = client.delete(
            f"{first}/admin/api/keys/{new['id']}", headers={"Authorization": f"Bearer {admin}"}
        )
        assert revoked.status_code == 200
        at = time.monotonic()
        delays = [_refused_after(client, url, agent, at) for url in others]
    print(f"\nrévocation honorée par les autres instances après {max(delays) * 1000:.0f} ms")
    assert max(delays) < 1.0


def _refused_after(client: httpx.Client, url: str, headers: dict[str, str], since: float) -> float:
    while client.get(f"{url}/v1/models", headers=headers).status_code == 200:
        assert time.monotonic() - since < 5
        time.sleep(0.01)
    return time.monotonic() - since
