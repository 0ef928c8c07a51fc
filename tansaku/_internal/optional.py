"""Lazy imports of optional dependencies with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(
    module: str, feature: str, extra: str, *, package: str | None = None
) -> ModuleType:
    """Import ``module`` or raise an ImportError telling how to install it for ``feature``.

    ``package`` is the distribution's name where it is not the module's first part
    (``google.cloud.storage`` comes from google-cloud-storage).
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{feature} needs {package or module.split('.')[0]}: pip install tansaku[{extra}]"
        ) from error
