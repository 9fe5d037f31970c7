"""The service's logs: JSON lines (or text), and one line per HTTP request.

A request's line holds its request id (the register row's, when one was written), method, route
template, status, durations and, from the register entry, service, decision and error code: never a
text, a value, a key nor the agent (the register, not the logs, says who). `logs.format` chooses
JSON or text; `logs.requests` turns the request lines off.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proxy import timings
from proxy.settings import LogFormat, LogSettings
from proxy.timings import Trace

REQUEST_LOGGER = "gardefou.requests"
FIELDS = "fields"  # `extra={FIELDS: {...}}`: structured fields of a record
_QUIET = ("presidio-analyzer", "httpx")  # Presidio logs every analysis, httpx every call


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, FIELDS, None) or {})
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__  # the type only: a text may quote a request
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, FIELDS, None) or {}
        suffix = "".join(f" {key}={value}" for key, value in fields.items() if value is not None)
        return super().format(record) + suffix

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return f"exception={ei[0].__name__}"


def logging_config(settings: LogSettings) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the server (uvicorn applies it in every worker process)."""
    formatter = (
        "proxy.logs.JsonFormatter" if settings.format is LogFormat.JSON else "proxy.logs.TextFormatter"
    )
    quiet = {name: {"level": "WARNING"} for name in _QUIET}
    uvicorn = {"handlers": ["main"], "level": settings.level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": {"()": formatter}},
        "handlers": {
            "main": {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["main"], "level": settings.level},
        "loggers": {**quiet, "uvicorn": uvicorn, "uvicorn.error": {"level": settings.level}},
    }


class RequestLog:
    """ASGI middleware: opens the request's trace; writes its line once the response is over."""

    def __init__(self, app: ASGIApp, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled
        self._log = logging.getLogger(REQUEST_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace = timings.begin()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if self.enabled and self._log.isEnabledFor(logging.INFO):
                self._log.info("request", extra={FIELDS: request_fields(scope, status, trace)})


def request_fields(scope: Scope, status: int, trace: Trace) -> dict[str, Any]:
    route = scope.get("route")
    state = scope.get("state") or {}
    fields: dict[str, Any] = {
        # The register row's id, else the one the request guard gave the answer (X-Request-Id).
        "request_id": trace.request_id or state.get("request_id") or f"http_{uuid.uuid4().hex}",
        "method": scope.get("method"),
        "route": getattr(route, "path", None) or "(inconnue)",  # the template, never the raw path
        "status": status,
        "duration_ms": _ms(trace.elapsed_s()),
    }
    entry = trace.entry
    if entry is not None:
        fields |= {"service": entry.service, "decision": str(entry.decision), "error_code": entry.error_code}
        fields |= {"model": entry.routed_model or None, "upstream": entry.upstream, "stream": entry.stream}
    if trace.detection_s:
        fields["detection_ms"] = _ms(trace.detection_s)
    if trace.upstream_first_byte_s is not None:
        fields["upstream_first_byte_ms"] = _ms(trace.upstream_first_byte_s)
    return fields


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _timestamp(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"
