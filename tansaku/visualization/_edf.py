"""The empirical distribution function of the objective values, one curve per study."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.logging import get_logger
from tansaku.visualization._utils import (
    DEFAULT_TARGET_NAME,
    as_studies,
    check_plot_args,
    finite_complete_trials,
    plotly_go,
)

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

TITLE = "Empirical Distribution Function Plot"
N_POINTS = 100


@dataclass(frozen=True)
class EdfCurves:
    """The EDF of each study, sampled on one shared grid of values.

    Attributes:
        x: ``N_POINTS`` values evenly spaced from the smallest to the largest value of all
            studies.
        names: The study of each curve.
        y: For each study, the fraction of its completed trials whose value is <= each x.
    """

    x: list[float]
    names: list[str]
    y: list[list[float]]


def edf_curves(
    study: Study | Sequence[Study],
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
    where: str = "plot_edf",
) -> EdfCurves:
    """The curves to draw; empty, after a logged warning, without completed trials."""
    studies = as_studies(study)
    check_plot_args(studies, target, target_name, where)
    if not studies:
        _logger.warning("There are no studies to plot.")
        return EdfCurves(x=[], names=[], y=[])
    values = [np.asarray(finite_complete_trials(s, target)[1], dtype=float) for s in studies]
    if all(len(v) == 0 for v in values):
        _logger.warning("There are no complete trials to plot.")
        return EdfCurves(x=[], names=[], y=[])
    pooled = np.concatenate(values)
    grid = np.linspace(pooled.min(), pooled.max(), N_POINTS)  # (N_POINTS,)
    curves = []
    for study_values in values:
        if len(study_values) == 0:
            curves.append([0.0] * N_POINTS)
            continue
        # Sorted once, the count of values <= x is a binary search per grid point.
        counts = np.searchsorted(np.sort(study_values), grid, side="right")
        curves.append((counts / len(study_values)).tolist())
    return EdfCurves(x=grid.tolist(), names=[s.study_name for s in studies], y=curves)


def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot the empirical distribution function of the objective values of completed trials.

    For each value x, the curve gives the fraction of trials whose value is at most x, so a
    curve that rises early means a search space where good values are common; comparing the
    curves of several studies compares their search spaces or samplers.

    Args:
        study: The study to plot, or several studies (one curve each, named by study).
        target: The value to plot for a trial; needed when the study has several objectives.
        target_name: The name of the value, on the x axis.

    Returns:
        A ``plotly.graph_objects.Figure``; without completed trials it has no data, and a
        warning is logged.

    Raises:
        ValueError: If a study has several objectives and ``target`` is None.
    """
    go = plotly_go("plot_edf")
    curves = edf_curves(study, target, target_name)
    layout = go.Layout(
        title=TITLE, xaxis={"title": target_name}, yaxis={"title": "Cumulative Probability"}
    )
    traces = [
        go.Scatter(x=curves.x, y=y, name=name, mode="lines")
        for name, y in zip(curves.names, curves.y)
    ]
    figure = go.Figure(data=traces, layout=layout)
    if traces:
        figure.update_yaxes(range=[0, 1])
    return figure
