"""The admin pages in a real browser (Debian's Chromium driven by Playwright): each role sees its
sections, and the buttons do what they say, through the guarded JSON API."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from proxy.roles import Role
from tests.web.appkit import Site, chat_body

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="apt-get install chromium")


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    broken: list[str] = []
    opened.on("response", lambda r: broken.append(r.url) if r.status == 404 or r.status >= 500 else None)
    yield opened
    context.close()
    assert not [e for e in errors if not e.startswith("Failed to load resource")], (
        errors
    )  # no script/CSP error
    assert [url for url in broken if not url.endswith("/favicon.ico")] == []


def login(page: Page, site: Site, role: Role) -> None:
    page.goto(f"{site.url}/admin")
    page.fill("#cle", site.keys[role])
    page.click("#form-cle button[type=submit]")
    expect(page.locator("#identite")).to_contain_text(f"compte.{role}")


def visible(page: Page, selector: str) -> bool:
    return bool(page.locator(selector).is_visible())


def test_an_admin_creates_and_revokes_an_agent_key(page: Page, site: Site) -> None:
    login(page, site, Role.ADMIN)
    assert visible(page, "#cles") and not visible(page, "#registre") and not visible(page, "#politique")
    page.fill("#nc-user", "agent.navigateur")
    page.select_option("#nc-service", "urbanisme")
    page.click("#form-nouvelle-cle button[type=submit]")
    created = page.locator("#nouvelle-cle")
    expect(created).to_contain_text("gf_")
    key = page.locator("#cle-secrete").inner_text()
    assert site.request("GET", "/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    row = page.locator("#liste-cles tr", has_text="agent.navigateur")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Révoquer").click()
    expect(row).to_contain_text("révoquée")
    assert site.request("GET", "/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_the_rssi_sees_and_verifies_the_register(page: Page, site: Site) -> None:
    site.request("POST", "/v1/chat/completions", Role.AGENT, json=chat_body())
    login(page, site, Role.RSSI)
    assert visible(page, "#registre") and not visible(page, "#cles")
    expect(page.locator("#lignes tbody tr").first).to_contain_text("compte.agent")
    page.click("#verifier")
    expect(page.locator("#verification")).to_contain_text("Registre intègre")
    expect(page.locator("#stats tbody tr").first).to_contain_text("urbanisme")
    assert not visible(page, "#valider")  # validating policies is the DPO's


def test_the_dpo_validates_and_tests_the_policy(page: Page, site: Site) -> None:
    login(page, site, Role.DPO)
    assert visible(page, "#politique") and not visible(page, "#registre") and not visible(page, "#cles")
    expect(page.locator("#empreinte")).to_have_text(
        site.request("GET", "/admin/api/policy", Role.DPO).json()["sha256"]
    )
    page.click("#valider")
    expect(page.locator("#problemes")).to_contain_text("Politique valide")
    page.select_option("#test-service", "urbanisme")
    page.fill("#test-modele", "demo")
    page.fill("#test-texte", "Rappeler Marie Dubois au 06 12 34 56 78.")
    page.click("#form-test button[type=submit]")
    expect(page.locator("#resultat-test")).to_contain_text("Verdict")


def test_an_agent_key_opens_nothing(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/admin")
    page.fill("#cle", site.keys[Role.AGENT])
    page.click("#form-cle button[type=submit]")
    expect(page.locator("#identite")).to_contain_text("rôles : agent")
    for section in ("#registre", "#statistiques", "#politique", "#cles"):
        assert not visible(page, section)
