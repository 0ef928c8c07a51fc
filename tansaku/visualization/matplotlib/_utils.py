"""What every matplotlib plot shares: the lazy matplotlib import."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tansaku._internal.optional import import_optional


def is_available() -> bool:
    """Whether matplotlib can be imported, so that the plots of this module can be drawn."""
    return importlib.util.find_spec("matplotlib") is not None


def pyplot(feature: str) -> ModuleType:
    """``matplotlib.pyplot``, or an ImportError naming the extra needed for ``feature``."""
    return import_optional("matplotlib.pyplot", feature, "visualization")
