"""Calls to the upstream LLMs: the only importer of httpx; one shared client; errors mapped here.

Upstream URLs come only from the configuration; redirects are not followed and the environment's
proxy variables are ignored (trust_env=False), so no request can be steered elsewhere. Every call has
an overall deadline (limits.upstream_deadline_s), stream included: a slow-dripping upstream gets a 504.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from proxy.demo_upstream import create_demo_app
from proxy.errors import (
    GardefouError,
    UpstreamBadAnswer,
    UpstreamCut,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from proxy.settings import DEMO_BASE_URL, Settings, UpstreamSettings, upstream_api_key
from proxy.timings import note_first_byte


class Upstreams:
    def __init__(self, settings: Settings) -> None:
        demo_origin = DEMO_BASE_URL.rsplit("/v1", 1)[0]
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(120.0, connect=10.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            mounts={demo_origin: httpx.ASGITransport(app=create_demo_app())},
        )
        self._targets = {u.name: _Target.of(u) for u in settings.upstreams}
        self._deadline = settings.limits.upstream_deadline_s

    async def aclose(self) -> None:
        await self._client.aclose()

    async def reachable(self, upstream: UpstreamSettings, timeout_s: float) -> bool:
        """Whether the upstream answers at all (GET /models; any answer below 500 counts)."""
        target = self._targets.get(upstream.name) or _Target.of(upstream)
        try:
            with anyio.fail_after(timeout_s):
                response = await self._client.get(
                    target.url("/models"), headers=target.headers, timeout=timeout_s
                )
        except (httpx.HTTPError, TimeoutError):
            return False
        return response.status_code < 500

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send; the time until the answer's headers is noted for the metrics and the log line."""
        started = time.perf_counter()
        response = await self._client.send(request, stream=stream)
        note_first_byte(time.perf_counter() - started)
        return response

    def _request(self, upstream: UpstreamSettings, path: str, body: dict[str, Any]) -> httpx.Request:
        target = self._targets.get(upstream.name) or _Target.of(upstream)
        return self._client.build_request(
            "POST", target.url(path), json=body, headers=target.headers, timeout=target.timeout
        )

    async def complete(self, upstream: UpstreamSettings, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with _mapped_errors(upstream), anyio.fail_after(self._deadline):
            response = await self._send(self._request(upstream, path, body))
            await _raise_for_status(response, upstream)
            payload = response.json()
        if not isinstance(payload, dict):
            raise bad_answer(upstream.name)
        return payload

    @asynccontextmanager
    async def stream_lines(
        self, upstream: UpstreamSettings, path: str, body: dict[str, Any]
    ) -> AsyncIterator[AsyncIterator[str]]:
        """The upstream's response lines, as they arrive; the response is closed on exit."""
        deadline = anyio.current_time() + self._deadline
        with _mapped_errors(upstream), anyio.fail_after(self._deadline):
            response = await self._send(self._request(upstream, path, body), stream=True)
        try:
            with _mapped_errors(upstream), anyio.fail_after(deadline - anyio.current_time()):
                await _raise_for_status(response, upstream)
            yield _guarded_lines(response, upstream, deadline)
        finally:
            await response.aclose()


@dataclass(frozen=True, slots=True)
class _Target:
    """What every request to one upstream shares, worked out once (not on each request)."""

    base_url: str
    headers: dict[str, str]
    timeout: httpx.Timeout
    # Parsed once per path: parsing the URL string took ~40% of building a request.
    _urls: dict[str, httpx.URL] = field(default_factory=dict)

    def url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self.base_url + path)
        return url

    @classmethod
    def of(cls, upstream: UpstreamSettings) -> _Target:
        headers = {"Accept": "application/json"}
        key = upstream_api_key(upstream)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        timeout = httpx.Timeout(upstream.timeout_s, connect=10.0)
        return cls(str(upstream.base_url).rstrip("/"), headers, timeout)


async def _guarded_lines(
    response: httpx.Response, upstream: UpstreamSettings, deadline: float
) -> AsyncIterator[str]:
    lines = response.aiter_lines()
    while True:
        with _mapped_errors(upstream), anyio.fail_after(max(0.0, deadline - anyio.current_time())):
            line = await anext(lines, None)
        if line is None:
            return
        yield line


async def _raise_for_status(response: httpx.Response, upstream: UpstreamSettings) -> None:
    if response.is_success:
        return
    await response.aread()
    if response.status_code in (400, 404, 413, 422):
        status = response.status_code
        raise UpstreamRejected(
            f"Le modèle amont « {upstream.name} » a refusé la requête (statut {status}) ; {SENT}."
        )
    raise UpstreamError(
        f"Le modèle amont « {upstream.name} » a répondu par une erreur (statut {response.status_code}) ; "
        f"{SENT}."
    )


SENT = "la requête lui a été transmise"


def bad_answer(name: str) -> UpstreamBadAnswer:
    """The 502 of an answer that came back but cannot be read or restored: the request was sent."""
    return UpstreamBadAnswer(f"La réponse du modèle amont « {name} » est illisible ou mal formée ; {SENT}.")


def cut(name: str) -> UpstreamCut:
    return UpstreamCut(
        f"La réponse du modèle amont « {name} » s'est interrompue avant sa fin ; {SENT}, "
        "mais la réponse est incomplète."
    )


# Failures before a byte of the request could leave: the request was not sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class _mapped_errors:  # noqa: N801 - used as a context manager, reads like one
    """Translate httpx failures into the proxy's errors, never leaking URLs with secrets."""

    def __init__(self, upstream: UpstreamSettings) -> None:
        self._name = upstream.name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: Any) -> None:
        if exc is None or isinstance(exc, GardefouError):
            return
        if isinstance(exc, _NOT_SENT):
            raise UpstreamUnreachable(
                f"Le modèle amont « {self._name} » est injoignable ; la requête ne lui a pas été transmise."
            ) from exc
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            late = f"Le modèle amont « {self._name} » n'a pas répondu à temps ; {SENT}."
            raise UpstreamTimeout(late) from exc
        if isinstance(exc, httpx.HTTPError):
            raise cut(self._name) from exc
        if isinstance(exc, ValueError):  # JSON, text decoding
            raise bad_answer(self._name) from exc
