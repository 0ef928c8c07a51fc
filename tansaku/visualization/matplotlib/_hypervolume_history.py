"""The hypervolume history drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tansaku.visualization._hypervolume_history import TITLE, hypervolume_history_info
from tansaku.visualization.matplotlib._utils import new_axes, plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study


def plot_hypervolume_history(study: Study, reference_point: Sequence[float]) -> Any:
    """Plot the hypervolume of the Pareto front after each completed trial, with matplotlib.

    See :func:`tansaku.visualization.plot_hypervolume_history` for what is drawn.

    Args:
        study: A multi-objective study.
        reference_point: A point worse than the region of interest in every objective, one
            value per objective (in the objectives' own directions).

    Returns:
        The ``Axes``.

    Raises:
        ValueError: the study has a single objective, or ``reference_point`` does not have
            one value per objective.
    """
    plt = start_plot("plot_hypervolume_history")
    info = hypervolume_history_info(study, reference_point)
    with plot_style(plt):
        ax = new_axes(plt, TITLE, "Trial", "Hypervolume")
        ax.plot(info.numbers, info.values, marker="o", alpha=0.6, color=plt.get_cmap("tab10")(0))
    return ax
