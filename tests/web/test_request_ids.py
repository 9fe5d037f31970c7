"""Every response carries an X-Request-Id; an error carries the same id in its body (error.request_id),
and the register row of the request carries it too, so an agent's error can be matched to its row."""

from __future__ import annotations

import re
import sqlite3

import httpx

from proxy.roles import Role
from tests.web.appkit import Site, chat_body

REQUEST_ID = re.compile(r"^req_[0-9a-f]{32}$")


def request_id(response: httpx.Response) -> str:
    value = response.headers.get("x-request-id", "")
    assert REQUEST_ID.match(value), (response.status_code, response.headers)
    return value


def assert_error_with_id(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    value = request_id(response)
    error = response.json()["error"]
    assert error["request_id"] == value
    assert {"message", "type", "code", "param"} <= set(error)
    return value


def row_of(site: Site, value: str) -> dict[str, object]:
    with sqlite3.connect(site.settings.register_path) as db:
        db.row_factory = sqlite3.Row
        found = db.execute("SELECT * FROM entries WHERE request_id = ?", [value]).fetchone()
    assert found is not None, f"no row for {value}"
    return dict(found)


def test_every_error_carries_its_request_id(site: Site) -> None:
    ids = [
        assert_error_with_id(site.request("GET", "/n-existe-pas"), 404),
        assert_error_with_id(site.request("GET", "/v1/chat/completions", Role.AGENT), 405),
        assert_error_with_id(site.request("POST", "/v1/chat/completions", json=chat_body()), 401),
        assert_error_with_id(
            site.request("POST", "/v1/chat/completions", headers={"Authorization": "Bearer faux"}), 401
        ),
        assert_error_with_id(site.request("POST", "/v1/chat/completions", Role.AGENT, content=b"{"), 400),
        assert_error_with_id(
            site.request("POST", "/v1/chat/completions", Role.AGENT, content=b"x" * (5 * 1024 * 1024)), 413
        ),
    ]
    assert len(set(ids)) == len(ids)  # one id per request


def test_answers_and_refusals_share_the_id_with_their_row(site: Site) -> None:
    answered = site.request("POST", "/v1/chat/completions", Role.AGENT, json=chat_body())
    assert answered.status_code == 200
    assert row_of(site, request_id(answered))["status"] == 200
    refused = site.request(
        "POST", "/v1/chat/completions", Role.AGENT, json={**chat_body(), "model": "inconnu"}
    )
    value = assert_error_with_id(refused, refused.status_code)
    assert refused.status_code >= 400 and row_of(site, value)["status"] == refused.status_code
    invalid = site.request("POST", "/v1/chat/completions", Role.AGENT, content=b"[1, 2")
    assert row_of(site, assert_error_with_id(invalid, 400))["error_code"] == "invalid_request"


def test_pages_and_health_carry_an_id_too(site: Site) -> None:
    request_id(site.request("GET", "/healthz"))
    request_id(site.request("GET", "/v1/models", Role.AGENT))
