"""An agent named by a front-end acknowledges the charter through the signed link of their chat.

Real Garde-fou (uvicorn on loopback) trusting Open WebUI's signed token, real recording upstream,
Debian's Chromium for the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import yaml
from playwright.sync_api import Browser, expect

from proxy.analysis.engine import Detector
from proxy.governance.charter_link import LINK_PURPOSE, CharterLinks
from proxy.transform.secret import PseudonymSecret
from tests.frontend.kit import GROUPS, JWT_ENV, JWT_SECRET, frontend_site, mint
from tests.web.appkit import REPO, Site, chat_body

Running = tuple[Site, str]
JWT = "X-OpenWebUI-User-Jwt"
GROUPS_HEADER = "X-OpenWebUI-User-Groups"
AGENT = "marie.dubois@ville.fr"
_LINK = re.compile(r"(https?://\S+/charte)\?jeton=([A-Za-z0-9_-]+)")


@pytest.fixture(scope="module")
def chartered(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("charter-link")
    policy = yaml.safe_load((REPO / "policies" / "default.yaml").read_text(encoding="utf-8"))
    policy.setdefault("governance", {})["charter"] = {"file": "charte.md", "version": "2026-02"}
    (tmp / "charte.md").write_text("# Charte\n\nPas de données nominatives.\n", encoding="utf-8")
    (tmp / "politique.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    frontend = {"jwt_secret_env": JWT_ENV, "groups": GROUPS}
    with pytest.MonkeyPatch.context() as env:
        env.setenv(JWT_ENV, JWT_SECRET)
        with frontend_site(tmp, upstream_url, detector, frontend) as running:
            yield running


def chat(site: Site, key: str, email: str) -> tuple[int, dict[str, str]]:
    headers = {"Authorization": f"Bearer {key}", JWT: mint(email), GROUPS_HEADER: "Urbanisme"}
    response = site.request("POST", "/v1/chat/completions", headers=headers, json=chat_body())
    return response.status_code, response.json().get("error", {})


def acknowledge(site: Site, token: str) -> tuple[int, dict[str, str]]:
    page = site.request("GET", "/charte").text
    version = page.split('data-version="', 1)[1].split('"', 1)[0]
    sha256 = page.split('data-sha256="', 1)[1].split('"', 1)[0]
    body = {"version": version, "sha256": sha256, "jeton": token}
    response = site.request("POST", "/charte/acceptation-lien", json=body)
    return response.status_code, response.json()


def links(site: Site, lifetime_s: int = 1800) -> CharterLinks:
    """What the server mints with: its secret file's key for charter links."""
    secret = PseudonymSecret.load_or_create(site.settings.pseudonym_secret_path)
    return CharterLinks(secret.derived_key(LINK_PURPOSE), lifetime_s)


def test_the_refusal_links_to_the_charter_with_a_token_that_acknowledges(chartered: Running) -> None:
    site, key = chartered
    status, error = chat(site, key, AGENT)
    assert status == 403 and error["code"] == "charter_not_acknowledged"
    link = _LINK.search(error["message"])
    assert link is not None and link.group(1) == f"{site.url}/charte"
    token = link.group(2)
    assert "marie" not in token.lower() and "urbanisme" not in token  # opaque: no personal data
    assert site.request("GET", f"/charte?jeton={token}").status_code == 200
    assert acknowledge(site, token)[0] == 200
    assert chat(site, key, AGENT)[0] == 200
    assert chat(site, key, "paul.martin@ville.fr")[0] == 403  # the link was Marie's only


def test_altered_expired_or_foreign_tokens_acknowledge_nothing(chartered: Running) -> None:
    site, key = chartered
    _, error = chat(site, key, "claire.petit@ville.fr")
    link = _LINK.search(error["message"])
    assert link is not None
    token = link.group(2)
    altered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    caller = links(site).read(token)
    assert caller.user == "claire.petit@ville.fr" and caller.service == "urbanisme"
    foreign = CharterLinks(b"k" * 32).mint(caller)
    expired = links(site, lifetime_s=-5).mint(caller)
    for bad in (altered, foreign, expired, "x" * 40):
        status, answer = acknowledge(site, bad)
        assert status == 403, bad
        assert answer["error"]["code"] == "charter_link_invalid"
    assert "expiré" in acknowledge(site, expired)[1]["error"]["message"]
    assert chat(site, key, "claire.petit@ville.fr")[0] == 403  # still not acknowledged


def test_the_link_acknowledges_in_the_browser_without_a_key(chartered: Running, browser: Browser) -> None:
    site, key = chartered
    _, error = chat(site, key, "luc.bernard@ville.fr")
    link = _LINK.search(error["message"])
    assert link is not None
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda problem: errors.append(str(problem)))
    page.goto(link.group(0))
    expect(page.locator("#link-note")).to_be_visible()
    expect(page.locator("#api-key")).to_be_hidden()
    assert "jeton" not in page.url  # taken out of the address bar (history, bookmarks, screen)
    page.check("#read")
    page.click("#ack-button")
    expect(page.locator("#ack-status")).to_contain_text("est enregistrée")
    page.close()
    assert errors == []
    assert chat(site, key, "luc.bernard@ville.fr")[0] == 200
