"""Fixtures for the tests that compare tansaku with Optuna side by side.

They run in the benchmark environment (``make compat``), where Optuna 5 is installed. Anywhere
else Optuna is missing and they fail: a comparison that silently did not run proves nothing.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def optuna() -> ModuleType:
    """The installed Optuna package; fails (not skips) the test when it cannot be imported."""
    try:
        return importlib.import_module("optuna")
    except ImportError as error:
        pytest.fail(
            f"tests/compat needs Optuna 5 (`make compat` runs them with .venv-bench/bin/python): "
            f"import optuna failed: {error}",
            pytrace=False,
        )
