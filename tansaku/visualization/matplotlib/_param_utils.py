"""What the matplotlib plots of parameters share: laying a param's axis out on an Axes."""

from __future__ import annotations

from typing import Any, Literal

from tansaku.visualization._param_utils import ParamAxis


def apply_param_axis(ax: Any, axis: ParamAxis, which: Literal["x", "y"]) -> None:
    """Give ``ax``'s ``which`` axis the param's scale, padded range and (for categories) one
    tick per category labelled with it."""
    set_scale = ax.set_xscale if which == "x" else ax.set_yscale
    set_lim = ax.set_xlim if which == "x" else ax.set_ylim
    set_ticks = ax.set_xticks if which == "x" else ax.set_yticks
    if axis.is_categorical:
        set_ticks(range(len(axis.categories)), list(axis.categories))
    else:
        set_scale("log" if axis.is_log else "linear")
    set_lim(axis.low, axis.high)
