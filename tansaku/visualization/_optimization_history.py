"""The optimization history: each trial's value by trial number and the best value so far."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku.logging import get_logger
from tansaku.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    as_studies,
    check_plot_args,
    figure_of,
    is_feasible,
    plotly_go,
    target_values,
)

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

TITLE = "Optimization History Plot"


@dataclass(frozen=True)
class HistorySeries:
    """What one study (or, with error bars, the mean over all studies) contributes to the plot.

    Attributes:
        label: Legend name of the value markers.
        numbers: Trial numbers of the feasible completed trials, the markers.
        values: Their values (means over the studies with error bars).
        stds: Standard deviation of each value over the studies, with error bars only.
        infeasible_numbers: Trial numbers of completed trials that break a constraint.
        infeasible_values: Their values, drawn in grey.
        best_label: Legend name of the best-so-far line; None when there is no line, which is
            the case when a ``target`` is given, since its direction is unknown.
        best_numbers: Trial numbers along the best-so-far line.
        best_values: The best feasible value up to each of them (NaN before the first).
        best_stds: Standard deviation of the best values over the studies, with error bars only.
    """

    label: str
    numbers: list[int]
    values: list[float]
    stds: list[float] | None
    infeasible_numbers: list[int]
    infeasible_values: list[float]
    best_label: str | None
    best_numbers: list[int]
    best_values: list[float]
    best_stds: list[float] | None


@dataclass(frozen=True)
class _StudyHistory:
    """One study's trials as arrays: every trial number, its value (NaN unless complete),
    whether it is a feasible / infeasible completed trial, and the best feasible value so far."""

    name: str
    numbers: np.ndarray  # (n_trials,)
    values: np.ndarray  # (n_trials,)
    feasible: np.ndarray  # (n_trials,) bool
    infeasible: np.ndarray  # (n_trials,) bool
    best: np.ndarray | None  # (n_trials,)


def _study_history(study: Study, target: Callable[[FrozenTrial], float] | None) -> _StudyHistory:
    from tansaku.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    complete = np.array([t.state == TrialState.COMPLETE for t in trials], dtype=bool)
    values = np.full(len(trials), np.nan)
    completed = [t for t in trials if t.state == TrialState.COMPLETE]
    if completed:
        values[complete] = target_values(completed, target)
    satisfied = np.array([is_feasible(t) for t in trials], dtype=bool)
    feasible = complete & satisfied
    best = None
    if target is None:
        maximize = study.direction == StudyDirection.MAXIMIZE
        candidates = np.where(feasible, values, np.nan)
        # fmax/fmin skip NaN, so the line starts at the first feasible value.
        best = (np.fmax if maximize else np.fmin).accumulate(candidates)
    return _StudyHistory(
        name=study.study_name,
        numbers=np.array([t.number for t in trials], dtype=int),
        values=values,
        feasible=feasible,
        infeasible=complete & ~satisfied,
        best=best,
    )


def _series(history: _StudyHistory, label: str, best_label: str) -> HistorySeries:
    return HistorySeries(
        label=label,
        numbers=history.numbers[history.feasible].tolist(),
        values=history.values[history.feasible].tolist(),
        stds=None,
        infeasible_numbers=history.numbers[history.infeasible].tolist(),
        infeasible_values=history.values[history.infeasible].tolist(),
        best_label=None if history.best is None else best_label,
        best_numbers=history.numbers.tolist() if history.best is not None else [],
        best_values=history.best.tolist() if history.best is not None else [],
        best_stds=None,
    )


def _mean_and_std(stacked: np.ndarray, rows: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean and standard deviation over the studies (axis 0) of the columns ``rows``, ignoring
    NaN (a study without that trial)."""
    columns = stacked[:, rows]  # (n_studies, n_rows)
    counts = np.sum(~np.isnan(columns), axis=0)
    sums = np.nansum(columns, axis=0)
    means = np.divide(sums, counts, out=np.full(len(rows), np.nan), where=counts > 0)
    deviations = np.where(np.isnan(columns), 0.0, columns - means) ** 2
    variances = np.divide(
        np.sum(deviations, axis=0), counts, out=np.full(len(rows), np.nan), where=counts > 0
    )
    return means.tolist(), np.sqrt(variances).tolist()


def _error_bar_series(histories: list[_StudyHistory], target_name: str) -> HistorySeries:
    """Mean and standard deviation over the studies at each trial number where at least one
    study has a feasible completed trial."""
    size = max(int(h.numbers.max()) for h in histories if len(h.numbers)) + 1
    values = np.full((len(histories), size), np.nan)  # (n_studies, n_numbers)
    best = np.full((len(histories), size), np.nan)
    for row, history in enumerate(histories):
        values[row, history.numbers[history.feasible]] = history.values[history.feasible]
        if history.best is not None:
            best[row, history.numbers] = history.best
    rows = np.flatnonzero(np.any(~np.isnan(values), axis=0))
    if any(np.any(h.infeasible) or np.any(np.isnan(h.values)) for h in histories):
        _logger.warning(
            "The error bars of the optimization history are computed over feasible completed "
            "trials only."
        )
    means, stds = _mean_and_std(values, rows)
    has_best = histories[0].best is not None
    best_means, best_stds = _mean_and_std(best, rows) if has_best else ([], [])
    return HistorySeries(
        label=target_name,
        numbers=rows.tolist(),
        values=means,
        stds=stds,
        infeasible_numbers=[],
        infeasible_values=[],
        best_label="Best Value" if has_best else None,
        best_numbers=rows.tolist() if has_best else [],
        best_values=best_means,
        best_stds=best_stds if has_best else None,
    )


def optimization_history_series(
    study: Study | Sequence[Study],
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
    error_bar: bool,
    where: str = "plot_optimization_history",
) -> list[HistorySeries]:
    """The series to draw: one per study, or one of means and deviations with ``error_bar``.

    Returns an empty list, after a logged warning, when there is nothing to draw: no study, no
    completed trial, or (with ``error_bar``) no feasible one.
    """
    studies = as_studies(study)
    check_plot_args(studies, target, target_name, where)
    if not studies:
        _logger.warning("There are no studies to plot.")
        return []
    histories = [_study_history(s, target) for s in studies]
    if not any(np.any(h.feasible | h.infeasible) for h in histories):
        _logger.warning("There are no complete trials to plot.")
        return []
    if error_bar:
        if not any(np.any(h.feasible) for h in histories):
            _logger.warning("There are no feasible trials to plot.")
            return []
        return [_error_bar_series(histories, target_name)]
    if len(histories) == 1:
        return [_series(histories[0], target_name, "Best Value")]
    return [_series(h, f"{target_name} of {h.name}", f"Best Value of {h.name}") for h in histories]


def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> Any:
    """Plot each trial's objective value by trial number, with the best value so far.

    Args:
        study: The study to plot, or several studies to compare (one series each).
        target: The value to plot for a trial. Needed when the study has several objectives,
            e.g. ``target=lambda t: t.values[0]``. With a target no best-value line is drawn,
            since whether higher or lower is better is unknown.
        target_name: The name of the value, on the y axis and in the legend.
        error_bar: With several studies, draw the mean over the studies at each trial number
            with the standard deviation as error bars (and as a band around the best line).

    Returns:
        A ``plotly.graph_objects.Figure``; without completed trials it has no data, and a
        warning is logged.

    Raises:
        ValueError: If a study has several objectives and ``target`` is None.
    """
    go = plotly_go("plot_optimization_history")
    series = optimization_history_series(study, target, target_name, error_bar)
    layout = go.Layout(title=TITLE, xaxis={"title": "Trial"}, yaxis={"title": target_name})
    traces: list[tuple[Any, dict[str, Any]]] = []
    for entry in series:
        markers = go.Scatter(mode="markers", name=entry.label)
        marker_arrays: dict[str, Any] = {"x": entry.numbers, "y": entry.values}
        if entry.stds is not None:
            markers.error_y = {"type": "data", "visible": True}
            marker_arrays["error_y"] = {"array": entry.stds}
        traces.append((markers, marker_arrays))
        if entry.best_label is not None:
            best = {"x": entry.best_numbers, "y": entry.best_values}
            traces.append((go.Scatter(mode="lines", name=entry.best_label), best))
            if entry.best_stds is not None:
                upper = np.add(entry.best_values, entry.best_stds).tolist()
                lower = np.subtract(entry.best_values, entry.best_stds).tolist()
                traces.append(
                    (
                        go.Scatter(mode="lines", line={"width": 0.01}, showlegend=False),
                        {"x": entry.best_numbers, "y": upper},
                    )
                )
                traces.append(
                    (
                        go.Scatter(
                            mode="none",
                            fill="tonexty",
                            fillcolor="rgba(255,0,0,0.2)",
                            showlegend=False,
                        ),
                        {"x": entry.best_numbers, "y": lower},
                    )
                )
        traces.append(
            (
                go.Scatter(
                    mode="markers",
                    name="Infeasible Trial",
                    marker={"color": INFEASIBLE_COLOR},
                    showlegend=False,
                ),
                {"x": entry.infeasible_numbers, "y": entry.infeasible_values},
            )
        )
    return figure_of(go, traces, layout)
