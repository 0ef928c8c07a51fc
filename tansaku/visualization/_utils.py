"""What every plotly plot shares: the lazy plotly import and the checks of a plot's arguments."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from tansaku._internal.optional import import_optional

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial


def is_available() -> bool:
    """Whether plotly can be imported, so that the plots of this module can be drawn."""
    return importlib.util.find_spec("plotly") is not None


def plotly_go(feature: str) -> ModuleType:
    """``plotly.graph_objects``, or an ImportError naming the extra needed for ``feature``."""
    return import_optional("plotly.graph_objects", feature, "visualization")


def check_target(
    study: Study, target: Callable[[FrozenTrial], float] | None, where: str
) -> None:
    """A study of several objectives needs ``target`` to pick the one value to plot."""
    if target is None and len(study.directions) > 1:
        raise ValueError(
            f"{where}: the study has {len(study.directions)} objectives; pass target= to choose "
            "the value to plot, e.g. target=lambda t: t.values[0]"
        )
