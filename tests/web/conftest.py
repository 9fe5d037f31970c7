"""Fixtures for the web security tests: a recording upstream and a proxy with a key per role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from proxy.analysis.engine import Detector
from tests.web.appkit import REPO, Site, load, running_site
from tests.web.consolekit import populate


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector) -> Iterator[Site]:
    # Hundreds of requests from one agent key in well under a minute: the rate limit (tested in
    # tests/auth and tests/e2e/test_security.py) must not decide these tests.
    limits = {"user_requests_per_minute": 100_000}
    settings = load(tmp_path_factory.mktemp("site"), upstream_url, limits=limits)
    with running_site(settings, detector) as running:
        yield running


@pytest.fixture(scope="module")
def console_site(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[Site]:
    """A proxy whose register holds generated rows over several months and services, with a policy
    file of its own (the DPO installs new versions over it) and a collectivité's name."""
    tmp = tmp_path_factory.mktemp("console")
    (tmp / "data").mkdir()
    (tmp / "cases").mkdir()  # the policy's test cases, beside it as in policies/
    shutil.copyfile(REPO / "policies" / "cases" / "commune.yaml", tmp / "cases" / "commune.yaml")
    populate(tmp / "data" / "register.sqlite")
    limits = {"user_requests_per_minute": 100_000}
    # Sealed only by appends, never by the writer's timer: the console must be seen while the newest
    # rows are still unsealed, however slow the machine is between a request and the page.
    settings = load(
        tmp,
        upstream_url,
        limits=limits,
        collectivite="Commune de Saint-Exemple",
        register_seal_interval_s=3600,
    )
    with running_site(settings, detector) as running:
        yield running
