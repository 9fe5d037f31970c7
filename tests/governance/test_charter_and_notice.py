"""End to end (real uvicorn, official openai client, recording upstream, Debian's Chromium): the
charter gate, its acknowledgement in a browser, a new version, the AI notice and the human-control
reminder in JSON and streamed answers."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from playwright.sync_api import Browser, expect

from tests.governance.conftest import CHARTER_V1, SHOTS, Governed

NOTICE = "Texte rédigé avec l'aide d'une IA (modèle demo) — à relire et à valider avant diffusion."
ASK = [{"role": "user", "content": "Résume la réunion de quartier de mardi."}]


def ask(governed: Governed, service: str, messages: list[dict[str, str]] = ASK) -> str:
    answer = governed.client(service).chat.completions.create(model="demo", messages=messages)  # type: ignore[arg-type]
    return answer.choices[0].message.content or ""


def ask_streamed(governed: Governed, service: str, messages: list[dict[str, str]] = ASK) -> str:
    stream = governed.client(service).chat.completions.create(model="demo", messages=messages, stream=True)  # type: ignore[arg-type]
    return "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)


def test_a_first_request_without_acknowledgement_is_refused_with_the_link(governed: Governed) -> None:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        ask(governed, "urbanisme")
    error = refused.value.body
    assert isinstance(error, dict)
    assert error["code"] == "charter_not_acknowledged"
    assert f"{governed.url}/charte" in error["message"] and "version 2026-01" in error["message"]


def test_acknowledging_in_the_browser_lets_the_next_request_pass(
    governed: Governed, browser: Browser
) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{governed.url}/charte")
    expect(page.locator("article.charter strong")).to_have_text("Aucune donnée nominative")
    page.fill("#api-key", governed.keys["urbanisme"])
    page.check("#read")
    page.click("#ack-button")
    expect(page.locator("#ack-status")).to_contain_text("acceptation de la charte (version 2026-01)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "charte.png"), full_page=True)
    page.close()
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    assert ask(governed, "urbanisme") == "Rien à signaler."  # no notice for this service


def test_an_agent_signed_in_by_sso_acknowledges_without_a_key(governed: Governed, browser: Browser) -> None:
    sso = {"X-Forwarded-User": "agent.canari.sso", "X-Forwarded-Groups": "agents-rh"}
    chat = {"model": "demo", "messages": ASK}
    refused = httpx.post(f"{governed.url}/v1/chat/completions", json=chat, headers=sso, timeout=60)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "charter_not_acknowledged"
    context = browser.new_context(extra_http_headers=sso)  # what the reverse proxy adds
    page = context.new_page()
    page.goto(f"{governed.url}/charte")
    page.check("#read")
    page.click("#ack-button")
    expect(page.locator("#ack-status")).to_contain_text("est enregistrée")
    context.close()
    passed = httpx.post(f"{governed.url}/v1/chat/completions", json=chat, headers=sso, timeout=60)
    assert passed.status_code == 200, passed.text


def test_a_wrong_key_cannot_acknowledge(governed: Governed) -> None:
    response = httpx.post(
        f"{governed.url}/charte/acceptation",
        json={"version": "2026-01", "sha256": "0" * 64},
        headers={"Authorization": "Bearer gf_faux"},
    )
    assert response.status_code == 401


def test_the_notice_ends_json_and_streamed_answers_of_the_configured_service(governed: Governed) -> None:
    assert governed.acknowledge("communication").status_code == 200
    response = governed.client("communication").chat.completions.with_raw_response.create(
        model="demo",
        messages=ASK,  # type: ignore[arg-type]
    )
    assert response.headers["X-Gardefou-AI-Notice"] == "ai-generated; model=demo"
    assert (response.parse().choices[0].message.content or "").endswith(NOTICE)
    assert governed.last_row()["notice"] == 1
    assert ask_streamed(governed, "communication") == "Rien à signaler.\n\n---\n" + NOTICE
    assert ask_streamed(governed, "urbanisme") == "Rien à signaler."
    assert governed.last_row()["notice"] is None


def test_a_publication_text_gets_the_notice_in_any_service(governed: Governed) -> None:
    asked = [{"role": "user", "content": "Rédige un communiqué sur la fête du village."}]
    assert ask(governed, "urbanisme", asked).endswith(NOTICE)
    assert "use.publication.notice" in governed.last_row()["rule_ids"]


def test_the_agent_sees_the_human_control_reminder_of_an_assessed_area(governed: Governed) -> None:
    assert governed.acknowledge("rh").status_code == 200
    asked = [{"role": "user", "content": "Aide-moi à classer les candidats au poste d'agent d'accueil."}]
    for answer in (ask(governed, "rh", asked), ask_streamed(governed, "rh", asked)):
        assert "Contrôle humain obligatoire" in answer
        assert "emploi, recrutement et gestion des agents" in answer
    assert "Contrôle humain" not in ask(governed, "rh")


def test_a_new_charter_version_asks_again(governed: Governed) -> None:
    governed.write_policy("2026-02", CHARTER_V1 + "\n2. Relire chaque texte avant diffusion.\n")
    time.sleep(1.1)  # the policy file is looked at once a second
    with pytest.raises(openai.PermissionDeniedError, match="version 2026-02"):
        ask(governed, "urbanisme")
    assert governed.acknowledge("urbanisme").status_code == 200
    assert ask(governed, "urbanisme") == "Rien à signaler."
