"""Import a framework a marked test needs: a missing one fails the test under CI, else skips it.

Test modules call this from fixtures, not at import: ``make test`` collects every module
(and deselects the marked tests) on machines that do not have the frameworks.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``; when it is missing, fail under CI and skip elsewhere, naming the
    tansaku extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"{module} is not installed (pip install tansaku[{extra}])"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
