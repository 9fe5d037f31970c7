"""Session-wide fixtures: heavy objects (the French spaCy model) are loaded once per test run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from proxy.analysis.engine import Detector, load_detection_config
from tests.e2e.recording_upstream import Recorder, create_recording_upstream
from tests.e2e.servers import serve

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@pytest.fixture(scope="session")
def detector() -> Iterator[Detector]:
    """The real detector (Presidio + fr_core_news_md) configured from models/, warmed up, with its
    NER in two worker processes as the server runs it by default."""
    built = Detector(load_detection_config(MODELS_DIR), processes=2)
    built.warm_up()
    yield built
    built.close()


@pytest.fixture(scope="session")
def local_detector() -> Detector:
    """The same detector with the NER in the test process (to compare, and to look inside)."""
    built = Detector(load_detection_config(MODELS_DIR), processes=0)
    built.warm_up()
    return built


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    """What the recording upstream received, per test module."""
    return Recorder()


@pytest.fixture(scope="module")
def upstream_url(recorder: Recorder) -> Iterator[str]:
    """A recording OpenAI-compatible upstream on loopback (real uvicorn)."""
    with serve(create_recording_upstream(recorder)) as url:
        yield url


# One Chromium (Debian's, headless, driven by Playwright) for the browser tests of every folder.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip("apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()
