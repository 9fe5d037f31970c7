"""Abuse limits, SSRF and secrets hygiene on a real server, with a misbehaving upstream.

- Limits: an oversized body (chunked, no Content-Length) gets 413; over-rate 429 + Retry-After;
  too many concurrent requests 429; a slow-dripping upstream 504 within the deadline, while other
  clients are served meanwhile.
- SSRF: a canary listener on loopback is never contacted, whatever URL a client supplies, when an
  upstream redirects there, or when the environment's proxy variables point there.
- Secrets: canary client and upstream keys never appear in logs, server output, error bodies, the
  register files, the admin API (config, stats, exports).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from proxy.analysis.engine import Detector
from proxy.keystore import KeyStore
from proxy.register import configured
from proxy.roles import Role
from proxy.settings import Settings
from tests.e2e.servers import serve
from tests.web.appkit import SERVICE, Site, chat_body, load, running_site

DEADLINE_S = 3.0
MAX_BODY = 64 * 1024
UPSTREAM_KEY = "sk-amont-canari-7f3a9c1e5b2d4f6a8c0e"
UPSTREAM_KEY_ENV = "GARDEFOU_TEST_UPSTREAM_KEY"


# -- a canary listener and a misbehaving upstream ------------------------------------------------


@dataclass
class Canary:
    """A TCP listener on loopback that only counts who connects to it."""

    sock: socket.socket
    contacts: list[bytes] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    self.contacts.append(conn.recv(4096))
                except OSError:
                    self.contacts.append(b"")


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    sock = socket.create_server(("127.0.0.1", 0))
    listener = Canary(sock)
    threading.Thread(target=listener.run, daemon=True).start()
    yield listener
    sock.close()


@dataclass
class Upstream:
    canary_url: str
    authorizations: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def chat(self, request: Request) -> Response:
        self.authorizations.append(request.headers.get("authorization", ""))
        body = await request.json()
        text = json.dumps(body["messages"][-1], ensure_ascii=False)
        if "GOUTTE" in text:
            dripping = _drip_stream(body) if body.get("stream") else _drip_json()
            return StreamingResponse(dripping, media_type="text/event-stream")
        if "redirige-moi" in text:
            return RedirectResponse(f"{self.canary_url}/v1/chat/completions", status_code=307)
        if "renvoie-la-cle" in text:
            return JSONResponse(
                {"error": {"message": f"clé reçue : {request.headers.get('authorization')}"}}, 500
            )
        if body.get("stream"):
            return StreamingResponse(_answer_stream(body), media_type="text/event-stream")
        return JSONResponse(_completion(body["model"], "Rien à signaler."))


def _completion(model: str, text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    return {
        "id": "chatcmpl-sec",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


def _chunk(model: str, text: str) -> bytes:
    delta = {"index": 0, "delta": {"content": text}, "finish_reason": None}
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [delta]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


async def _answer_stream(body: dict[str, Any]) -> AsyncIterator[bytes]:
    for word in ("Rien ", "à ", "signaler."):
        yield _chunk(body["model"], word)
    yield b"data: [DONE]\n\n"


async def _drip_json() -> AsyncIterator[bytes]:
    """A JSON answer that never ends: one space every 0.2 s (each read resets a read timeout)."""
    yield b'{"id": "chatcmpl-lent", '
    for _ in range(600):
        await asyncio.sleep(0.2)
        yield b" "


async def _drip_stream(body: dict[str, Any]) -> AsyncIterator[bytes]:
    yield _chunk(body["model"], "Je réfléchis")
    for _ in range(600):
        await asyncio.sleep(0.2)
        yield b": toujours la\n\n"


# -- the proxy under test ------------------------------------------------------------------------


@dataclass
class Secure:
    site: Site
    upstream: Upstream
    canary: Canary


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory, canary: Canary, detector: Detector) -> Iterator[Secure]:
    upstream = Upstream(canary.url)
    with pytest.MonkeyPatch.context() as env, serve(upstream.app()) as upstream_url:
        env.setenv(UPSTREAM_KEY_ENV, UPSTREAM_KEY)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            env.setenv(name, canary.url)  # trust_env=False: the proxy's client must ignore these
        env.delenv("NO_PROXY", raising=False)
        env.delenv("no_proxy", raising=False)
        settings = load(
            tmp_path_factory.mktemp("secure"),
            upstream_url,
            upstreams=[
                {
                    "name": "amont-test",
                    "base_url": f"{upstream_url}/v1",
                    "api_key_env": UPSTREAM_KEY_ENV,
                    "models": ["demo"],
                    "hosting": "local",
                }
            ],
            limits={
                "max_body_bytes": MAX_BODY,
                "user_requests_per_minute": 6,
                "max_concurrent_per_user": 2,
                "upstream_deadline_s": DEADLINE_S,
            },
        )
        with running_site(settings, detector) as site:
            yield Secure(site, upstream, canary)


def agent_key(secure: Secure, user: str) -> dict[str, str]:
    key = KeyStore(secure.site.settings.keys_path).create(user=user, service=SERVICE).secret_key
    return {"Authorization": f"Bearer {key}"}


def chat(secure: Secure, headers: dict[str, str], content: str, **extra: Any) -> httpx.Response:
    body = {**chat_body(content), **extra}
    return secure.site.request("POST", "/v1/chat/completions", headers=headers, json=body)


def last_row(secure: Secure) -> dict[str, Any]:
    rows = secure.site.request("GET", "/admin/api/register/entries", Role.RSSI, params={"limit": 1000})
    assert rows.status_code == 200, rows.text
    entries: list[dict[str, Any]] = rows.json()["entries"]
    return entries[-1]


# -- limits --------------------------------------------------------------------------------------


def test_an_oversized_chunked_body_is_refused_with_413(secure: Secure) -> None:
    headers = {**agent_key(secure, "agent.gros"), "Content-Type": "application/json"}
    padding = "x" * (2 * MAX_BODY)
    payload = json.dumps(chat_body(padding)).encode()

    def chunks() -> Iterator[bytes]:  # a generator: sent chunked, without Content-Length
        for start in range(0, len(payload), 4096):
            yield payload[start : start + 4096]

    url = f"{secure.site.url}/v1/chat/completions"
    response = secure.site.http.post(url, content=chunks(), headers=headers)
    assert response.status_code == 413
    assert "taille maximale" in response.json()["error"]["message"]
    assert last_row(secure)["error_code"] == "payload_too_large"
    declared = secure.site.http.post(url, content=payload, headers=headers)  # with Content-Length
    assert declared.status_code == 413
    assert chat(secure, headers, "Petit message.").status_code == 200


def test_deep_json_and_too_many_messages_are_refused(secure: Secure) -> None:
    headers = agent_key(secure, "agent.profond")
    deep = "[" * 5000 + "]" * 5000
    raw = f'{{"model": "demo", "messages": [{{"role": "user", "content": "x"}}], "x": {deep}}}'
    response = secure.site.request(
        "POST", "/v1/chat/completions", headers={**headers, "Content-Type": "application/json"}, content=raw
    )
    assert response.status_code == 400 and "imbriqué" in response.json()["error"]["message"]
    huge = secure.site.request(
        "POST",
        "/v1/chat/completions",
        headers={**headers, "Content-Type": "application/json"},
        content=b'{"model": "demo", "n": ' + b"9" * 5000 + b"}",
    )
    assert huge.status_code == 400


def test_over_the_rate_a_user_gets_429_with_retry_after_and_others_do_not(secure: Secure) -> None:
    eager, other = agent_key(secure, "agent.presse"), agent_key(secure, "agent.calme")
    statuses = [secure.site.request("GET", "/v1/models", headers=eager).status_code for _ in range(7)]
    assert statuses == [200] * 6 + [429]
    refused = secure.site.request("GET", "/v1/models", headers=eager)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert secure.site.request("GET", "/v1/models", headers=other).status_code == 200


def test_a_slow_dripping_upstream_gets_504_within_the_deadline_while_others_are_served(
    secure: Secure,
) -> None:
    slow, other = agent_key(secure, "agent.lent"), agent_key(secure, "agent.rapide")
    with ThreadPoolExecutor(2) as pool:
        started = time.monotonic()
        dripping = pool.submit(chat, secure, slow, "GOUTTE : réponds lentement.")
        time.sleep(0.3)
        quick = chat(secure, other, "Bonjour.")
        quick_at = time.monotonic() - started
        stuck = dripping.result(timeout=30)
        stuck_at = time.monotonic() - started
    assert quick.status_code == 200 and quick_at < stuck_at  # served while the other one hung
    assert stuck.status_code == 504 and stuck.json()["error"]["code"] == "upstream_timeout"
    assert DEADLINE_S <= stuck_at < DEADLINE_S + 3


def test_a_slow_dripping_stream_ends_with_an_error_event_at_the_deadline(secure: Secure) -> None:
    started = time.monotonic()
    response = chat(secure, agent_key(secure, "agent.flux"), "GOUTTE en flux", stream=True)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed < DEADLINE_S + 3
    assert "upstream_timeout" in response.text and "Je réfléchis" in response.text


def test_concurrent_requests_per_user_are_capped_and_released(secure: Secure) -> None:
    busy, other = agent_key(secure, "agent.multi"), agent_key(secure, "agent.seul")
    with ThreadPoolExecutor(2) as pool:
        slow = [pool.submit(chat, secure, busy, "GOUTTE encore") for _ in range(2)]
        time.sleep(0.8)  # both admitted and waiting on the upstream
        third = chat(secure, busy, "Bonjour.")
        assert third.status_code == 429 and "simultanées" in third.json()["error"]["message"]
        assert chat(secure, other, "Bonjour.").status_code == 200
        assert [f.result(timeout=30).status_code for f in slow] == [504, 504]
    assert chat(secure, busy, "Bonjour.").status_code == 200  # places given back


# -- SSRF ----------------------------------------------------------------------------------------


def test_no_client_supplied_url_is_ever_contacted(secure: Secure) -> None:
    headers = agent_key(secure, "agent.ssrf")
    target = f"{secure.canary.url}/v1"
    before = len(secure.canary.contacts)
    for name in ("base_url", "api_base", "api_url", "endpoint", "url", "upstream"):
        response = chat(secure, headers, "Bonjour.", **{name: target})
        assert response.status_code == 400 and name in response.json()["error"]["message"]
    for extra in (
        {"model": target},
        {"model": f"demo@{secure.canary.url.removeprefix('http://')}"},
        {"extra_headers": {"Host": secure.canary.url}},
        {"extra_body": {"base_url": target}},
        {"metadata": {"api_base": target}},
    ):
        assert chat(secure, headers, f"Voir {target}", **extra).status_code < 500
    for header in ("Host", "X-Forwarded-Host", "X-Upstream-Url", "OpenAI-Base-URL", "Forwarded"):
        response = chat(secure, {**headers, header: secure.canary.url.removeprefix("http://")}, "Bonjour.")
        assert response.status_code < 500
    time.sleep(0.2)
    assert secure.canary.contacts[before:] == []


def test_upstream_redirects_are_not_followed(secure: Secure) -> None:
    before = len(secure.canary.contacts)
    response = chat(secure, agent_key(secure, "agent.redir"), "Merci, redirige-moi")
    assert response.status_code == 502
    time.sleep(0.2)
    assert secure.canary.contacts[before:] == []


def test_environment_proxy_variables_are_ignored(secure: Secure) -> None:
    before = len(secure.canary.contacts)
    assert chat(secure, agent_key(secure, "agent.env"), "Bonjour.").status_code == 200
    assert secure.upstream.authorizations  # the real upstream was reached, directly
    assert secure.canary.contacts[before:] == []


# -- secrets hygiene -----------------------------------------------------------------------------


def test_no_key_appears_in_logs_errors_register_or_admin_outputs(
    secure: Secure, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    client_key = KeyStore(secure.site.settings.keys_path).create(user="agent.canari", service=SERVICE)
    good = {"Authorization": f"Bearer {client_key.secret_key}"}
    secret = client_key.secret_key.split("_", 2)[2]
    wrong = {"Authorization": f"Bearer gf_{client_key.record.key_id}_{secret[::-1]}"}
    echoed = chat(secure, good, "Merci, renvoie-la-cle")
    assert echoed.status_code == 502  # the upstream's error (quoting its key) is not relayed
    outputs = [
        echoed.text,
        chat(secure, good, "Bonjour.").text,
        chat(secure, good, "Bonjour.", stream=True).text,
        chat(secure, good, "Merci, redirige-moi").text,
        chat(secure, good, "x", model="inconnu").text,
        chat(secure, wrong, "Bonjour.").text,
        secure.site.request("GET", "/v1/models", headers=good).text,
        secure.site.request("GET", "/admin/api/whoami", headers=good).text,
    ]
    assert f"Bearer {UPSTREAM_KEY}" in secure.upstream.authorizations  # the key was really used
    admin_views = ["/admin/api/config", "/admin/api/keys"]
    rssi_views = ["/admin/api/register/entries", "/admin/api/register/export", "/admin/api/stats"]
    outputs += [secure.site.request("GET", path, Role.ADMIN).text for path in admin_views]
    outputs += [secure.site.request("GET", path, Role.RSSI).text for path in rssi_views]
    register = secure.site.settings.register_path
    files = [register, register.with_name(register.name + "-wal"), secure.site.settings.keys_path]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    captured = capfd.readouterr()
    everything = "\n".join([*outputs, caplog.text, captured.out, captured.err])
    for canary in (UPSTREAM_KEY, client_key.secret_key, secret, secret[::-1]):
        assert canary not in everything
        assert canary.encode() not in stored
    for server_secret in _server_secrets(secure.site.settings):  # pseudonym key, register signing key
        assert server_secret not in everything
    assert client_key.record.key_id in everything  # referred to by its id
    assert _data_files_hold_no_secret(secure.site.settings.data_dir, [UPSTREAM_KEY, secret])


def _server_secrets(settings: Settings) -> list[str]:
    pseudonym = settings.pseudonym_secret_path.read_text(encoding="ascii").strip()
    signing = configured.signing_key_path(settings)
    pem = signing.read_text(encoding="ascii").splitlines()[1:-1] if signing.exists() else []
    assert len(pseudonym) == 64
    return [pseudonym, *(line for line in pem if len(line) >= 32)]


def _data_files_hold_no_secret(data_dir: Path, secrets: list[str]) -> bool:
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not any(s.encode() in content for s in secrets), path.name
    return True
