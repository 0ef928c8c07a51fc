"""Lazy imports of optional dependencies with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(module: str, feature: str, extra: str) -> ModuleType:
    """Import ``module`` or raise an ImportError telling how to install it for ``feature``."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{feature} needs {module.split('.')[0]}: pip install tansaku[{extra}]"
        ) from error
