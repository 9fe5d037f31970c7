"""Session-wide fixtures: heavy objects (the French spaCy model) are loaded once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.analysis.engine import Detector, load_detection_config

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@pytest.fixture(scope="session")
def detector() -> Detector:
    """The real detector (Presidio + fr_core_news_md) configured from models/, warmed up."""
    built = Detector(load_detection_config(MODELS_DIR))
    built.warm_up()
    return built
