"""The ASGI guard around every request: a request id on every response (errors included), body size
counted on the stream (chunked bodies too), and concurrency slots released when the response is over,
however it ends."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proxy.errors import PayloadTooLarge
from proxy.exchange import new_request_id
from proxy.limits import Slot
from proxy.web.guards import SLOTS

REQUEST_ID_HEADER = b"x-request-id"
_STATE_KEY = "request_id"


def request_id_of(scope: Scope) -> str | None:
    """The id the guard gave this request (None outside the guard, e.g. in unit tests of a route)."""
    value = scope.get("state", {}).get(_STATE_KEY)
    return value if isinstance(value, str) else None


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})[_STATE_KEY] = request_id
        send = _with_request_id(send, request_id)
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            error = self._too_large()
            response = JSONResponse(error.to_openai(request_id), error.status, headers=error.headers)
            await response(scope, receive, send)
            return
        slots: list[Slot] = []
        scope[SLOTS] = slots
        try:
            await self.app(scope, self._counting(receive), send)
        finally:
            for slot in slots:
                slot.release()

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise self._too_large()
            return message

        return counted

    def _too_large(self) -> PayloadTooLarge:
        limit = self.max_body_bytes // 1024
        message = f"Le corps de la requête dépasse la taille maximale autorisée ({limit} Kio)."
        # Connection: close: the server reads and drops a bounded rest of the body, then closes
        # (proxy/web/protocol.py), so that the client reads this answer instead of a reset.
        return PayloadTooLarge(message, headers={"Connection": "close"})


def _with_request_id(send: Send, request_id: str) -> Send:
    """`send` adding the X-Request-Id header to the response (unless a handler already did)."""
    value = request_id.encode("ascii")

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if all(name.lower() != REQUEST_ID_HEADER for name, _ in headers):
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER, value)]}
        await send(message)

    return sending


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
