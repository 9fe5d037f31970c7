"""How the path fails: closed, in French, recorded. Detection timeout, unreachable upstream,
client gone mid-stream."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.settings import load_settings
from tests.e2e.recording_upstream import Recorder, create_recording_upstream
from tests.e2e.servers import serve

REPO = Path(__file__).resolve().parents[2]
PROMPT = "Merci d'appeler Mme Lucie Bernard au 06 45 23 89 17 demain."


@contextmanager
def proxy_with(
    tmp: Path, detector: Detector, upstream_url: str, **extra: object
) -> Iterator[tuple[str, str, Path]]:
    """A proxy whose single upstream serves `demo` at `upstream_url`; yields (url, key, register path)."""
    config = {
        "data_dir": str(tmp / "data"),
        "upstreams": [
            {"name": "amont", "base_url": f"{upstream_url}/v1", "models": ["demo"], "hosting": "local"}
        ],
        **extra,
    }
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = load_settings(path)
    key = KeyStore(settings.keys_path).create(user="agent.test", service="demo").secret_key
    with serve(create_app(settings, detector=detector)) as url:
        yield url, key, settings.register_path


def last_row(register: Path) -> dict[str, object]:
    with sqlite3.connect(register) as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM entries ORDER BY seq DESC LIMIT 1").fetchone())


def chat(url: str, key: str, **body: object) -> httpx.Response:
    payload = {"model": "demo", "messages": [{"role": "user", "content": PROMPT}], **body}
    return httpx.post(
        f"{url}/v1/chat/completions", json=payload, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_detection_timeout_refuses_and_sends_nothing(tmp_path: Path, detector: Detector) -> None:
    recorder = Recorder()
    with (
        serve(create_recording_upstream(recorder)) as upstream,
        proxy_with(tmp_path, detector, upstream, detection={"timeout_s": 0.000001}) as (url, key, register),
    ):
        response = chat(url, key)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "detection_unavailable" and "n'a pas été transmise" in error["message"]
    assert recorder.bodies == []
    row = last_row(register)
    assert row["decision"] == "failed" and row["error_code"] == "detection_unavailable"


def test_unreachable_upstream_is_a_french_502_and_recorded(tmp_path: Path, detector: Detector) -> None:
    with proxy_with(tmp_path, detector, f"http://127.0.0.1:{closed_port()}") as (url, key, register):
        response = chat(url, key)
        streamed = chat(url, key, stream=True)
    assert response.status_code == 502 and "injoignable" in response.json()["error"]["message"]
    assert streamed.status_code == 502  # failed before the stream started: a plain HTTP error
    row = last_row(register)
    assert row["decision"] == "failed" and row["status"] == 502 and row["stream"] == 1
    assert "Bernard" not in json.dumps(row)


def test_client_leaving_mid_stream_is_still_recorded(tmp_path: Path, detector: Detector) -> None:
    recorder = Recorder(chunk_size=2, chunk_delay_s=0.05)
    with (
        serve(create_recording_upstream(recorder)) as upstream,
        proxy_with(tmp_path, detector, upstream) as (url, key, register),
    ):
        payload = {"model": "demo", "stream": True, "messages": [{"role": "user", "content": PROMPT}]}
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.stream("POST", f"{url}/v1/chat/completions", json=payload, headers=headers) as response:
            assert response.status_code == 200
            next(response.iter_lines())  # read one event, then hang up
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and last_row_or_none(register) is None:
            time.sleep(0.1)
        row = last_row_or_none(register)
    assert row is not None, "the interrupted stream has no register row"
    assert row["stream"] == 1 and row["decision"] == "failed" and row["error_code"] == "client_disconnected"


def last_row_or_none(register: Path) -> dict[str, object] | None:
    try:
        return last_row(register)
    except (sqlite3.OperationalError, TypeError):
        return None


@pytest.mark.parametrize("status", [500, 503])
def test_upstream_server_errors_become_502(tmp_path: Path, detector: Detector, status: int) -> None:
    async def failing(_request: object) -> JSONResponse:
        return JSONResponse({"error": {"message": "boom"}}, status_code=status)

    app = Starlette(routes=[Route("/v1/chat/completions", failing, methods=["POST"])])
    with serve(app) as upstream, proxy_with(tmp_path, detector, upstream) as (url, key, _register):
        response = chat(url, key)
    assert response.status_code == 502
    assert response.json()["error"]["type"] == "upstream_error"
