"""The console in a real browser (Debian's Chromium, 1280 px wide), one test per role, with
screenshots in build/console-screenshots/: the RSSI filters the register and exports exactly the
filtered rows, charts render with data, the DPO installs a policy that changes a decision and the
proxy applies it, an admin cannot revoke an RSSI key; axe-core finds no serious violation."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from proxy.roles import Role
from tests.web.appkit import REPO, Site, chat_body
from tests.web.test_console import expected_seqs

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="apt-get install chromium")

SHOTS = REPO / "build" / "console-screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def page(browser: Browser, console_site: Site) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="fr-FR"
    )
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
    )
    yield opened
    context.close()
    assert errors == []  # no script or CSP error


def login(page: Page, site: Site, role: Role) -> None:
    page.goto(f"{site.url}/admin")
    page.evaluate("sessionStorage.clear()")  # another role may be connected in this tab
    page.reload()
    page.fill("#cle", site.keys[role])
    page.keyboard.press("Enter")  # the form is usable from the keyboard
    expect(page.locator("#identite")).to_contain_text(f"compte.{role}")
    expect(page.locator("body[data-ready]")).to_have_count(1)


def shoot(page: Page, name: str, section: str | None = None) -> Path:
    """The whole page, or one section of it, in build/console-screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    if section:
        page.locator(section).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def chart_total(page: Page, canvas: str) -> float:
    return float(
        page.evaluate(
            f"""() => Chart.getChart(document.getElementById('{canvas}')).data.datasets
                  .flatMap((d) => d.data).reduce((a, b) => a + b, 0)"""
        )
    )


def test_rssi_filters_exports_and_sees_charts(page: Page, console_site: Site) -> None:
    site = console_site
    for _ in range(2):  # the first append seals the generated rows, the second stays unsealed
        site.request("POST", "/v1/chat/completions", Role.AGENT, json=chat_body())
    login(page, site, Role.RSSI)
    expect(page.locator("#header-header, header")).to_contain_text("Commune de Saint-Exemple")
    expect(page.locator("#nom-politique")).to_have_text("Commune — politique par défaut")
    expected = expected_seqs(site, "rh", "2026-07")
    page.select_option("#f-service", "rh")
    page.select_option("#f-mois", "2026-07")
    page.click("#filtres button[type=submit]")
    expect(page.locator("#compte-lignes")).to_contain_text(f"{len(expected)} ligne(s)")
    rows = page.locator("#lignes tbody tr")
    expect(rows.first).to_contain_text("rh")
    assert rows.count() == min(25, len(expected))
    rows.first.get_by_role("button").focus()  # the detail opens and closes from the keyboard
    page.keyboard.press("Enter")
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-contenu")).to_contain_text("Version de la politique")
    assert axe_violations(page) == []  # with the dialog open
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    assert (
        page.evaluate("document.activeElement.textContent") == rows.first.get_by_role("button").inner_text()
    )
    with page.expect_download() as download:
        page.click("#exporter-csv")
    content = Path(download.value.path()).read_bytes()
    assert content.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [int(r["numero"]) for r in table] == expected
    expect(page.locator("#verification")).to_contain_text("pas encore scellée")
    expect(page.locator("#verification")).not_to_contain_text("intègre")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # fits 1280 px
    shoot(page, "rssi-registre", "#registre")
    page.locator("#statistiques").scroll_into_view_if_needed()
    assert chart_total(page, "graph-usages") >= 240 and chart_total(page, "graph-donnees") > 0
    assert chart_total(page, "graph-refus") > 0
    shoot(page, "rssi-statistiques", "#statistiques")
    assert axe_violations(page) == []


def test_axe_on_the_pages_of_each_role(page: Page, console_site: Site) -> None:
    found = {}
    for role in (Role.DPO, Role.ADMIN):
        login(page, console_site, role)
        found[role] = axe_violations(page)
    assert found == {Role.DPO: [], Role.ADMIN: []}, json.dumps(found, ensure_ascii=False)


def test_dpo_reviews_installs_a_policy_the_proxy_applies_then_rolls_back(
    page: Page, console_site: Site
) -> None:
    site = console_site
    email = chat_body("Écris à jean.martin@example.fr pour confirmer le rendez-vous.")
    assert site.request("POST", "/v1/chat/completions", Role.AGENT, json=email).status_code == 200
    login(page, site, Role.DPO)
    expect(page.locator("#registre")).to_be_hidden()
    before = page.locator("#empreinte").inner_text()
    text = page.input_value("#yaml")
    broken = text.replace('name: "Commune', 'name: ["Commune', 1)  # a YAML syntax error, from a file
    page.set_input_files(
        "#fichier-politique", files=[{"name": "p.yaml", "mimeType": "text/yaml", "buffer": broken.encode()}]
    )
    expect(page.locator("#yaml")).to_have_value(broken)
    page.click("#valider")
    expect(page.locator("#problemes li")).to_have_count(1)  # shown once, not cut into fragments
    expect(page.locator("#problemes")).to_contain_text("ligne 11, colonne 1 : YAML invalide")
    page.fill("#yaml", text.replace("threshold: 0.5", "threshold: 7", 1))
    page.click("#valider")
    expect(page.locator("#problemes")).to_contain_text(
        "ligne 15, clé « defaults.threshold » : doit être inférieur"
    )
    page.fill("#yaml", text.replace("    SIRET: allow\n", "    SIRET: allow\n    EMAIL: block\n", 1))
    page.click("#comparer")
    changes = page.locator("#decisions-changees")
    expect(changes).to_contain_text("Adresse électronique")
    expect(changes).to_contain_text("adresse électronique : bloque la requête")
    expect(page.locator("#changements .diff .ajout")).to_have_text("+    EMAIL: block\n")
    page.select_option("#test-service", "urbanisme")
    page.fill("#test-texte", "Rappeler Marie Dubois au 06 12 34 56 78.")
    page.click("#form-test button[type=submit]")
    expect(page.locator("#resultat-test")).to_contain_text("Verdict : requête transmise")
    expect(page.locator("#resultat-test table")).to_contain_text("nom de personne")
    expect(page.locator("#resultat-test pre")).to_contain_text("[PERSONNE_")
    shoot(page, "dpo-politique-avant-installation", "#politique")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#installer")
    expect(page.locator("#problemes")).to_contain_text("Politique installée")
    expect(page.locator("#empreinte")).not_to_have_text(before)
    refused = site.request("POST", "/v1/chat/completions", Role.AGENT, json=email)  # the proxy applies it
    assert refused.status_code == 403 and "adresse électronique" in refused.json()["error"]["message"]
    row = page.locator("#versions tbody tr").first
    expect(row).to_contain_text("en vigueur")
    shoot(page, "dpo-politique-installee", "#politique")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button").click()
    expect(page.locator("#empreinte")).to_have_text(before)
    assert site.request("POST", "/v1/chat/completions", Role.AGENT, json=email).status_code == 200
    assert axe_violations(page) == []


def test_admin_creates_agent_keys_for_policy_services_and_cannot_revoke_an_rssi_key(
    page: Page, console_site: Site
) -> None:
    site = console_site
    login(page, site, Role.ADMIN)
    expect(page.locator("#registre")).to_be_hidden()
    rssi = page.locator("#liste-cles tbody tr", has_text="compte.rssi")
    expect(rssi).to_contain_text("en ligne de commande")
    assert rssi.get_by_role("button").count() == 0
    options = page.locator("#nc-service option").all_inner_texts()
    assert any(o.startswith("urbanisme") for o in options) and not any("piscine" in o for o in options)
    page.fill("#nc-user", "agent.console")
    page.select_option("#nc-service", "etat-civil")
    page.click("#form-nouvelle-cle button[type=submit]")
    expect(page.locator("#cle-secrete")).to_contain_text("gf_")
    key = page.locator("#cle-secrete").inner_text()
    assert site.request("GET", "/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page.get_by_role("button", name="Copier la clé").click()
    expect(page.locator("#nouvelle-cle")).to_contain_text("Copiée.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    row = page.locator("#liste-cles tbody tr", has_text="agent.console")
    expect(row).to_contain_text("active")
    shoot(page, "admin-cles")
    page.fill("#nc-user", "Nom Avec Espaces")
    page.click("#form-nouvelle-cle button[type=submit]")
    expect(page.locator("#erreur")).to_contain_text("sans espace")
    expect(page.locator("#cle-secrete")).to_have_count(0)  # the previous key is no longer shown
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Révoquer").click()
    expect(row).to_contain_text("révoquée")
    assert site.request("GET", "/admin/api/whoami", Role.RSSI).status_code == 200
