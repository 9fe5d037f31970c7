"""An OpenAI-compatible upstream on loopback that answers with a chosen fault, written on the raw socket.

A raw asyncio server (no framework) so that the faults a framework would never produce can be sent:
a stream cut without `[DONE]`, close-delimited or chunked ending cleanly, a broken chunked encoding,
an unreadable event. The fault is chosen per test (`FaultUpstream.fault`); the placeholder the proxy
put in the last user message is echoed back, so that cutting a stream in its middle can be tested.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

PLACEHOLDER = re.compile(rb"\[[A-Z_]+_\d+\]")


def _completion(message: str) -> bytes:
    body = {"id": "c1", "object": "chat.completion", "model": "demo", "choices": [], "usage": {}}
    return json.dumps(body).encode().replace(b'"choices": []', message.encode())


def _chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    chunk = {"id": "c1", "object": "chat.completion.chunk", "model": "demo", "choices": [choice]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


OK = "HTTP/1.1 200 OK\r\nconnection: close\r\n"


def _json_response(body: bytes) -> bytes:
    head = f"{OK}content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


def _chunked(events: list[bytes], *, clean_end: bool) -> bytes:
    head = f"{OK}content-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n".encode()
    body = b"".join(b"%x\r\n%s\r\n" % (len(event), event) for event in events)
    return head + body + (b"0\r\n\r\n" if clean_end else b"5\r\ndat")  # broken: a chunk cut short


def _close_delimited(events: list[bytes]) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
    return head + b"".join(events)


DONE = b"data: [DONE]\n\n"
LONE = "\\ud800"  # a lone surrogate, as a JSON escape


def _faults(placeholder: bytes) -> dict[str, bytes]:
    """Every fault: the bytes of the whole HTTP response the upstream sends (then it closes)."""
    name = placeholder.decode()
    hello = _chunk({"role": "assistant", "content": "Bonjour "})
    cut_in_placeholder = [hello, _chunk({"content": name[:6]}), _chunk({"content": name[6:-2]})]
    return {
        "ok_json": _json_response(_completion(f'"choices": [{_message(name)}]')),
        "ok_stream": _chunked([hello, _chunk({"content": name}), _chunk({}, "stop"), DONE], clean_end=True),
        "json_choices_int": _json_response(_completion('"choices": 5')),
        "json_tool_calls_int": _json_response(
            _completion('"choices": [{"index": 0, "message": {"role": "assistant", "tool_calls": 5}}]')
        ),
        "json_lone_surrogate": _json_response(_completion('"choices": [' + _message(LONE) + "]")),
        "json_unreadable": _json_response(b'{"choices": [tronque'),
        "stream_close_delimited": _close_delimited([hello, _chunk({"content": "suite"})]),
        "stream_chunked_clean_end": _chunked([hello, _chunk({"content": "suite"})], clean_end=True),
        "stream_broken": _chunked([hello, _chunk({"content": "suite"})], clean_end=False),
        "stream_cut_in_placeholder": _chunked(cut_in_placeholder, clean_end=True),
        "stream_malformed_chunk": _chunked([hello, b"data: {pas du json\n\n", DONE], clean_end=True),
        "stream_choices_int": _chunked([hello, b'data: {"choices": 5}\n\n', DONE], clean_end=True),
        "stream_lone_surrogate": _chunked(
            [hello, b'data: {"choices": [{"index": 0, "delta": {"content": "\\ud800"}}]}\n\n', DONE],
            clean_end=True,
        ),
        "stream_error_event": _chunked(
            [hello, b'data: {"error": {"message": "surcharge"}}\n\n', DONE], clean_end=True
        ),
    }


def _message(content: str) -> str:
    message = f'{{"role": "assistant", "content": "Vu : {content}"}}'
    return f'{{"index": 0, "message": {message}, "finish_reason": "stop"}}'


@dataclass
class FaultUpstream:
    fault: str = "ok_json"
    url: str = ""
    received: int = 0

    def response(self, request_body: bytes) -> bytes:
        self.received += 1
        found = PLACEHOLDER.findall(request_body)
        return _faults(found[0] if found else b"[PERSONNE_1]")[self.fault]


FAULTS = tuple(_faults(b"[PERSONNE_1]"))


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length:\s*(\d+)", head)
    return await reader.readexactly(int(length.group(1))) if length else b""


def _handler(upstream: FaultUpstream) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(upstream.response(await _read_request(reader)))
            await writer.drain()
        finally:
            writer.close()

    return handle


@contextmanager
def fault_upstream() -> Iterator[FaultUpstream]:
    """Run the faulty upstream on 127.0.0.1 (its own thread and event loop); one response per connection."""
    upstream = FaultUpstream()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(_handler(upstream), "127.0.0.1", 0))
    upstream.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield upstream
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
