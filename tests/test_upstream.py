"""The upstream client (proxy/upstream.py) against real servers on loopback: answers and streams
come back as sent; every failure is one of the proxy's errors, saying truthfully whether the
request reached the model, and never the upstream's URL."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from proxy.errors import (
    GardefouError,
    UpstreamBadAnswer,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from proxy.settings import Settings, UpstreamSettings, load_settings
from proxy.upstream import Upstreams
from tests.e2e.conftest import write_config
from tests.e2e.servers import serve


async def _echo(request: Request) -> Response:
    return JSONResponse({"echo": await request.json(), "authorization": request.headers.get("authorization")})


async def _stream(request: Request) -> Response:
    async def lines() -> AsyncIterator[bytes]:
        for n in range(3):
            yield f"data: {n}\n\n".encode()

    return StreamingResponse(lines(), media_type="text/event-stream")


async def _slow(request: Request) -> Response:
    await anyio.sleep(5)
    return JSONResponse({})


def _status(code: int) -> Callable[[Request], Awaitable[Response]]:
    async def answer(request: Request) -> Response:
        return JSONResponse({"error": "x"}, status_code=code)

    return answer


async def _not_json(request: Request) -> Response:
    return PlainTextResponse("<html>proxy error</html>")


APP = Starlette(
    routes=[
        Route("/v1/echo", _echo, methods=["POST"]),
        Route("/v1/stream", _stream, methods=["POST"]),
        Route("/v1/slow", _slow, methods=["POST"]),
        Route("/v1/fail", _status(500), methods=["POST"]),
        Route("/v1/refuse", _status(422), methods=["POST"]),
        Route("/v1/html", _not_json, methods=["POST"]),
    ]
)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve(APP) as base:
        yield base


def _settings(tmp_path: Path, url: str, deadline_s: float = 30.0) -> Settings:
    settings = load_settings(write_config(tmp_path, url))
    limits = settings.limits.model_copy(update={"upstream_deadline_s": deadline_s})
    return settings.model_copy(update={"limits": limits})


def _call(settings: Settings, action: Callable[[Upstreams, UpstreamSettings], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        upstreams = Upstreams(settings)
        try:
            return await action(upstreams, settings.upstreams[0])
        finally:
            await upstreams.aclose()

    return anyio.run(main)


def test_an_answer_comes_back_as_the_upstream_sent_it(tmp_path: Path, url: str) -> None:
    body = {"model": "demo", "messages": [{"role": "user", "content": "Bonjour"}]}
    answer = _call(_settings(tmp_path, url), lambda u, up: u.complete(up, "/echo", body))
    assert answer["echo"] == body


def test_a_stream_comes_back_line_by_line(tmp_path: Path, url: str) -> None:
    async def lines(upstreams: Upstreams, upstream: UpstreamSettings) -> list[str]:
        async with upstreams.stream_lines(upstream, "/stream", {}) as received:
            return [line async for line in received if line]

    assert _call(_settings(tmp_path, url), lines) == ["data: 0", "data: 1", "data: 2"]


@pytest.mark.parametrize(
    ("path", "error", "sent"),
    [
        ("/fail", UpstreamError, True),  # its own error: a 502, the request was sent
        ("/refuse", UpstreamRejected, True),  # it refused the request: the agent's 4xx, sent all the same
        ("/html", UpstreamBadAnswer, True),  # an answer that is no JSON
    ],
)
def test_each_failure_is_the_proxys_error_and_says_whether_it_was_sent(
    tmp_path: Path, url: str, path: str, error: type[GardefouError], sent: bool
) -> None:
    with pytest.raises(error) as raised:
        _call(_settings(tmp_path, url), lambda u, up: u.complete(up, path, {}))
    assert raised.value.sent is sent
    assert url not in str(raised.value) and "127.0.0.1" not in str(raised.value)


def test_an_upstream_nobody_listens_on_was_not_sent_anything(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UpstreamUnreachable) as raised:
        _call(_settings(tmp_path, f"http://127.0.0.1:{port}"), lambda u, up: u.complete(up, "/echo", {}))
    assert raised.value.sent is False and str(port) not in str(raised.value)


def test_an_upstream_past_the_deadline_is_a_timeout_after_sending(tmp_path: Path, url: str) -> None:
    with pytest.raises(UpstreamTimeout) as raised:
        _call(_settings(tmp_path, url, deadline_s=0.3), lambda u, up: u.complete(up, "/slow", {}))
    assert raised.value.sent is True
