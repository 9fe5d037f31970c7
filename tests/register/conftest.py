"""Fixtures for the register tests."""

from __future__ import annotations

import pytest
from registerkit import EntryFactory, build_entry


@pytest.fixture
def entry_factory() -> EntryFactory:
    return build_entry
