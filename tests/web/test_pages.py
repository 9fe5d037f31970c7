"""The admin pages: a French static shell with a strict content security policy, no data in it."""

from __future__ import annotations

import re

from proxy.roles import Role
from tests.web.appkit import Site


def test_the_shell_is_french_and_locked_down(site: Site) -> None:
    page = site.request("GET", "/admin")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and "Registre des usages" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in page.text  # no inline script: the CSP would block it anyway
    assert page.headers["x-content-type-options"] == "nosniff"


def test_the_shell_holds_no_data_whoever_asks(site: Site) -> None:
    anonymous = site.request("GET", "/admin").text
    for role in Role:
        assert site.request("GET", "/admin", role).text == anonymous
    assert not re.search(r"gf_[0-9a-f]{12}_", anonymous)


def test_the_script_renders_data_as_text_only(site: Site) -> None:
    script = site.request("GET", "/admin/static/admin.js").text
    assert "textContent" in script and "innerHTML" not in script and "eval(" not in script
    assert "sessionStorage" in script and "localStorage" not in script


def test_only_listed_static_files_are_served(site: Site) -> None:
    for name in ("admin.html", "..%2Fpages.py", "%2e%2e%2fguards.py", "nope.js", "admin.js%00"):
        assert site.request("GET", f"/admin/static/{name}").status_code == 404
