"""A real Garde-fou with front-ends declared, and Open WebUI's own way of naming an agent."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any
from urllib.parse import quote

import jwt

from proxy.analysis.engine import Detector
from proxy.keystore import KeyStore
from proxy.roles import Role
from tests.web.appkit import Site, load, running_site

JWT_SECRET = "secret-du-jeton-open-webui-2026-pour-les-tests"
JWT_ENV = "GARDEFOU_TEST_OPENWEBUI_JWT"
GROUPS = {"Urbanisme": "urbanisme", "Ressources humaines": "rh"}


def mint(
    email: str, *, secret: str = JWT_SECRET, lifetime: int = 300, algorithm: str = "HS256", **claims: Any
) -> str:
    """The token Open WebUI 0.12 sends (open_webui/utils/headers.py, _mint_forward_user_jwt)."""
    now = int(time.time())
    payload = {"sub": f"id-{email}", "email": email, "name": "Agent", "role": "user", "iss": "open-webui"}
    payload |= {"iat": now, "exp": now + lifetime, **claims}
    return jwt.encode(payload, secret, algorithm=algorithm)


def plain(email: str, name: str = "Agent Municipal", groups: str = "") -> dict[str, str]:
    """Open WebUI's unsigned identity headers (the name URL-encoded, as it sends it)."""
    headers = {
        "X-OpenWebUI-User-Name": quote(name, safe=" "),
        "X-OpenWebUI-User-Id": f"id-{email}",
        "X-OpenWebUI-User-Email": email,
        "X-OpenWebUI-User-Role": "user",
    }
    return headers | ({"X-OpenWebUI-User-Groups": groups} if groups else {})


@contextmanager
def frontend_site(
    tmp: Any, upstream_url: str, detector: Detector, frontend: dict[str, Any], **sections: Any
) -> Iterator[tuple[Site, str]]:
    """A running Garde-fou whose `openwebui` front-end is configured as given; yields its key too."""
    settings = load(tmp, upstream_url, auth={"frontends": {"openwebui": frontend}}, **sections)
    key = KeyStore(settings.keys_path).create(user="openwebui", service="dsi", role=Role.FRONTEND)
    with running_site(settings, detector) as site:
        yield site, key.secret_key


def register_rows(site: Site) -> list[dict[str, Any]]:
    """The register's rows as stored (ids, not the admin pages' French labels), oldest first."""
    path = site.settings.register_path
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM entries ORDER BY seq")]
