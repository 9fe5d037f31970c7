"""Open WebUI 0.12 (PyPI, its own environment) in front of a real Garde-fou, driven in Chromium.

Two agents of different groups log in, chat with personal data and attach a text file. Checked: the
upstream saw none of the personal data, each agent's register rows carry their own identity and
service (never the front-end's), the background tasks are labelled, and the answers shown carry
the real values. Screenshots: $GARDEFOU_SCREENSHOTS, else .cache/openwebui/screenshots/.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from proxy.analysis.engine import Detector
from tests.e2e.recording_upstream import Recorder
from tests.frontend.kit import JWT_ENV, JWT_SECRET, frontend_site, register_rows
from tests.frontend.openwebui import REPO, Admin, OpenWebUI, environment, install, running_openwebui
from tests.web.appkit import Site

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("GARDEFOU_SCREENSHOTS", REPO / ".cache" / "openwebui" / "screenshots"))
GROUPS = {"Urbanisme": "urbanisme", "Ressources humaines": "rh"}


@dataclass(frozen=True)
class Agent:
    name: str
    email: str
    group: str
    message: str
    secrets: tuple[str, ...]  # personal data in what the agent sends: never upstream, shown back
    password: str = "Motdepasse-2026-agent!"


AMELIE = Agent(
    "Amélie Lefèvre",
    "amelie.lefevre@ville.fr",
    "Urbanisme",
    "Mme Josiane Berthelot, joignable au 06 12 34 56 78, demande un permis de construire.",
    ("Josiane Berthelot", "06 12 34 56 78"),
)
BRUNO = Agent(
    "Bruno Ménard",
    "bruno.menard@ville.fr",
    "Ressources humaines",
    "Préparer l'entretien annuel de M. Karim Haddad, joignable au 06 98 76 54 32.",
    ("Karim Haddad", "06 98 76 54 32"),
)
DOCUMENT = "Courrier de M. Yannick Kerbrat, téléphone 07 81 22 33 44, au sujet de la haie mitoyenne.\n"
DOCUMENT_SECRETS = ("Kerbrat", "07 81 22 33 44")


@dataclass
class Stack:
    site: Site
    openwebui: OpenWebUI
    recorder: Recorder


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector, recorder: Recorder
) -> Iterator[Stack]:
    try:
        command = install()
    except RuntimeError as error:  # never silently in CI
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Open WebUI ne peut pas être installé ici : {error}")
    tmp = tmp_path_factory.mktemp("openwebui")
    (tmp / "gardefou").mkdir()
    frontend = {"jwt_secret_env": JWT_ENV, "clients": ["127.0.0.1/32"], "groups": GROUPS}
    with pytest.MonkeyPatch.context() as env:
        env.setenv(JWT_ENV, JWT_SECRET)
        with frontend_site(tmp / "gardefou", upstream_url, detector, frontend) as (site, key):
            settings = environment(tmp / "data", site.url, key, JWT_SECRET)
            with running_openwebui(command, settings, tmp) as openwebui:
                print(f"\nOpen WebUI démarré en {openwebui.started_in_s:.0f} s")
                _accounts(openwebui.url)
                yield Stack(site, openwebui, recorder)


def _accounts(url: str) -> None:
    admin = Admin(url)
    try:
        for agent in (AMELIE, BRUNO):
            admin.group(agent.group, [admin.add_user(agent.name, agent.email, agent.password)])
    finally:
        admin.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, url: str, agent: Agent) -> None:
    page.goto(f"{url}/auth")
    page.locator('input[type="email"]').fill(agent.email)
    page.locator('input[type="password"]').fill(agent.password)
    page.locator('button[type="submit"]').click()
    expect(page.locator("#chat-input")).to_be_visible(timeout=60_000)
    page.keyboard.press("Escape")  # the "what's new" dialog shown to new accounts


def send(page: Page, text: str) -> None:
    page.locator("#chat-input").click()
    page.keyboard.type(text)
    page.locator("#send-message-button").click()


def last_answer(page: Page, expected: str) -> str:
    """The text of the last assistant message once it contains `expected` and stops changing (the
    stream has ended; background steps such as the search query show their own text before)."""
    answer = page.locator(".chat-assistant").last
    expect(answer).to_contain_text(expected, timeout=90_000)
    text, deadline = "", time.monotonic() + 60
    while time.monotonic() < deadline and text != (text := answer.inner_text()):
        page.wait_for_timeout(1500)
    return text


def chat_as(browser: Browser, stack: Stack, agent: Agent, tmp: Path) -> list[str]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, stack.openwebui.url, agent)
        shot(page, f"{agent.email}-1-connecte")
        send(page, agent.message)
        answers = [last_answer(page, agent.secrets[0])]
        shot(page, f"{agent.email}-2-reponse")
        if agent is AMELIE:
            answers.append(attach_and_ask(page, tmp))
            shot(page, f"{agent.email}-3-document")
        time.sleep(5)  # title, tags and follow-ups are asked for after the answer
        return answers
    except Exception:
        shot(page, f"{agent.email}-echec")
        raise
    finally:
        context.close()


def attach_and_ask(page: Page, tmp: Path) -> str:
    document = tmp / "courrier-kerbrat.txt"
    document.write_text(DOCUMENT, encoding="utf-8")
    page.locator('input[type="file"]').first.set_input_files(str(document))
    expect(page.get_by_text("courrier-kerbrat.txt").first).to_be_visible(timeout=60_000)
    page.wait_for_timeout(3000)  # upload and local text extraction
    send(page, "Réponds à ce courrier de M. Yannick Kerbrat en reprenant son téléphone.")
    return last_answer(page, "07 81 22 33 44")


def test_open_webui_agents_are_identified_protected_and_served(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    started = time.monotonic()
    answers = {agent.email: chat_as(browser, stack, agent, tmp_path) for agent in (AMELIE, BRUNO)}
    print(f"navigation et conversations : {time.monotonic() - started:.0f} s")

    for agent in (AMELIE, BRUNO):  # the answers shown carry the real values, no placeholder
        first = answers[agent.email][0]
        assert all(secret in first for secret in agent.secrets), first
        assert not re.search(r"\[[A-Z_]+_\d+\]", first), first
    assert "07 81 22 33 44" in answers[AMELIE.email][1]

    sent = stack.recorder.raw
    for secret in (*AMELIE.secrets, *BRUNO.secrets, *DOCUMENT_SECRETS):
        assert secret not in sent, secret  # the upstream never saw personal data
    assert "haie mitoyenne" in sent  # ... but it did receive the document

    rows = register_rows(stack.site)
    chats = [row for row in rows if row["endpoint"] == "chat.completions"]
    print("registre :", sorted((row["user"], row["service"], row["task"] or "-") for row in chats))
    assert {row["user"] for row in chats} == {AMELIE.email, BRUNO.email}  # never the front-end
    for agent, service in ((AMELIE, "urbanisme"), (BRUNO, "rh")):
        own = [row for row in chats if row["user"] == agent.email]
        assert own and all(row["service"] == service for row in own)
        assert sum(row["task"] is None for row in own) == len(answers[agent.email])
        assert {row["task"] for row in own} & {"title", "tags", "follow_ups"}, own
    assert all(row["decision"] == "forwarded" or row["task"] for row in chats), chats
    assert stack.openwebui.tried_outside() == []  # no model download, no update check, no telemetry
