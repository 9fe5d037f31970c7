"""Every route that takes a body answers 413 to an oversized one, chunked (no Content-Length) or
declared, for the roles allowed on it: the limit is counted on the stream, before any parsing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.routing import iter_route_contexts

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.roles import Role
from tests.web.appkit import Site, load, running_site
from tests.web.test_routes import guards

LIMIT = 4096


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector) -> Iterator[Site]:
    settings = load(tmp_path_factory.mktemp("small"), upstream_url, limits={"max_body_bytes": LIMIT})
    with running_site(settings, detector) as running:
        yield running


def body_routes(site: Site) -> list[tuple[str, str, Role | None]]:
    routes = []
    for route in iter_route_contexts(create_app(site.settings).routes):
        roles = sorted({r for g in guards(route.dependant) if hasattr(g, "roles") for r in g.roles})
        for method in route.methods or ():
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                path = str(route.path).replace("{key_id}", "0" * 12)
                routes.append((method, path, roles[0] if roles else None))
    return routes


def chunks() -> Iterator[bytes]:
    yield b'{"model": "demo", "messages": [{"role": "user", "content": "'
    for _ in range(LIMIT // 512 + 4):
        yield b"x" * 512
    yield b'"}]}'


def test_every_body_route_refuses_an_oversized_body_with_413(small: Site) -> None:
    routes = body_routes(small)
    assert len(routes) >= 5
    for method, path, role in routes:
        headers = {**small.headers(role), "Content-Type": "application/json"}
        url = f"{small.url}{path}"
        if method == "POST":  # the routes that read a body (others never buffer one)
            streamed = small.http.request(method, url, content=chunks(), headers=headers)
            assert streamed.status_code == 413, (method, path, streamed.text)
            assert "taille maximale" in streamed.json()["error"]["message"]
        declared = small.http.request(method, url, content=b"".join(chunks()), headers=headers)
        assert declared.status_code == 413, (method, path)
