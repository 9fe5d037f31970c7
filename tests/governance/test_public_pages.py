"""/transparence (public) and /admin/report (RSSI, DPO) on a real server, seen in Chromium: nothing per
agent, no account id, small counts suppressed."""

from __future__ import annotations

import html
import time

import httpx
import pytest
from playwright.sync_api import Browser

from proxy.governance.transparency import shown
from tests.governance.conftest import CHARTER_V1, SHOTS, Governed


@pytest.fixture(scope="module")
def used(governed: Governed) -> Governed:
    """A few agent requests, so that the month has figures (some below the suppression threshold)."""
    for service in ("urbanisme", "communication", "rh"):
        assert governed.acknowledge(service).status_code == 200
    for _ in range(3):
        governed.client("urbanisme").chat.completions.create(
            model="demo",
            messages=[{"role": "user", "content": "Appelle Mme Camille Durand au 06 12 34 56 78."}],
        )
    return governed


def test_small_counts_are_suppressed_but_zero_is_shown() -> None:
    assert [shown(n, 5) for n in (0, 1, 4, 5, 1234)] == ["0", "< 5", "< 5", "5", "1\u202f234"]


def test_the_transparency_page_is_public_and_shows_nothing_per_agent(
    used: Governed, browser: Browser
) -> None:
    response = httpx.get(f"{used.url}/transparence", timeout=60)
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert "Commune d'Essai" in page and "demo — hébergement local (sur site)" in page
    assert "classer des candidats" in page and "évalué pour : rh" in page
    month = page.split("<tbody>")[-1]  # the month's line: 3 requests, none refused, 6 data removed
    assert '<td class="num">< 5</td><td class="num">0</td><td class="num">6</td>' in month
    assert "agent.canari" not in page and not any(key in page for key in used.keys.values())
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab = browser.new_page(viewport={"width": 1100, "height": 900})
    tab.goto(f"{used.url}/transparence")
    assert tab.locator("h1").inner_text().startswith("L'usage de l'intelligence artificielle")
    tab.screenshot(path=str(SHOTS / "transparence.png"), full_page=True)
    tab.close()


def test_the_admin_report_is_for_the_rssi_and_names_no_agent(used: Governed, browser: Browser) -> None:
    params = {"service": "urbanisme", "from": "2026-01-01", "to": "2026-12-31"}
    refused = httpx.get(f"{used.url}/admin/report", params=params, headers=_bearer(used, "urbanisme"))
    assert refused.status_code == 403
    headers = _bearer(used, "rssi")
    report = httpx.get(f"{used.url}/admin/report", params=params, headers=headers, timeout=120)
    assert report.status_code == 200 and "Rapport de pilotage" in report.text
    assert "agent.canari" not in report.text
    pdf = httpx.get(
        f"{used.url}/admin/report", params={**params, "format": "pdf"}, headers=headers, timeout=120
    )
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    (SHOTS / "rapport-urbanisme.html").write_text(report.text, encoding="utf-8")
    tab = browser.new_page(viewport={"width": 1100, "height": 900})
    tab.goto((SHOTS / "rapport-urbanisme.html").as_uri())
    tab.screenshot(path=str(SHOTS / "rapport-urbanisme-html.png"), full_page=True)
    tab.close()


def _bearer(governed: Governed, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {governed.keys[name]}"}


def test_the_transparency_page_is_not_published_unless_the_policy_says_so(used: Governed) -> None:
    used.write_policy("2026-01", CHARTER_V1, published=False)
    time.sleep(1.1)  # the policy file is looked at once a second
    response = httpx.get(f"{used.url}/transparence", timeout=60)
    assert response.status_code == 404 and "pas publiée" in response.json()["error"]["message"]
