"""A front-end speaks for the agents it names, in verified form only; nobody else can name anyone.

Real Garde-fou (uvicorn on loopback), real recording upstream; the tokens are minted exactly as
Open WebUI 0.12 mints them (tests/frontend/kit.py)."""

from __future__ import annotations

import base64
import json
import re

from proxy.roles import Role
from tests.e2e.recording_upstream import Recorder
from tests.frontend.kit import mint, plain, register_rows
from tests.web.appkit import Site, chat_body

Running = tuple[Site, str]
JWT = "X-OpenWebUI-User-Jwt"
GROUPS = "X-OpenWebUI-User-Groups"


def chat(site: Site, key: str | None, headers: dict[str, str], content: str | None = None) -> int:
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    body = chat_body(content) if content else chat_body()
    response = site.request("POST", "/v1/chat/completions", headers=auth | headers, json=body)
    return response.status_code


def last_row(site: Site) -> dict[str, object]:
    return register_rows(site)[-1]


def test_a_signed_token_names_the_agent_and_groups_their_service(signed: Running) -> None:
    site, key = signed
    assert chat(site, key, {JWT: mint("marie.dubois@ville.fr"), GROUPS: "Urbanisme"}) == 200
    row = last_row(site)
    assert row["user"] == "marie.dubois@ville.fr" and row["service"] == "urbanisme"
    assert chat(site, key, {JWT: mint("paul.martin@ville.fr"), GROUPS: "Ressources%20humaines"}) == 200
    row = last_row(site)
    assert row["user"] == "paul.martin@ville.fr" and row["service"] == "rh"
    assert "openwebui" not in json.dumps(row)


def test_bad_tokens_are_refused(signed: Running) -> None:
    site, key = signed
    groups = {GROUPS: "Urbanisme"}
    forged = [
        mint("marie.dubois@ville.fr", lifetime=-120),  # expired beyond the 30 s of clock skew
        mint("marie.dubois@ville.fr", secret="un-autre-secret-de-plus-de-32-caracteres-ici"),
        mint("marie.dubois@ville.fr", iss="quelqu-un-d-autre"),
        mint("marie.dubois@ville.fr", algorithm="HS512"),  # right secret, algorithm not pinned one
        _unsigned("marie.dubois@ville.fr"),  # alg "none"
        "pas-un-jeton",
    ]
    for token in forged:
        assert chat(site, key, {JWT: token, **groups}) == 401
    assert chat(site, key, {JWT: mint("marie.dubois@ville.fr", lifetime=-10), **groups}) == 200  # skew


def test_identity_without_the_frontend_key_is_refused(signed: Running) -> None:
    site, _ = signed
    agent_key = site.keys[Role.AGENT]
    token = {JWT: mint("marie.dubois@ville.fr"), GROUPS: "Urbanisme"}
    for key in (None, agent_key, "gf_000000000000_" + "x" * 43):
        assert chat(site, key, token) == 401
        assert chat(site, key, plain("marie.dubois@ville.fr", groups="Urbanisme")) == 401
    message = site.request(
        "POST", "/v1/chat/completions", Role.AGENT, headers=plain("a@b.fr"), json=chat_body()
    ).json()["error"]["message"]
    assert "frontal" in message


def test_a_signed_frontend_does_not_take_plain_headers(signed: Running) -> None:
    site, key = signed
    assert chat(site, key, plain("marie.dubois@ville.fr", groups="Urbanisme")) == 401


def test_the_frontend_alone_is_nobody(signed: Running) -> None:
    site, key = signed
    assert chat(site, key, {}) == 403  # a front-end key does not call models in its own name


def test_an_agent_without_a_known_group_is_refused(signed: Running) -> None:
    site, key = signed
    assert chat(site, key, {JWT: mint("marie.dubois@ville.fr"), GROUPS: "Cantine"}) == 403


def test_each_agent_has_their_own_limits_and_pseudonyms(signed: Running, recorder: Recorder) -> None:
    site, key = signed
    text = "Écrire à Mme Josiane Berthelot au sujet du dossier."
    for email in ("limite.a@ville.fr", "limite.b@ville.fr"):
        statuses = [chat(site, key, {JWT: mint(email), GROUPS: "Urbanisme"}, text) for _ in range(4)]
        assert statuses == [200, 200, 200, 429], email  # 3 per minute each, not 3 for the front-end
    sent = [json.dumps(body, ensure_ascii=False) for body in recorder.bodies[-6:]]
    assert not any("Berthelot" in body for body in sent)
    placeholders = {tuple(re.findall(r"\[PERSONNE_\d+\]", body)) for body in sent}
    assert len(placeholders) == 2  # same marker for one agent's turns, another agent's differ


def test_plain_headers_from_the_frontend_address(plain_site: Running) -> None:
    site, key = plain_site
    headers = plain("jean.dupont@ville.fr", "Jean Dupont-Lefèvre", groups="Ressources humaines")
    assert chat(site, key, headers) == 200
    row = last_row(site)
    assert row["user"] == "jean.dupont@ville.fr" and row["service"] == "rh"
    assert (
        chat(
            site,
            key,
            plain("pas un identifiant", groups="Urbanisme")
            | {"X-OpenWebUI-User-Email": "pas un identifiant"},
        )
        == 401
    )


def test_plain_headers_from_elsewhere_are_refused(elsewhere: Running) -> None:
    site, key = elsewhere
    for spoof in ({}, {"X-Forwarded-For": "10.0.0.7"}, {"X-Real-IP": "10.0.0.7"}):
        assert chat(site, key, plain("jean.dupont@ville.fr") | spoof) == 401


def test_the_body_user_field_as_a_last_resort_when_configured(body_site: Running, signed: Running) -> None:
    site, key = body_site
    bearer = {"Authorization": f"Bearer {key}"}

    def status(body: dict[str, object], headers: dict[str, str] = bearer, on: Site = site) -> int:
        return on.request("POST", "/v1/chat/completions", headers=headers, json=body).status_code

    assert status(chat_body() | {"user": "claire.morin@ville.fr"}) == 200
    row = last_row(site)
    assert row["user"] == "claire.morin@ville.fr" and row["service"] == "urbanisme"
    assert status(chat_body()) == 403  # names nobody: the front-end itself calls no model
    assert status(chat_body() | {"user": "pas un identifiant"}) == 401
    agent = {"Authorization": f"Bearer {site.keys[Role.AGENT]}"}
    assert status(chat_body() | {"user": "claire.morin@ville.fr"}, agent) == 200
    assert last_row(site)["user"] != "claire.morin@ville.fr"  # an agent key names only itself
    other, other_key = signed  # not configured there: the field names nobody
    assert (
        status(
            chat_body() | {"user": "claire.morin@ville.fr"}, {"Authorization": f"Bearer {other_key}"}, other
        )
        == 403
    )


def test_librechat_placeholders_name_the_agent_by_id(librechat: Running) -> None:
    site, key = librechat
    headers = {  # what LibreChat puts for {{LIBRECHAT_USER_ID}}, {{LIBRECHAT_USER_EMAIL}}...
        "X-LibreChat-User-Id": "6650f1c2a9e4b2d1c0ffee01",
        "X-LibreChat-User-Email": "claire.morin@ville.fr",
        "X-LibreChat-User-Name": "Claire Morin",
        "X-LibreChat-Conversation-Id": "c0nv-1",
    }
    assert chat(site, key, headers) == 200
    row = last_row(site)
    assert row["user"] == "6650f1c2a9e4b2d1c0ffee01" and row["service"] == "urbanisme"
    assert chat(site, site.keys[Role.AGENT], headers) == 401  # not from an agent key


def _unsigned(email: str) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"sub": "x", "email": email, "iss": "open-webui", "exp": 4102444800}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
