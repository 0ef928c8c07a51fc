"""The optimization history drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.visualization._optimization_history import TITLE, optimization_history_series
from tansaku.visualization._utils import DEFAULT_TARGET_NAME, INFEASIBLE_COLOR
from tansaku.visualization.matplotlib._utils import new_axes, plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial


def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> Any:
    """Plot each trial's objective value by trial number, with the best value so far.

    The same data as :func:`tansaku.visualization.plot_optimization_history`, drawn with
    matplotlib: value markers per study, the best-so-far line, grey markers for trials that
    break a constraint, and with ``error_bar`` the mean with error bars and a band.

    Args:
        study: The study to plot, or several studies to compare.
        target: The value to plot for a trial; needed for several objectives.
        target_name: The name of the value, on the y axis and in the legend.
        error_bar: Draw the mean and standard deviation over the studies.

    Returns:
        The matplotlib ``Axes``; without completed trials it is empty and a warning is logged.

    Raises:
        ValueError: If a study has several objectives and ``target`` is None.
    """
    plt = start_plot("plot_optimization_history")
    series = optimization_history_series(study, target, target_name, error_bar)
    with plot_style(plt):
        ax = new_axes(plt, TITLE, "Trial", target_name, legend_outside=bool(series))
        cmap = plt.get_cmap("tab10")
        for index, entry in enumerate(series):
            # One colour per study, for its markers and its line alike.
            value_color = cmap(index % 10)
            best_color = cmap(3) if len(series) == 1 else value_color
            if entry.stds is not None:
                ax.errorbar(
                    entry.numbers,
                    entry.values,
                    yerr=entry.stds,
                    fmt="o",
                    capsize=5,
                    color=value_color,
                    label=entry.label,
                )
            else:
                ax.scatter(
                    entry.numbers,
                    entry.values,
                    color=value_color,
                    alpha=1.0 if len(series) == 1 else 0.6,
                    label=entry.label,
                )
            if entry.best_label is not None:
                ax.plot(
                    entry.best_numbers,
                    entry.best_values,
                    color=best_color,
                    alpha=0.8,
                    label=entry.best_label,
                )
                if entry.best_stds is not None:
                    ax.fill_between(
                        entry.best_numbers,
                        np.subtract(entry.best_values, entry.best_stds),
                        np.add(entry.best_values, entry.best_stds),
                        color="tab:red",
                        alpha=0.3,
                    )
            if entry.infeasible_numbers:
                ax.scatter(
                    entry.infeasible_numbers, entry.infeasible_values, color=INFEASIBLE_COLOR
                )
        if series:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax
