"""The learning curves drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku.visualization._intermediate_values import (
    INFEASIBLE_COLOR,
    TITLE,
    intermediate_curves,
)
from tansaku.visualization.matplotlib._utils import new_axes, plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study

# Beyond this many curves a legend hides the plot rather than explains it.
_MAX_LEGEND_ENTRIES = 20


def plot_intermediate_values(study: Study) -> Any:
    """Plot the intermediate values of every trial, one line per trial.

    Pruned trials are dashed with x markers, trials that break a constraint grey; with 2 to
    20 curves a legend names them.

    Args:
        study: The study whose trials' intermediate values are plotted.

    Returns:
        The matplotlib ``Axes``; without intermediate values it is empty and a warning is
        logged.
    """
    plt = start_plot("plot_intermediate_values")
    curves = intermediate_curves(study)
    with plot_style(plt):
        with_legend = 2 <= len(curves) <= _MAX_LEGEND_ENTRIES
        ax = new_axes(plt, TITLE, "Step", "Intermediate Value", legend_outside=with_legend)
        cmap = plt.get_cmap("tab20")
        for index, curve in enumerate(curves):
            ax.plot(
                curve.steps,
                curve.values,
                color=cmap(index % 20) if curve.feasible else INFEASIBLE_COLOR,
                linestyle="--" if curve.pruned else "-",
                marker="x" if curve.pruned else ".",
                alpha=0.8,
                label=curve.label,
            )
        if with_legend:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
    return ax
