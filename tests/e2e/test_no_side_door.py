"""No side door: a canary identity placed in every field path and content part of every served route
(from the official SDK's request types and the wire inventory), JSON and streamed, never reaches the
upstream. Each probe is either refused with a French 4xx or forwarded with the canary gone.

Real server (uvicorn on 127.0.0.1), recording upstream, raw httpx for the probes (any shape), the
official `openai` client for the Responses API and legacy completions.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.openai_api.inventory import routes, segments
from proxy.settings import load_settings
from tests.attachments import samples
from tests.e2e.conftest import Proxy, write_config
from tests.e2e.recording_upstream import Recorder
from tests.e2e.servers import serve
from tests.openai_api.sdk_fields import ROUTE_PARAMS, route_fields

NAME, PHONE, EMAIL = "Marie Dubois", "06 12 34 56 78", "marie.dubois@exemple.fr"
CANARY = f"Contact : {NAME}, tél. {PHONE}, {EMAIL}"
TRACES = ("Dubois", "DUBOIS", PHONE, "0612345678", "12 34 56 78", "marie.dubois", "exemple.fr")
BASES: dict[str, dict[str, Any]] = {
    "chat.completions": {"model": "demo", "messages": [{"role": "user", "content": "Bonjour."}]},
    "responses": {"model": "demo", "input": "Bonjour."},
    "completions": {"model": "demo", "prompt": "Bonjour."},
    "embeddings": {"model": "demo", "input": "Bonjour."},
}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PATHS = {"chat.completions": "/v1/chat/completions", "responses": "/v1/responses"}
PATHS |= {"completions": "/v1/completions", "embeddings": "/v1/embeddings"}


def place(container: Any, parts: list[str], value: Any) -> Any:
    """`container` with `value` put at the path `parts` (lists get one item, maps one key)."""
    if not parts:
        return value
    segment, rest = parts[0], parts[1:]
    if segment == "[]":
        first = container[0] if isinstance(container, list) and container else None
        return [place(copy.deepcopy(first) if isinstance(first, dict) else None, rest, value)]
    if segment == "{}":
        return {"cle": place(None, rest, value)}
    out = dict(container) if isinstance(container, dict) else {}
    out[segment] = place(out.get(segment), rest, value)
    return out


def probe(route: str, path: str, value: Any = CANARY) -> dict[str, Any]:
    return place(copy.deepcopy(BASES[route]), segments(path), value)


def part_probes(route: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """One probe per part type of every dispatched list (and one of an unknown type)."""
    for path, dispatch in routes()[route].kinds.items():
        for kind in [*dispatch.types, "type_inconnu", None]:
            part: dict[str, Any] = {"text": CANARY, "url": f"https://exemple.fr/?q={CANARY}"}
            part |= {"image_url": {"url": f"https://exemple.fr/?q={CANARY}"}, "file_data": CANARY}
            if kind is not None:
                part["type"] = kind
            yield f"{path}<{kind}>", probe(route, path, part)


EVASIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "tool enum and default": (
        "chat.completions",
        {
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "envoyer",
                        "parameters": {
                            "type": "object",
                            "properties": {"dest": {"type": "string", "enum": [CANARY], "default": CANARY}},
                        },
                    },
                }
            ]
        },
    ),
    "schema key": (
        "chat.completions",
        {"response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {CANARY: 1}}}},
    ),
    "metadata key": ("chat.completions", {"metadata": {CANARY: "x"}}),
    "tool_choice function name": (
        "chat.completions",
        {"tool_choice": {"type": "function", "function": {"name": CANARY}}},
    ),
    "tool-call arguments as an object": (
        "chat.completions",
        {
            "messages": [
                {"role": "user", "content": "Bonjour."},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": CANARY,
                            "type": "function",
                            "function": {"name": "f", "arguments": {"a": CANARY}},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": CANARY, "content": "ok"},
            ]
        },
    ),
    "legacy function_call": ("chat.completions", {"function_call": {"name": CANARY}}),
    "vendor extension": (
        "chat.completions",
        {"chat_template_kwargs": {"x": [CANARY]}, "guided_json": CANARY},
    ),
    "responses input_text without type": (
        "responses",
        {"input": [{"role": "user", "content": [{"text": CANARY}]}]},
    ),
    "responses function_call_output": (
        "responses",
        {"input": [{"type": "function_call_output", "call_id": "c1", "output": CANARY}]},
    ),
    "responses instructions": ("responses", {"instructions": CANARY}),
    "image url query string": (
        "chat.completions",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": f"https://exemple.fr/?q={CANARY}"}}
                    ],
                }
            ]
        },
    ),
    "data url in text": ("chat.completions", {"stop": ["data:text/plain;base64," + "QUJD" * 4]}),
}


def all_probes() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for route in ROUTE_PARAMS:
        paths = route_fields(route).paths | set(routes()[route].rules)
        for path in sorted(paths):
            yield route, path, probe(route, path)
        for name, body in part_probes(route):
            yield route, name, body
    for name, (route, extra) in EVASIONS.items():
        yield route, name, {**BASES[route], **extra}


def send(proxy: Proxy, http: httpx.Client, route: str, body: dict[str, Any]) -> tuple[httpx.Response, str]:
    """The proxy's answer, and everything the upstream received for it."""
    before = len(proxy.recorder.bodies)
    response = http.post(PATHS[route], json=body)
    if body.get("stream") is True and response.status_code == 200:
        response.read()
    return response, json.dumps(proxy.recorder.bodies[before:], ensure_ascii=False)


def verdict(response: httpx.Response, upstream: str) -> str | None:
    """None when the probe held: a French 4xx (nothing forwarded), or a 200 with the canary gone."""
    leaked = [trace for trace in TRACES if trace in upstream]
    if leaked:
        return f"{response.status_code}: reached the upstream: {leaked}"
    if 400 <= response.status_code < 500 and response.status_code != 429:
        message = response.json()["error"]["message"]
        if upstream != "[]":
            return "refused but forwarded"
        if any(trace in message for trace in TRACES):
            return f"canary echoed in the error: {message}"
        if not any(c in message for c in "éèàçô«"):
            return f"error not in French: {message}"
        return None
    return None if response.status_code == 200 else f"status {response.status_code}: {response.text[:200]}"


@pytest.fixture(scope="module")
def proxy(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, recorder: Recorder, detector: Detector
) -> Iterator[Proxy]:
    """The e2e proxy with rate limits high enough for a thousand probes in a row."""
    tmp = tmp_path_factory.mktemp("side-door")
    path = write_config(tmp, upstream_url)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["limits"] = {"user_requests_per_minute": 100_000, "service_requests_per_minute": 100_000}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = load_settings(path)
    key = KeyStore(settings.keys_path).create(user="agent.urba", service="urbanisme").secret_key
    with serve(create_app(settings, detector=detector)) as url:
        yield Proxy(url, settings, recorder, key)


@pytest.fixture(scope="module")
def http(proxy: Proxy) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {proxy.key}"}
    with httpx.Client(base_url=proxy.url, headers=headers, timeout=60) as client:
        yield client


def test_the_canary_never_reaches_the_upstream_from_any_field_or_part(
    proxy: Proxy, http: httpx.Client
) -> None:
    failures: dict[str, str] = {}
    outcomes = {"refused": 0, "forwarded": 0}
    codes: Counter[str] = Counter()
    for route, name, body in all_probes():
        streams = [False, True] if route != "embeddings" and "." not in name and "[" not in name else [False]
        for stream in streams:
            sent = {**body, "stream": True} if stream else body
            response, upstream = send(proxy, http, route, sent)
            problem = verdict(response, upstream)
            if problem:
                failures[f"{route} {name}{' (flux)' if stream else ''}"] = problem
            outcomes["forwarded" if response.status_code == 200 else "refused"] += 1
            if response.status_code != 200:
                codes[f"{response.status_code} {response.json()['error']['code']}"] += 1
    print(f"canary probes: {outcomes}, refusals: {dict(codes)}")  # figures for the issue note (-s)
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)
    assert outcomes["forwarded"] > 300 and outcomes["refused"] > 50, (outcomes, codes)


def test_responses_api_answers_are_restored_json_and_streamed(proxy: Proxy) -> None:
    client = proxy.client()
    question = f"Écris à {NAME} ({PHONE}, {EMAIL})."
    before = len(proxy.recorder.bodies)
    answer = client.responses.create(model="demo", input=question, instructions="Sois bref.")
    assert all(value in answer.output_text for value in (NAME, PHONE, EMAIL))
    stream = client.responses.create(model="demo", input=[{"role": "user", "content": question}], stream=True)
    deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
    assert len(deltas) > 5 and all(value in "".join(deltas) for value in (NAME, PHONE, EMAIL))
    assert "[" not in "".join(deltas)
    sent = json.dumps(proxy.recorder.bodies[before:], ensure_ascii=False)
    assert "[PERSONNE_" in sent and not any(trace in sent for trace in TRACES)


def test_legacy_completions_are_restored_json_and_streamed(proxy: Proxy) -> None:
    client = proxy.client()
    before = len(proxy.recorder.bodies)
    prompt = f"Courrier pour {NAME}, {PHONE}."
    answer = client.completions.create(model="demo", prompt=prompt)
    assert NAME in answer.choices[0].text and PHONE in answer.choices[0].text
    pieces = [
        c.choices[0].text
        for c in client.completions.create(model="demo", prompt=prompt, stream=True)
        if c.choices
    ]
    assert NAME in "".join(pieces) and PHONE in "".join(pieces) and len(pieces) > 5
    sent = json.dumps(proxy.recorder.bodies[before:], ensure_ascii=False)
    assert not any(trace in sent for trace in TRACES)


def test_a_blocked_card_number_is_refused_in_any_field(proxy: Proxy, http: httpx.Client) -> None:
    """Policy decisions see every scanned text: the same 403 in `metadata` as in `content`."""
    card = "Carte 4970 1012 3456 7893"
    for extra in ({"metadata": {"note": card}}, {"messages": [{"role": "user", "content": card}]}):
        response, upstream = send(proxy, http, "chat.completions", {**BASES["chat.completions"], **extra})
        assert response.status_code == 403 and upstream == "[]"
        assert response.json()["error"]["code"] == "personal_data_blocked"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/audio/speech",
        "/v1/images/generations",
        "/v1/files",
        "/v1/batches",
        "/v1/assistants",
        "/v1/threads",
        "/v1/vector_stores",
        "/v1/fine_tuning/jobs",
        "/v1/moderations",
        "/v1/realtime/sessions",
        "/v1/uploads",
        f"/v1/{EMAIL}",
    ],
)
def test_other_openai_routes_are_not_offered(http: httpx.Client, path: str) -> None:
    response = http.post(path, json={"model": "demo", "input": CANARY})
    error = response.json()["error"]
    assert response.status_code == 404 and "ne propose pas" in error["message"]
    assert EMAIL not in error["message"] and error["type"] == "invalid_request_error"


def test_a_model_naming_no_served_model_is_neither_echoed_nor_recorded(
    proxy: Proxy, http: httpx.Client
) -> None:
    response, upstream = send(proxy, http, "chat.completions", {**BASES["chat.completions"], "model": EMAIL})
    assert response.status_code == 403 and EMAIL not in response.text and upstream == "[]"
    register = proxy.settings.register_path
    stored = b"".join(
        p.read_bytes() for p in (register, register.with_name(register.name + "-wal")) if p.exists()
    )
    assert EMAIL.encode() not in stored


def test_attached_documents_reach_the_model_redacted_and_images_are_refused(
    proxy: Proxy, http: httpx.Client
) -> None:
    """A PDF, a DOCX and an ODT (text layer) as `file` parts: the upstream gets their text, redacted,
    in a text part; the answer restores the values. A PNG is refused (403) under the default policy."""
    client = proxy.client()
    documents = [
        (samples.pdf_with_text(), "courrier.pdf", "application/pdf"),
        (samples.docx_with_text(), "dossier.docx", DOCX),
        (samples.odt_with_text(), "note.odt", "application/vnd.oasis.opendocument.text"),
    ]
    for data, filename, mime in documents:
        before = len(proxy.recorder.bodies)
        content = [{"type": "text", "text": "Résume ce document."}, samples.file_part(data, filename, mime)]
        answer = client.chat.completions.create(model="demo", messages=[{"role": "user", "content": content}])
        sent = proxy.recorder.bodies[before]["messages"][0]["content"][1]
        assert sent["type"] == "text" and filename in sent["text"] and "[PERSONNE_" in sent["text"]
        assert not any(value in json.dumps(sent, ensure_ascii=False) for value in samples.VALUES)
        assert samples.NAME in (answer.choices[0].message.content or "")
    image = [{"type": "text", "text": "Décris."}, samples.image_part(samples.plain_png())]
    response, upstream = send(
        proxy, http, "chat.completions", {"model": "demo", "messages": [{"role": "user", "content": image}]}
    )
    assert (
        response.status_code == 403
        and upstream == "[]"
        and "image_url" in response.json()["error"]["message"]
    )
    item = {"role": "user", "content": [samples.input_file_part(samples.docx_with_text(), "d.docx", DOCX)]}
    answer_r = client.responses.create(model="demo", input=[item])  # type: ignore[list-item]
    assert samples.NAME in answer_r.output_text
