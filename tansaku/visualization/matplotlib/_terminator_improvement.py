"""The terminator's room for improvement drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku.logging import get_logger
from tansaku.terminator._improvement import DEFAULT_MIN_N_TRIALS
from tansaku.visualization._terminator_improvement import (
    EARLY_OPACITY,
    ERROR_NAME,
    IMPROVEMENT_NAME,
    TITLE,
    Y_TITLE,
    improvement_info,
    segments,
    y_range,
)
from tansaku.visualization.matplotlib._utils import new_axes, plot_style, start_plot

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.terminator import BaseErrorEvaluator, BaseImprovementEvaluator

_logger = get_logger(__name__)


def plot_terminator_improvement(
    study: Study,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = DEFAULT_MIN_N_TRIALS,
) -> Any:
    """Plot the room for improvement left after each trial, as the terminator sees it.

    The same data as :func:`tansaku.visualization.plot_terminator_improvement`, drawn with
    matplotlib.

    Args:
        study: A single-objective study.
        plot_error: Also plot the error evaluated by ``error_evaluator``.
        improvement_evaluator: Evaluates the room for improvement (default:
            :class:`~tansaku.terminator.RegretBoundEvaluator`).
        error_evaluator: Evaluates the error (default: as the terminator chooses).
        min_n_trials: The trials before which the terminator does not stop: their points are
            drawn faintly (>= 0).

    Returns:
        The matplotlib ``Axes``; without completed trials it is empty and a warning is logged.

    Raises:
        ValueError: ``study`` has several objectives, or ``min_n_trials`` is negative.
    """
    plt = start_plot("plot_terminator_improvement")
    info = improvement_info(
        study,
        plot_error,
        improvement_evaluator,
        error_evaluator,
        min_n_trials,
        "plot_terminator_improvement",
    )
    with plot_style(plt):
        ax = new_axes(plt, TITLE, "Trial", Y_TITLE)
        if not info.trial_numbers:
            _logger.warning("There are no complete trials.")
            return ax
        cmap = plt.get_cmap("tab10")
        parts = segments(info, min_n_trials)
        for numbers, values, early in parts:
            ax.plot(
                numbers,
                values,
                marker="o",
                color=cmap(0),
                alpha=EARLY_OPACITY if early else 1.0,
                label=IMPROVEMENT_NAME if not early or len(parts) == 1 else None,
            )
        if info.errors is not None:
            ax.plot(info.trial_numbers, info.errors, marker="o", color=cmap(3), label=ERROR_NAME)
        ax.legend()
        ax.set_ylim(y_range(info, min_n_trials))
    return ax
