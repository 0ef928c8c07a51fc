"""Parameter importances drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.visualization._param_importances import TITLE, XLABEL, YLABEL, importance_chart
from tansaku.visualization._utils import DEFAULT_TARGET_NAME
from tansaku.visualization.matplotlib._utils import new_axes, plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.importance import BaseImportanceEvaluator
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

# Room to the right of the longest bar for its label, as a fraction of the bar.
_LABEL_ROOM = 1.15


def plot_param_importances(
    study: Study,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot how much each parameter matters to the objective, as horizontal bars.

    On a study of several objectives without ``target``, each parameter gets one bar per
    objective, side by side, with a legend naming the objectives.

    Args:
        study: The study whose completed trials are assessed.
        evaluator: The importance evaluator; None uses the default.
        params: The parameters to assess; None assesses all of them.
        target: The value to assess importances for; None uses the objective value, or every
            objective in turn.
        target_name: The name of the value in the legend.

    Returns:
        The matplotlib ``Axes``; without completed trials it is empty and a warning is logged.

    Raises:
        ValueError: If ``params`` names a parameter no completed trial has.
    """
    plt = start_plot("plot_param_importances")
    chart = importance_chart(study, evaluator, params, target, target_name)
    with plot_style(plt):
        ax = new_axes(plt, TITLE, XLABEL, YLABEL)
        if not chart.groups:
            return ax
        positions = np.arange(len(chart.params))
        height = 0.8 / len(chart.groups)
        cmap = plt.get_cmap("tab10")
        for index, group in enumerate(chart.groups):
            # Centre the groups' bars on each parameter's row, the first objective on top.
            offsets = positions + (len(chart.groups) - 1 - 2 * index) * height / 2
            ax.barh(
                offsets,
                group.importances,
                height=height,
                color=cmap(index % 10),
                label=group.name,
            )
            for offset, value, label in zip(offsets, group.importances, group.labels):
                ax.text(value, offset, f" {label}", va="center", fontsize="small")
        ax.set_yticks(positions, chart.params)
        longest = max(max(g.importances, default=0.0) for g in chart.groups)
        ax.set_xlim(0.0, max(longest, 1e-12) * _LABEL_ROOM)
        ax.legend(loc="lower right")
    return ax
