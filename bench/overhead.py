"""Latency, throughput and memory that Garde-fou adds in front of an LLM, measured on loopback.

    .venv/bin/python bench/overhead.py [--workers N] [--quick] [--seconds S]
                                       [--only SECTION ...] [--cache-entries N] [--processes N]
                                       [--register sqlite|postgresql]

Starts a fake OpenAI-compatible upstream (bench/fake_upstream.py: answers at once; streams 20 chunks
50 ms apart) and a real `gardefou serve` (temporary configuration, register and API key), then sends
the same requests straight to the upstream ("direct") and through Garde-fou, and prints (ms):

- 1 client: added latency p50/p95/p99 for French prompts of ~300, ~1,000 and ~5,000 characters
  holding personal data (names, phones, e-mails, addresses, IBAN) -- every request a different text,
  so the analysis cache never helps -- and the proxy's CPU time per request; each text is sent
  direct then through, and "added" is the percentile of these per-text differences;
- charge: throughput and latency with 8 and 32 concurrent clients (~1,000 characters, distinct texts);
  "added" there is the difference of the two percentiles (the runs are not paired). The direct side
  is bounded by the benchmark's own client (one Python process, about one core: a few hundred
  requests/s, with a long tail at 32 clients), far above what the proxy serves;
- flux: time to first content, direct and through, and whether the chunks still arrive spread out
  (median gap between chunks, chunks received);
- conversation: a 20-turn conversation (history resent every turn): added latency per turn, turn 20
  vs turn 1, and the proxy's CPU time in the first and last turns;
- the proxy's CPU time per request in each section, the peak RSS of each of its processes, and its
  register checked at the end (`gardefou register verify`; one row per request sent);
- the time of a fixed pure-Python computation before and after: on a shared machine the CPU's speed
  changes from one minute to the next, and this says how fast it was during the run.

`--workers N` is passed to `gardefou serve`; `--only` runs one section (1 client, charge, flux,
conversation); `--cache-entries 0` turns the analysis cache off (compare the conversation);
`--processes N` sets the NER worker processes (`detection.processes`; 0: NER in the server process);
`--register postgresql` puts the proxy's register on a PostgreSQL cluster started for the run (like the
tests: tests/engines/postgres_server.py, loopback, temporary folder), to compare with SQLite (the default);
`--quick` runs a tiny configuration (used by the test suite). The client, the upstream and the proxy
share the machine: on a busy machine wall-clock figures grow with the load, the CPU times much less.
Nothing is asserted; the figures are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
MODEL = "demo"
SERVICE = "urbanisme"


# -- French prompts with personal data -------------------------------------------------------

FIRST = ("Marie", "Jean", "Camille", "Nicolas", "Sophie", "Karim", "Léa", "Thomas", "Nadia", "Hugo")
LAST = ("Dubois", "Martin", "Lefebvre", "Moreau", "Garnier", "Benali", "Roux", "Fournier", "Girard")
CITY = ("Lyon", "Rennes", "Toulouse", "Lille", "Nantes", "Grenoble", "Dijon", "Angers", "Metz")
STREET = ("rue des Lilas", "avenue Jean Jaurès", "place de la Mairie", "chemin du Moulin")
IBANS = ("FR76 3000 6000 0112 3456 7890 189", "FR14 2004 1010 0505 0001 3M02 606")
SENTENCES = (
    "Bonjour, pouvez-vous rédiger un courrier de réponse à {p} au sujet de sa demande de "
    "permis de construire ? ",
    "{p} habite au {n} {s}, {z} {c}, et souhaite être recontacté(e) rapidement. ",
    "Son numéro de téléphone est le {t} et son adresse électronique {e}. ",
    "Le remboursement des frais de dossier se fera sur l'IBAN {i}. ",
    "La réunion de quartier aura lieu jeudi à la salle polyvalente, en présence de {p}. ",
    "Merci de reprendre le ton habituel des courriers de la mairie et de rester concis. ",
    "Le dossier a été transmis au service urbanisme, qui a demandé des pièces complémentaires. ",
    "Pour toute question, {p} peut joindre l'accueil au {t}. ",
)


def french_prompt(size: int, seed: int) -> str:
    """About `size` characters of plausible French, with personal data, different for every seed."""
    rng = random.Random(seed)
    text = f"Demande n° {seed}. "
    while len(text) < size:
        text += rng.choice(SENTENCES).format(**_person(rng))
    return text


def _person(rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    digits = " ".join(f"{rng.randrange(100):02d}" for _ in range(4))
    return {
        "p": f"{rng.choice(('Mme', 'M.'))} {first} {last}",
        "n": str(rng.randrange(1, 120)),
        "s": rng.choice(STREET),
        "z": f"{rng.randrange(10, 95)}{rng.randrange(1000):03d}",
        "c": rng.choice(CITY),
        "t": f"0{rng.choice('67')} {digits}",
        "e": f"{first.lower()}.{last.lower()}{rng.randrange(100)}@exemple.fr",
        "i": rng.choice(IBANS),
    }


def chat_body(messages: list[dict[str, str]], *, stream: bool = False) -> dict[str, Any]:
    return {"model": MODEL, "messages": messages, "stream": stream}


def one_prompt(size: int, seed: int) -> dict[str, Any]:
    return chat_body([{"role": "user", "content": french_prompt(size, seed)}])


# -- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Target:
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    sent: int = 0
    cpu: Callable[[], float] | None = None  # CPU seconds used so far by the server (proxy only)

    def cpu_ms(self) -> float:
        return self.cpu() * 1000 if self.cpu else 0.0


@dataclass
class ProxyRun:
    target: Target
    process: subprocess.Popen[bytes]
    register_check: str = ""


@contextmanager
def fake_upstream(chunks: int, delay_ms: float) -> Iterator[Target]:
    port = free_port()
    command = [sys.executable, str(REPO / "bench" / "fake_upstream.py"), "--port", str(port)]
    command += ["--chunks", str(chunks), "--delay-ms", str(delay_ms)]
    with _process(command, f"http://127.0.0.1:{port}/v1/chat/completions", REPO) as (_, url):
        yield Target("direct", url)


@contextmanager
def register_database(kind: str) -> Iterator[str | None]:
    """`postgresql`: a cluster on loopback for the run, its schema made by the owner role; yields the
    application role's URL (`register_url`). `sqlite`: None (the register file in the data folder)."""
    if kind != "postgresql":
        yield None
        return
    from proxy.register.pg_engine import PgEngine
    from tests.engines.postgres_server import APP, OWNER, postgres_server

    with postgres_server() as server:
        PgEngine.init_db(server.url(OWNER), APP).close()
        yield server.url(APP)


@contextmanager
def gardefou(
    upstream: Target, workers: int, detection: dict[str, int] | None = None, register_url: str | None = None
) -> Iterator[ProxyRun]:
    """A real `gardefou serve`; once it has stopped, its register is verified and counted."""
    with tempfile.TemporaryDirectory(prefix="gardefou-bench-") as tmp:
        base = upstream.url.removesuffix("/chat/completions")
        config, key = _write_config(Path(tmp), base, detection, register_url)
        port = free_port()
        command = [sys.executable, "-m", "proxy", "serve", "--config", str(config), "--port", str(port)]
        command += ["--workers", str(workers)] if workers > 1 else []
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        with _process(command, url, Path(tmp)) as (process, _):
            headers = {"Authorization": f"Bearer {key}"}
            target = Target("garde-fou", url, headers, cpu=functools.partial(cpu_seconds, process.pid))
            run = ProxyRun(target, process)
            yield run
        database = register_url or Path(tmp) / "data" / "register.sqlite"
        run.register_check = _check_register(config, database, run.target.sent)


def _check_register(config: Path, database: Path | str, sent: int) -> str:
    """`gardefou register verify` on the register the proxy's workers wrote, and its row count."""
    from proxy.register.store import Register

    command = [sys.executable, "-m", "proxy", "register", "verify", "--config", str(config)]
    verify = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    register = Register.open(database, readonly=True)
    try:
        rows = register.count()
    finally:
        register.close()
    verdict = "chaîne vérifiée" if verify.returncode == 0 else f"VÉRIFICATION ÉCHOUÉE ({verify.returncode})"
    return f"{rows} lignes pour {sent} requêtes, {verdict}"


def _write_config(
    tmp: Path, upstream_base: str, detection: dict[str, int] | None, register_url: str | None = None
) -> tuple[Path, str]:
    from proxy.keystore import KeyStore  # the proxy's own key format, created like `gardefou keys`

    config: dict[str, Any] = {
        "data_dir": str(tmp / "data"),
        "upstreams": [{"name": "bench", "base_url": upstream_base, "models": [MODEL], "hosting": "local"}],
        # one benchmark key stands for many agents: lift the per-user abuse limits
        "limits": {
            "user_requests_per_minute": 1_000_000,
            "service_requests_per_minute": 1_000_000,
            "max_concurrent_per_user": 1_000,
        },
    }
    if detection:
        config["detection"] = detection
    if register_url:  # the register only: the key stays in the data folder's file, as with SQLite
        config["register_url"] = register_url
        config["keys"] = str(tmp / "data" / "keys.sqlite")
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    key = KeyStore(tmp / "data" / "keys.sqlite").create(user="bench", service=SERVICE).secret_key
    return path, key


@contextmanager
def _process(command: list[str], url: str, cwd: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start a server; its output goes to a file (a pipe nobody reads would block it)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_listening(proc, url, log)
            yield proc, url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_listening(proc: subprocess.Popen[bytes], url: str, log: IO[bytes]) -> None:
    port = int(url.split(":")[2].split("/")[0])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"process exited ({proc.returncode}): {log.read().decode()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("process did not start listening in time")


# -- process statistics (Linux /proc) ------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    return [one for one, _ in _tree(pid)]


def _tree(pid: int, depth: int = 0) -> list[tuple[int, int]]:
    """(pid, depth) of a process and of all its descendants, parents first."""
    found = [(pid, depth)]
    for tid in _listdir(f"/proc/{pid}/task"):
        children = Path(f"/proc/{pid}/task/{tid}/children")
        for child in children.read_text().split() if children.exists() else []:
            found += _tree(int(child), depth + 1)
    return found


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for one in process_tree(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def peak_rss_mb(pid: int, workers: int) -> list[tuple[str, float]]:
    """Peak resident memory of each process of the tree, named by its role (the server first)."""
    peaks = []
    for one, depth in _tree(pid):
        try:
            status = Path(f"/proc/{one}/status").read_text()
            command = Path(f"/proc/{one}/cmdline").read_bytes()
        except OSError:
            continue
        line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
        peaks.append((_role(command, depth, workers), int(line.split()[1]) / 1024))
    return peaks


def _role(command: bytes, depth: int, workers: int) -> str:
    """The supervisor (or single server), uvicorn's workers, and the NER processes under them."""
    if depth == 0:
        return "serveur" if workers == 1 else "superviseur"
    if b"resource_tracker" in command:
        return "suivi"
    if workers > 1 and depth == 1:
        return "worker"
    return "NER"


# -- measurements --------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def timed_post(client: httpx.AsyncClient, target: Target, body: dict[str, Any]) -> float:
    start = time.perf_counter()
    response = await client.post(target.url, json=body, headers=target.headers)
    elapsed = time.perf_counter() - start
    target.sent += 1
    if response.status_code != 200:
        raise RuntimeError(f"{target.name}: HTTP {response.status_code}: {response.text[:300]}")
    return elapsed * 1000


async def interleaved(
    client: httpx.AsyncClient, direct: Target, proxy: Target, bodies: Sequence[dict[str, Any]]
) -> tuple[list[float], list[float], float]:
    """Each body straight to the upstream, then through the proxy, one after the other (a machine
    that changes speed during the run then slows both sides alike); also the proxy's CPU time per
    request (ms)."""
    base, through, cpu = [], [], 0.0
    for body in bodies:
        base.append(await timed_post(client, direct, body))
        cpu_start = proxy.cpu_ms()
        through.append(await timed_post(client, proxy, body))
        cpu += proxy.cpu_ms() - cpu_start
    return base, through, cpu / len(bodies)


@dataclass(frozen=True)
class Load:
    clients: int
    done: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.done / self.seconds


async def concurrent(
    client: httpx.AsyncClient,
    target: Target,
    clients: int,
    seconds: float,
    body: Callable[[int], dict[str, Any]],
) -> Load:
    latencies: list[float] = []
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        while time.perf_counter() < deadline:
            latencies.append(await timed_post(client, target, body(next(counter))))

    start = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return Load(clients, len(latencies), time.perf_counter() - start, latencies)


@dataclass(frozen=True)
class Stream:
    first_content_ms: float
    arrivals_ms: list[float]

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.arrivals_ms, self.arrivals_ms[1:], strict=False)]


async def streamed(client: httpx.AsyncClient, target: Target, body: dict[str, Any]) -> Stream:
    start = time.perf_counter()
    arrivals: list[float] = []
    target.sent += 1
    async with client.stream("POST", target.url, json=body, headers=target.headers) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: {") and '"content"' in line:
                arrivals.append((time.perf_counter() - start) * 1000)
    if not arrivals:
        raise RuntimeError(f"{target.name}: stream without content")
    return Stream(arrivals[0], arrivals)


def conversation_turn(history: list[dict[str, str]], turn: int, seed: int, size: int) -> dict[str, Any]:
    history.append({"role": "user", "content": french_prompt(size, seed * 1000 + turn)})
    return chat_body(list(history))


async def conversation(
    client: httpx.AsyncClient, target: Target, turns: int, seed: int, size: int
) -> tuple[list[float], list[float]]:
    """Latency and server CPU time (ms) of each turn; the whole history is resent every turn."""
    history: list[dict[str, str]] = [{"role": "system", "content": "Tu es l'assistant de la mairie."}]
    latencies, cpu = [], []
    for turn in range(turns):
        body = conversation_turn(history, turn, seed, size)
        start, cpu_start = time.perf_counter(), target.cpu_ms()
        response = await client.post(target.url, json=body, headers=target.headers)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append(target.cpu_ms() - cpu_start)
        target.sent += 1
        history.append(response.json()["choices"][0]["message"])
    return latencies, cpu


# -- the benchmark -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...] = (300, 1000, 5000)
    requests: int = 60
    clients: tuple[int, ...] = (8, 32)
    seconds: float = 10.0
    streams: int = 8
    chunks: int = 20
    delay_ms: float = 50.0
    turns: int = 20
    conversations: int = 3
    turn_size: int = 300


QUICK = Plan(
    sizes=(300,),
    requests=3,
    clients=(2,),
    seconds=1.0,
    streams=1,
    chunks=3,
    delay_ms=10.0,
    turns=3,
    conversations=1,
)


@dataclass
class Report:
    """Rows printed as they come, then aligned block by block (a block starts at each heading)."""

    blocks: list[list[tuple[str, ...]]] = field(default_factory=list)

    def heading(self, *cells: object) -> None:
        self.blocks.append([])
        self.add(*cells)

    def add(self, *cells: object) -> None:
        if not self.blocks:
            self.blocks.append([])
        self.blocks[-1].append(tuple(_cell(c) for c in cells))
        print("  ".join(self.blocks[-1][-1]), flush=True)

    def table(self) -> str:
        return "\n\n".join(_aligned(rows) for rows in self.blocks)


def _aligned(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(max(map(len, rows)))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows)


def _cell(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


async def latency_section(
    client: httpx.AsyncClient, direct: Target, proxy: Target, plan: Plan, report: Report
) -> None:
    report.heading(
        "1 client",
        "direct p50",
        "p95",
        "p99",
        "garde-fou p50",
        "p95",
        "p99",
        "added p50",
        "p95",
        "p99",
        "CPU proxy/req.",
    )
    for size in plan.sizes:
        bodies = [one_prompt(size, size * 100_000 + i) for i in range(plan.requests)]
        base, through, cpu = await interleaved(client, direct, proxy, bodies)
        added = [t - b for t, b in zip(through, base, strict=True)]
        percentiles = [pct(values, q) for values in (base, through, added) for q in (50, 95, 99)]
        report.add(f"{size} car. (ms)", *percentiles, cpu)


async def load_section(
    client: httpx.AsyncClient, direct: Target, proxy: Target, plan: Plan, report: Report
) -> None:
    report.heading(
        "charge 1000 car.", "direct req/s", "p50", "p95", "garde-fou req/s", "p50", "p95", "added p50", "p95"
    )
    for clients in plan.clients:

        def body(i: int, c: int = clients) -> dict[str, Any]:
            return one_prompt(1000, 7_000_000 + c * 100_000 + i)

        base = await concurrent(client, direct, clients, plan.seconds, body)
        through = await concurrent(client, proxy, clients, plan.seconds, body)
        b50, b95 = pct(base.latencies, 50), pct(base.latencies, 95)
        t50, t95 = pct(through.latencies, 50), pct(through.latencies, 95)
        report.add(f"{clients} clients", base.rate, b50, b95, through.rate, t50, t95, t50 - b50, t95 - b95)


async def stream_section(
    client: httpx.AsyncClient, direct: Target, proxy: Target, plan: Plan, report: Report
) -> None:
    report.heading(
        "flux",
        "direct 1er contenu",
        "garde-fou 1er contenu",
        "added p50",
        "écart médian",
        "morceaux",
        "étalé",
    )
    firsts: dict[str, list[float]] = {"direct": [], "garde-fou": []}
    gaps: list[float] = []
    counts: list[int] = []
    for i in range(plan.streams):
        body = {**one_prompt(1000, 9_000_000 + i), "stream": True}
        firsts["direct"].append((await streamed(client, direct, body)).first_content_ms)
        through = await streamed(client, proxy, body)
        firsts["garde-fou"].append(through.first_content_ms)
        gaps += through.gaps
        counts.append(len(through.arrivals_ms))
    d50, g50 = statistics.median(firsts["direct"]), statistics.median(firsts["garde-fou"])
    gap = statistics.median(gaps) if gaps else 0.0
    spread = "oui" if gap >= plan.delay_ms * 0.5 and min(counts) >= plan.chunks * 0.8 else "NON"
    report.add(
        f"{plan.chunks} x {plan.delay_ms:.0f} ms",
        d50,
        g50,
        g50 - d50,
        gap,
        f"{min(counts)}/{plan.chunks}",
        spread,
    )


async def conversation_section(
    client: httpx.AsyncClient, direct: Target, proxy: Target, plan: Plan, report: Report
) -> None:
    added: list[list[float]] = []
    cpu: list[list[float]] = []
    for seed in range(plan.conversations):
        base, _ = await conversation(client, direct, plan.turns, seed, plan.turn_size)
        through, used = await conversation(client, proxy, plan.turns, seed, plan.turn_size)
        added.append([t - b for t, b in zip(through, base, strict=True)])
        cpu.append(used)
    per_turn = [statistics.median(column) for column in zip(*added, strict=True)]
    shown = sorted({0, 1, 4, 9, plan.turns - 1} & set(range(plan.turns)))
    report.heading("conversation", *(f"tour {i + 1}" for i in shown), "dernier / 1er")
    report.add("added (ms)", *(per_turn[i] for i in shown), _ratio(per_turn[-1], per_turn[0]))
    quarter = max(1, plan.turns // 4)
    head, tail = slice(0, quarter), slice(-quarter, None)
    first, last = _mean_of(added, head), _mean_of(added, tail)
    report.add(f"added (ms), moyenne {quarter} premiers / derniers", first, last, _ratio(last, first))
    first, last = _mean_of(cpu, head), _mean_of(cpu, tail)
    report.add(f"CPU proxy (ms/tour), {quarter} premiers / derniers", first, last, _ratio(last, first))


def _mean_of(rows: list[list[float]], turns: slice) -> float:
    return statistics.fmean(value for row in rows for value in row[turns])


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}" if reference > 0 else "n/a"


SECTIONS = (
    ("1 client", latency_section),
    ("charge", load_section),
    ("flux", stream_section),
    ("conversation", conversation_section),
)


async def run(
    plan: Plan,
    workers: int,
    only: Sequence[str] = (),
    detection: dict[str, int] | None = None,
    register: str = "sqlite",
) -> str:
    report = Report()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    speed_before = reference_cpu_ms()
    with (
        register_database(register) as register_url,
        fake_upstream(plan.chunks, plan.delay_ms) as direct,
        gardefou(direct, workers, detection, register_url) as proxy,
    ):
        async with httpx.AsyncClient(timeout=120, limits=limits, trust_env=False) as client:
            await _warm_up(client, direct, proxy.target)
            await _sections(client, direct, proxy, plan, report, only)
        memory = ", ".join(f"{role} {mb:.0f}" for role, mb in peak_rss_mb(proxy.process.pid, workers))
    report.heading(
        "proxy",
        f"workers {workers}",
        f"pic RSS (Mo) {memory}",
        f"registre {'PostgreSQL' if register_url else 'SQLite'} : {proxy.register_check}",
    )
    speed = f"{speed_before:.0f} ms avant, {reference_cpu_ms():.0f} ms après"
    report.heading("machine", f"calcul de référence (1 cœur) : {speed}")
    return report.table()


def reference_cpu_ms() -> float:
    """A fixed pure-Python computation, timed: shared machines change speed from one minute to the
    next, and this tells two runs' figures apart (the best of three, in ms)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        sum(i * i for i in range(2_000_000))
        best = min(best, time.perf_counter() - start)
    return best * 1000


async def _sections(
    client: httpx.AsyncClient,
    direct: Target,
    proxy: ProxyRun,
    plan: Plan,
    report: Report,
    only: Sequence[str],
) -> None:
    """Every section (or those asked for), and the proxy's CPU time per request it served in each."""
    cpu_per_request = []
    for name, section in SECTIONS:
        if only and name not in only:
            continue
        cpu, sent = cpu_seconds(proxy.process.pid), proxy.target.sent
        await section(client, direct, proxy.target, plan, report)
        used = cpu_seconds(proxy.process.pid) - cpu
        cpu_per_request.append(f"{name} {used / max(1, proxy.target.sent - sent) * 1000:.0f}")
    report.heading("CPU proxy (ms/req.)", *cpu_per_request)


async def _warm_up(client: httpx.AsyncClient, direct: Target, proxy: Target) -> None:
    for i in range(8):
        await timed_post(client, direct, one_prompt(1000, -1 - i))
        await timed_post(client, proxy, one_prompt(1000, -1 - i))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Surcoût de Garde-fou devant un modèle (boucle locale).")
    parser.add_argument("--workers", type=int, default=1, help="processus de `gardefou serve` (défaut : 1)")
    parser.add_argument("--quick", action="store_true", help="configuration minuscule (quelques secondes)")
    parser.add_argument(
        "--only", action="append", choices=[name for name, _ in SECTIONS], help="une seule mesure (répétable)"
    )
    parser.add_argument(
        "--cache-entries", type=int, help="detection.cache_entries du proxy (0 : sans cache d'analyse)"
    )
    parser.add_argument(
        "--processes", type=int, help="detection.processes du proxy (0 : NER dans le processus serveur)"
    )
    parser.add_argument("--seconds", type=float, help="durée de chaque mesure de charge (défaut : 10)")
    parser.add_argument(
        "--register",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="registre du proxy : fichier SQLite (défaut) ou PostgreSQL démarré pour la mesure",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    if args.seconds:
        plan = Plan(**{**plan.__dict__, "seconds": args.seconds})
    print(f"Garde-fou : surcoût mesuré sur {os.cpu_count()} cœurs (temps en ms)\n", flush=True)
    detection = {
        key: value
        for key, value in (("cache_entries", args.cache_entries), ("processes", args.processes))
        if value is not None
    }
    table = asyncio.run(run(plan, args.workers, args.only or (), detection, args.register))
    print("\nRésultats\n\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
