"""Fixtures for the web security tests: a recording upstream and a proxy with a key per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proxy.analysis.engine import Detector
from tests.e2e.recording_upstream import Recorder, create_recording_upstream
from tests.e2e.servers import serve
from tests.web.appkit import Site, load, running_site


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def upstream_url(recorder: Recorder) -> Iterator[str]:
    with serve(create_recording_upstream(recorder)) as url:
        yield url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector) -> Iterator[Site]:
    settings = load(tmp_path_factory.mktemp("site"), upstream_url)
    with running_site(settings, detector) as running:
        yield running
