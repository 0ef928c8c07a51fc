"""Shared fixtures for the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import tansaku
import tests._hypothesis  # noqa: F401  (loads the hypothesis profile before any test module)


@pytest.fixture(autouse=True)
def _quiet_trial_logs() -> Iterator[None]:
    """Keep the per-trial INFO lines out of test output (tests that check them raise it)."""
    previous = tansaku.logging.get_verbosity()
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    yield
    tansaku.logging.set_verbosity(previous)
