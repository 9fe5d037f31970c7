"""Bounded connections, on the server as `gardefou serve` runs it: header size and count (431), a
header read timeout (408), open connections per client address (429), protocol errors in the OpenAI
shape with a French message, and an oversized body whose 413 urllib, httpx and the openai SDK read."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import openai
import pytest

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.roles import Role
from tests.e2e.servers import serve
from tests.web.appkit import Site, chat_body, load, role_keys

HEADER_TIMEOUT_S = 1.0
PER_CLIENT = 50


@pytest.fixture(scope="module")
def bounded(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[Site]:
    limits = {"header_timeout_s": HEADER_TIMEOUT_S, "max_connections_per_client": PER_CLIENT}
    settings = load(tmp_path_factory.mktemp("bounded"), upstream_url, limits=limits)
    keys = role_keys(settings)
    with serve(create_app(settings, detector=detector), settings.limits) as url:
        yield Site(url, settings, keys)


def port(site: Site) -> int:
    return int(site.url.rsplit(":", 1)[1])


def exchange_raw(site: Site, data: bytes, *, source: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read until the server closes: (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port(site)), timeout=10, source_address=(source, 0)) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def assert_openai_error(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict[str, str]:
    assert status == expected, body
    error: dict[str, str] = json.loads(body)["error"]
    assert {"message", "type", "code", "param"} <= set(error)
    assert error["request_id"] == headers["x-request-id"]
    return error


def test_64_kib_of_headers_is_a_431(bounded: Site) -> None:
    response = bounded.request("GET", "/v1/models", Role.AGENT, headers={"X-Gros": "a" * 65536})
    assert response.status_code == 431
    assert response.json()["error"]["code"] == "headers_too_large"
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]
    many = {f"X-En-Tete-{i}": "1" for i in range(150)}
    assert bounded.request("GET", "/v1/models", Role.AGENT, headers=many).status_code == 431
    assert bounded.request("GET", "/v1/models", Role.AGENT).status_code == 200


@pytest.mark.parametrize(
    ("request_bytes", "words"),
    [
        (b"FOO /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", "Méthode HTTP inconnue"),
        (b"GARBAGE\r\n\r\n", "Méthode HTTP inconnue"),
        (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "mal formée"),
        (
            b"POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "mal formée",
        ),
        (b"GET /v1/mo dels HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP"),
    ],
)
def test_protocol_errors_are_openai_errors_in_french(bounded: Site, request_bytes: bytes, words: str) -> None:
    error = assert_openai_error(*exchange_raw(bounded, request_bytes), 400)
    assert words in error["message"]


def test_a_client_sending_its_headers_too_slowly_gets_a_408(bounded: Site) -> None:
    started = time.monotonic()
    status, headers, body = exchange_raw(bounded, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
    assert_openai_error(status, headers, body, 408)
    assert time.monotonic() - started < HEADER_TIMEOUT_S + 2


def test_300_slow_connections_do_not_hold_the_server(bounded: Site) -> None:
    with ExitStack() as stack:
        slow = []
        for _ in range(300):  # another loopback address: "the other client" below is 127.0.0.1
            sock = stack.enter_context(
                socket.create_connection(("127.0.0.1", port(bounded)), 10, ("127.0.0.2", 0))
            )
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        started = time.monotonic()
        assert (
            bounded.request("POST", "/v1/chat/completions", Role.AGENT, json=chat_body()).status_code == 200
        )
        served_in = time.monotonic() - started
        answers = [_status_when_closed(sock) for sock in slow]
        closed_in = time.monotonic() - started
    assert served_in < HEADER_TIMEOUT_S
    assert answers.count(429) == 300 - PER_CLIENT and answers.count(408) == PER_CLIENT
    assert closed_in < HEADER_TIMEOUT_S + 3


def _status_when_closed(sock: socket.socket) -> int:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return int(received.split(b" ", 2)[1])


BIG = "x" * (6 * 1024 * 1024)


def test_a_6_mb_body_gets_a_413_the_clients_can_read(bounded: Site) -> None:
    key = bounded.keys[Role.AGENT]
    client = openai.OpenAI(base_url=f"{bounded.url}/v1", api_key=key, max_retries=0)
    with pytest.raises(openai.APIStatusError) as raised:
        client.chat.completions.create(model="demo", messages=[{"role": "user", "content": BIG}])
    assert raised.value.status_code == 413
    request = urllib.request.Request(
        f"{bounded.url}/v1/chat/completions",
        data=json.dumps(chat_body(BIG)).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert (
        refused.value.code == 413 and json.loads(refused.value.read())["error"]["code"] == "payload_too_large"
    )
    chunked = httpx.post(
        f"{bounded.url}/v1/chat/completions",
        content=(BIG[i : i + 65536].encode() for i in range(0, len(BIG), 65536)),
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert chunked.status_code == 413
