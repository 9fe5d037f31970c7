"""The path of one request (proxy/pipeline.py), called directly: the real detector, a real register
on disk and the recording upstream on loopback. Each request leaves exactly one register row, written
by the pipeline whatever ends it (answer, refusal, refused body, stream whole, stream abandoned)."""

from __future__ import annotations

import ast
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from proxy import pipeline
from proxy.analysis.engine import Detector
from proxy.caller import Caller
from proxy.errors import InvalidRequest
from proxy.exchange import Exchange
from proxy.services import Services
from proxy.settings import load_settings
from proxy.web.api import new_exchange
from tests.e2e.conftest import write_config
from tests.e2e.recording_upstream import Recorder

CALLER = Caller(user="agent.urba", service="urbanisme")
LETTER = "Bonjour, je suis Marie Dubois, joignable au 06 12 34 56 78. Pouvez-vous m'aider ?"


def _rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM entries ORDER BY seq")]


def _body(stream: bool = False, **extra: Any) -> Callable[[], Awaitable[Any]]:
    async def read() -> Any:
        return {"model": "demo", "messages": [{"role": "user", "content": LETTER}], "stream": stream, **extra}

    return read


Scenario = Callable[[Services, Exchange], Awaitable[Any]]


@pytest.fixture
def run(tmp_path: Path, upstream_url: str, local_detector: Detector) -> Callable[[Scenario], Any]:
    """Run a scenario against fresh services (one register per test); returns its result."""
    settings = load_settings(write_config(tmp_path, upstream_url))

    def runner(scenario: Scenario) -> Any:
        async def main() -> Any:
            services = Services.build(settings, detector=local_detector)
            try:
                return await scenario(services, new_exchange(services, CALLER, "chat.completions"))
            finally:
                await services.aclose()

        return anyio.run(main)

    runner.register = settings.register_path  # type: ignore[attr-defined]
    return runner


def test_a_json_answer_is_restored_and_recorded_once(run: Any, recorder: Recorder) -> None:
    async def scenario(services: Services, exchange: Exchange) -> Any:
        return await pipeline.answer(services, exchange, _body())

    result = run(scenario)
    sent = recorder.raw
    assert "Marie Dubois" not in sent and "06 12 34 56 78" not in sent  # redacted upstream
    [row] = _rows(run.register)
    assert (row["decision"], row["status"], row["stream"]) == ("forwarded", 200, 0)
    counts = json.loads(row["entity_counts"])
    assert counts["PERSON"] >= 1 and counts["PHONE"] == 1
    assert result["choices"][0]["message"]["content"]


def test_a_body_refused_before_the_pipeline_is_recorded_once(run: Any) -> None:
    async def refused() -> Any:
        raise InvalidRequest("Requête invalide : corps JSON illisible.")

    async def scenario(services: Services, exchange: Exchange) -> Any:
        with pytest.raises(InvalidRequest):
            await pipeline.answer(services, exchange, refused)

    run(scenario)
    [row] = _rows(run.register)
    assert (row["decision"], row["status"], row["error_code"]) == ("failed", 400, "invalid_request")


def test_a_whole_stream_is_recorded_before_its_closing_events(run: Any) -> None:
    async def scenario(services: Services, exchange: Exchange) -> list[tuple[bytes, int]]:
        relay = await pipeline.answer(services, exchange, _body(stream=True))
        assert isinstance(relay, AsyncIterator)
        return [(event, len(_rows(run.register))) async for event in relay]

    events = run(scenario)
    rows_at_done = [rows for event, rows in events if b"[DONE]" in event]
    assert rows_at_done == [1]  # the row exists before [DONE] reaches the agent
    assert events[0][1] == 0  # and not before the answer is whole
    [row] = _rows(run.register)
    assert (row["decision"], row["status"], row["stream"]) == ("forwarded", 200, 1)


def test_a_stream_the_client_leaves_is_recorded_once_as_client_gone(run: Any) -> None:
    async def scenario(services: Services, exchange: Exchange) -> None:
        relay = await pipeline.answer(services, exchange, _body(stream=True))
        assert isinstance(relay, AsyncIterator)
        await anext(relay)
        await relay.aclose()  # type: ignore[attr-defined]  # the client disconnects

    run(scenario)
    [row] = _rows(run.register)
    assert (row["status"], row["error_code"]) == (499, "client_disconnected")


def test_the_pipeline_is_the_only_writer_of_a_requests_row() -> None:
    """Every `services.record(...)` call of the request path is in proxy/pipeline.py."""
    proxy = Path(pipeline.__file__).resolve().parent
    writers = set()
    for path in proxy.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "services"
            ):
                writers.add(path.relative_to(proxy).as_posix())
    assert writers == {"pipeline.py"}
