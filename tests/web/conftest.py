"""Fixtures for the web security tests: a recording upstream and a proxy with a key per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proxy.analysis.engine import Detector
from tests.web.appkit import Site, load, running_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector) -> Iterator[Site]:
    # Hundreds of requests from one agent key in well under a minute: the rate limit (tested in
    # tests/auth and tests/e2e/test_security.py) must not decide these tests.
    limits = {"user_requests_per_minute": 100_000}
    settings = load(tmp_path_factory.mktemp("site"), upstream_url, limits=limits)
    with running_site(settings, detector) as running:
        yield running
