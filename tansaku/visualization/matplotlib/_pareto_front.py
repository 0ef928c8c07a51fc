"""The Pareto-front plot drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tansaku.visualization._pareto_front import TITLE, ParetoFrontInfo, pareto_front_info
from tansaku.visualization._utils import INFEASIBLE_COLOR
from tansaku.visualization.matplotlib._utils import plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial


def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Any:
    """Plot the completed trials in objective space, highlighting the Pareto front, with
    matplotlib.

    See :func:`tansaku.visualization.plot_pareto_front` for what is drawn: here best trials
    are red, the other feasible ones blue and infeasible ones grey, named in the legend.

    Args:
        study: A study of 2 or 3 objectives (or any number, with ``targets``).
        target_names: The axis titles; the study's metric names, else "Objective i".
        include_dominated_trials: Also draw the feasible trials off the Pareto front.
        constraints_func: Deprecated: decides feasibility from a trial instead of the
            constraints stored with it.
        targets: The 2 or 3 values to plot for a trial; its objective values by default.

    Returns:
        The ``Axes`` (a 3-D ``Axes`` for three targets).

    Raises:
        ValueError: the study has neither 2 nor 3 objectives and no ``targets`` is given,
            ``targets`` returns other than 2 or 3 values, or ``target_names`` has the wrong
            length.
    """
    plt = start_plot("plot_pareto_front")
    info = pareto_front_info(
        study, target_names, include_dominated_trials, constraints_func, targets
    )
    with plot_style(plt):
        return _draw(plt, info)


def _draw(plt: Any, info: ParetoFrontInfo) -> Any:
    figure = plt.figure(layout="constrained")
    three_d = info.n_targets == 3
    ax = figure.add_subplot(projection="3d" if three_d else None)
    ax.set_title(TITLE)
    ax.set_xlabel(info.target_names[0])
    ax.set_ylabel(info.target_names[1])
    if three_d:
        ax.set_zlabel(info.target_names[2])
    colors = plt.get_cmap("tab10")
    groups = [
        (info.infeasible, "Infeasible Trial", INFEASIBLE_COLOR),
        (info.dominated, "Feasible Trial" if info.has_constraints else "Trial", colors(0)),
        (info.best, "Best Trial", colors(3)),
    ]
    for group, label, color in groups:
        if group.trials:
            ax.scatter(*group.values.T, color=color, label=label, edgecolors="grey")
    if ax.has_data():
        ax.legend()
    return ax
