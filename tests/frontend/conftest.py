"""Front-end fixtures: a Garde-fou trusting Open WebUI's signed token, another its plain headers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proxy.analysis.engine import Detector
from tests.frontend.kit import GROUPS, JWT_ENV, JWT_SECRET, frontend_site
from tests.web.appkit import Site


@pytest.fixture(scope="module")
def signed(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[tuple[Site, str]]:
    frontend = {"jwt_secret_env": JWT_ENV, "groups": GROUPS}
    limits = {"user_requests_per_minute": 3}
    with pytest.MonkeyPatch.context() as env:
        env.setenv(JWT_ENV, JWT_SECRET)
        with frontend_site(
            tmp_path_factory.mktemp("signed"), upstream_url, detector, frontend, limits=limits
        ) as running:
            yield running


@pytest.fixture(scope="module")
def plain_site(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[tuple[Site, str]]:
    frontend = {"plain_headers": True, "clients": ["127.0.0.1/32"], "groups": GROUPS}
    with frontend_site(tmp_path_factory.mktemp("plain"), upstream_url, detector, frontend) as running:
        yield running


@pytest.fixture(scope="module")
def elsewhere(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[tuple[Site, str]]:
    frontend = {"plain_headers": True, "clients": ["10.0.0.0/8"], "default_service": "urbanisme"}
    with frontend_site(tmp_path_factory.mktemp("else"), upstream_url, detector, frontend) as running:
        yield running


@pytest.fixture(scope="module")
def body_site(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[tuple[Site, str]]:
    frontend = {"body_user": True, "clients": ["127.0.0.1/32"], "default_service": "urbanisme"}
    with frontend_site(tmp_path_factory.mktemp("body"), upstream_url, detector, frontend) as running:
        yield running


@pytest.fixture(scope="module")
def librechat(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[tuple[Site, str]]:
    frontend = {
        "kind": "librechat",
        "plain_headers": True,
        "clients": ["127.0.0.1/32"],
        "agent_key": "id",
        "default_service": "urbanisme",
    }
    with frontend_site(tmp_path_factory.mktemp("librechat"), upstream_url, detector, frontend) as running:
        yield running
