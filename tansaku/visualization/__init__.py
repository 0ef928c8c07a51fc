"""Plots of a study, drawn with plotly; ``.matplotlib`` draws the same plots with matplotlib.

Every function returns a ``plotly.graph_objects.Figure``. plotly is imported when a plot is
drawn, not when this module is imported; without it the call raises an ImportError that names
the extra to install (``pip install tansaku[visualization]``).
"""

from __future__ import annotations

import importlib
from typing import Any

from tansaku.visualization._utils import is_available, lazy_getattr

# Public name -> module that defines it, imported on first use.
_LAZY = {
    "plot_contour": "_contour",
    "plot_edf": "_edf",
    "plot_hypervolume_history": "_hypervolume_history",
    "plot_intermediate_values": "_intermediate_values",
    "plot_optimization_history": "_optimization_history",
    "plot_parallel_coordinate": "_parallel_coordinate",
    "plot_param_importances": "_param_importances",
    "plot_pareto_front": "_pareto_front",
    "plot_rank": "_rank",
    "plot_slice": "_slice",
    "plot_terminator_improvement": "_terminator_improvement",
    "plot_timeline": "_timeline",
    "report": "_report",
}

__all__ = ["is_available", "matplotlib", *_LAZY]


_lazy_getattr = lazy_getattr(globals(), _LAZY)


def __getattr__(name: str) -> Any:
    if name == "matplotlib":
        return importlib.import_module(f"{__name__}.matplotlib")
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
