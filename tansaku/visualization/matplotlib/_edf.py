"""The empirical distribution function drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tansaku.visualization._edf import TITLE, edf_curves
from tansaku.visualization._utils import DEFAULT_TARGET_NAME
from tansaku.visualization.matplotlib._utils import new_axes, plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial


def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot the empirical distribution function of the objective values of completed trials.

    Args:
        study: The study to plot, or several studies (one curve each, in the legend).
        target: The value to plot for a trial; needed when the study has several objectives.
        target_name: The name of the value, on the x axis.

    Returns:
        The matplotlib ``Axes``; without completed trials it is empty and a warning is logged.

    Raises:
        ValueError: If a study has several objectives and ``target`` is None.
    """
    plt = start_plot("plot_edf")
    curves = edf_curves(study, target, target_name)
    with plot_style(plt):
        ax = new_axes(plt, TITLE, target_name, "Cumulative Probability")
        ax.set_ylim(0, 1)
        cmap = plt.get_cmap("tab10")
        for index, (name, y) in enumerate(zip(curves.names, curves.y)):
            ax.plot(curves.x, y, color=cmap(index % 10), alpha=0.8, label=name)
        if len(curves.names) >= 2:
            ax.legend()
    return ax
