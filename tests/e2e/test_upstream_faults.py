"""Upstream faults surfaced truthfully: for each fault the faulty upstream can send (JSON and stream),
the agent's status or final stream event and the register row agree, and say the request was sent."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from proxy.analysis.engine import Detector
from tests.e2e.fault_upstream import FaultUpstream, fault_upstream
from tests.e2e.test_failures import PROMPT, proxy_with

JSON_FAULTS = {
    "json_choices_int": "upstream_bad_answer",
    "json_tool_calls_int": "upstream_bad_answer",
    "json_lone_surrogate": "upstream_bad_answer",
    "json_unreadable": "upstream_bad_answer",
}
STREAM_FAULTS = {
    "stream_close_delimited": "upstream_cut",
    "stream_chunked_clean_end": "upstream_cut",
    "stream_broken": "upstream_cut",
    "stream_cut_in_placeholder": "upstream_cut",
    "stream_malformed_chunk": "upstream_bad_answer",
    "stream_choices_int": "upstream_bad_answer",
    "stream_lone_surrogate": "upstream_bad_answer",
    "stream_error_event": "upstream_error",
}


class Faulty:
    def __init__(self, upstream: FaultUpstream, url: str, key: str, register: Path) -> None:
        self.upstream, self.url, self.key, self.register = upstream, url, key, register

    def post(self, fault: str, *, stream: bool) -> httpx.Response:
        self.upstream.fault = fault
        payload = {"model": "demo", "stream": stream, "messages": [{"role": "user", "content": PROMPT}]}
        headers = {"Authorization": f"Bearer {self.key}"}
        return httpx.post(f"{self.url}/v1/chat/completions", json=payload, headers=headers, timeout=30)

    def row(self, request_id: str) -> dict[str, object]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sqlite3.connect(self.register) as db:
                db.row_factory = sqlite3.Row
                found = db.execute("SELECT * FROM entries WHERE request_id = ?", [request_id]).fetchone()
            if found is not None:
                return dict(found)
            time.sleep(0.05)
        raise AssertionError(f"no register row for {request_id}")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory, detector: Detector) -> Iterator[Faulty]:
    with fault_upstream() as upstream:
        tmp = tmp_path_factory.mktemp("faults")
        with proxy_with(tmp, detector, upstream.url) as (url, key, register):
            yield Faulty(upstream, url, key, register)


def events(response: httpx.Response) -> list[str]:
    return [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data:")]


def assert_sent_and_failed(row: dict[str, object], code: str) -> None:
    assert (row["status"], row["decision"], row["error_code"], row["sent"]) == (502, "failed", code, 1)


@pytest.mark.parametrize("fault", sorted(JSON_FAULTS))
def test_json_fault_is_a_502_saying_sent_and_so_is_the_row(faulty: Faulty, fault: str) -> None:
    response = faulty.post(fault, stream=False)
    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == JSON_FAULTS[fault]
    assert "a été transmise" in error["message"] and "pas été transmise" not in error["message"]
    assert_sent_and_failed(faulty.row(response.headers["x-request-id"]), JSON_FAULTS[fault])


@pytest.mark.parametrize("fault", sorted(STREAM_FAULTS))
def test_stream_fault_ends_with_an_error_event_and_the_row_agrees(faulty: Faulty, fault: str) -> None:
    response = faulty.post(fault, stream=True)
    assert response.status_code == 200  # the stream had started: the error travels as its last event
    received = events(response)
    final = json.loads(received[-1])
    assert final["error"]["code"] == STREAM_FAULTS[fault], received
    assert "a été transmise" in final["error"]["message"]
    assert "[DONE]" not in received
    assert "PERS" not in response.text and "ONNE" not in response.text  # no raw placeholder piece
    assert_sent_and_failed(faulty.row(response.headers["x-request-id"]), STREAM_FAULTS[fault])


def test_sound_answers_are_restored_and_recorded_200(faulty: Faulty) -> None:
    whole = faulty.post("ok_json", stream=False)
    assert whole.status_code == 200 and "Lucie Bernard" in whole.text
    streamed = faulty.post("ok_stream", stream=True)
    assert events(streamed)[-1] == "[DONE]" and "Lucie Bernard" in streamed.text
    for response in (whole, streamed):
        row = faulty.row(response.headers["x-request-id"])
        assert (row["status"], row["decision"], row["sent"]) == (200, "forwarded", 1)


def test_the_openai_sdk_sees_each_fault_as_an_error(faulty: Faulty) -> None:
    client = openai.OpenAI(base_url=f"{faulty.url}/v1", api_key=faulty.key, max_retries=0)
    messages = [{"role": "user", "content": PROMPT}]
    faulty.upstream.fault = "json_choices_int"
    with pytest.raises(openai.APIStatusError) as whole:
        client.chat.completions.create(model="demo", messages=messages)  # type: ignore[arg-type]
    assert whole.value.status_code == 502
    faulty.upstream.fault = "stream_cut_in_placeholder"
    texts: list[str] = []
    with pytest.raises(openai.APIError, match="interrompue"):
        for chunk in client.chat.completions.create(model="demo", messages=messages, stream=True):  # type: ignore[arg-type]
            texts.extend(choice.delta.content or "" for choice in chunk.choices)
    assert "".join(texts) == "Bonjour "
