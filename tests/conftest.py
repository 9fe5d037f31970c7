"""Session-wide fixtures: heavy objects (the French spaCy model) are loaded once per test run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.analysis.engine import Detector, load_detection_config
from tests.e2e.recording_upstream import Recorder, create_recording_upstream
from tests.e2e.servers import serve

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@pytest.fixture(scope="session")
def detector() -> Detector:
    """The real detector (Presidio + fr_core_news_md) configured from models/, warmed up."""
    built = Detector(load_detection_config(MODELS_DIR))
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
