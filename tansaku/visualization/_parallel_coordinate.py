"""The parallel coordinate plot: one vertical axis per objective and param, one line per trial."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku._pareto import nondomination_ranks, to_loss
from tansaku.distributions import IntDistribution
from tansaku.logging import get_logger
from tansaku.visualization._param_utils import (
    first_distribution,
    format_number,
    is_reverse_scale,
    param_axis,
    select_params,
)
from tansaku.visualization._utils import (
    DEFAULT_TARGET_NAME,
    is_feasible,
    plotly_go,
    plotted_trials,
)

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

TITLE = "Parallel Coordinate Plot"
COLOR_SCALE = "Blues"
MISSING_LABEL = "None"
# A missing value sits this far below the lowest value, as a share of the axis' span.
MISSING_GAP = 0.12


@dataclass(frozen=True)
class Dimension:
    """One vertical axis.

    Attributes:
        label: The objective's or the param's name.
        values: Each trial's position on the axis: log10 of the value for a log param, the
            category's index for a categorical one, and a slot below the others (labelled
            "None") for a trial without the param.
        low: Lowest position on the axis.
        high: Highest position on the axis.
        tickvals: Positions of the labelled ticks.
        ticktext: Their labels (values, not log10 of them, on a log axis).
        has_custom_ticks: Whether the ticks must be shown as given (log, category, missing);
            a plain numeric axis can leave its ticks to the plotting library.
    """

    label: str
    values: np.ndarray
    low: float
    high: float
    tickvals: list[float]
    ticktext: list[str]
    has_custom_ticks: bool

    def normalized(self, positions: np.ndarray | Sequence[float]) -> np.ndarray:
        """Positions mapped to [0, 1] over the axis (0.5 on a constant axis)."""
        positions = np.asarray(positions, dtype=float)
        if self.high == self.low:
            return np.full(positions.shape, 0.5)
        return (positions - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class ParallelCoordinateInfo:
    """Everything the parallel coordinate plot draws; trials are in drawing order (the
    better ones last, so on top).

    Attributes:
        dimensions: The objectives' axes first, then the params' in sorted order; empty when
            there is nothing to draw.
        colors: The value that colours each trial's line: its target, or its Pareto rank
            when all objectives of a multi-objective study are drawn.
        color_title: Title of the colour bar.
        reverse_scale: Whether the colour scale is reversed (better values dark).
        is_rank_color: Whether ``colors`` are Pareto ranks (integers, 0 the best).
        feasible: Whether each trial satisfies its constraints; None when no trial has any.
        numbers: Each trial's number.
    """

    dimensions: list[Dimension]
    colors: np.ndarray
    color_title: str
    reverse_scale: bool
    is_rank_color: bool
    feasible: np.ndarray | None
    numbers: np.ndarray


def parallel_coordinate_info(
    study: Study,
    params: list[str] | None,
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
    where: str = "plot_parallel_coordinate",
) -> ParallelCoordinateInfo:
    """Compute the axes and lines of the parallel coordinate plot."""
    all_objectives = target is None and len(study.directions) > 1
    if all_objectives:
        from tansaku.trial import TrialState

        trials = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.values is not None and all(math.isfinite(v) for v in t.values)
        ]
        objectives = np.array([t.values for t in trials], dtype=float).reshape(len(trials), -1)
        names = study.metric_names or [f"Objective {i}" for i in range(len(study.directions))]
        colors = nondomination_ranks(to_loss(objectives, study.directions)).astype(float)
        order = np.argsort(-colors, kind="stable")  # rank 0 drawn last
        color_title, reverse_scale = "Pareto Rank", True
        if not trials:
            _logger.warning("Your study does not have any completed trials.")
    else:
        trials, values = plotted_trials(study, target, target_name, where)
        objectives = values.reshape(-1, 1)
        names = [target_name]
        colors = objectives[:, 0]
        direction = study.direction if target is None else None
        if direction == StudyDirection.MINIMIZE:
            order = np.argsort(-colors, kind="stable")
        elif direction == StudyDirection.MAXIMIZE:
            order = np.argsort(colors, kind="stable")
        else:
            order = np.arange(len(trials))
        color_title, reverse_scale = target_name, is_reverse_scale(direction)
    empty = ParallelCoordinateInfo(
        [], np.zeros(0), color_title, reverse_scale, all_objectives, None, np.zeros(0, int)
    )
    if not trials:
        return empty
    param_names = select_params(trials, params, where)
    if not param_names:
        return empty
    trials = [trials[i] for i in order]
    dimensions = [_numeric_dimension(name, objectives[order, i]) for i, name in enumerate(names)]
    dimensions += [_param_dimension(trials, name) for name in param_names]
    feasible = None
    if any(t.constraints for t in trials):
        feasible = np.array([is_feasible(t) for t in trials], dtype=bool)
    return ParallelCoordinateInfo(
        dimensions=dimensions,
        colors=colors[order],
        color_title=color_title,
        reverse_scale=reverse_scale,
        is_rank_color=all_objectives,
        feasible=feasible,
        numbers=np.array([t.number for t in trials], dtype=int),
    )


def _linear_ticks(low: float, high: float, integer: bool = False) -> list[float]:
    """Five even ticks from ``low`` to ``high``; whole numbers only for an int param."""
    if low == high:
        return [low]
    ticks = np.linspace(low, high, 5)
    if integer:
        ticks = np.unique(np.round(ticks))
    return [float(t) for t in ticks]


def _numeric_dimension(label: str, values: np.ndarray) -> Dimension:
    low, high = float(values.min()), float(values.max())
    ticks = _linear_ticks(low, high)
    return Dimension(label, values, low, high, ticks, [format_number(t) for t in ticks], False)


def _param_dimension(trials: list[FrozenTrial], name: str) -> Dimension:
    has = np.array([name in t.params for t in trials], dtype=bool)
    present = [t for t, h in zip(trials, has) if h]
    axis = param_axis(present, name)
    positions = np.zeros(len(trials))
    positions[has] = axis.positions([t.params[name] for t in present])
    missing = not has.all()
    if axis.is_categorical:
        # Category i sits at i, or at i + 1 below a "None" slot for the trials without it.
        shift = 1.0 if missing else 0.0
        positions[has] += shift
        ticks = np.arange(len(axis.categories) + shift).tolist()
        labels = [MISSING_LABEL] * int(shift) + [
            f"{c} (value)" if missing and c == MISSING_LABEL else c for c in axis.categories
        ]
        return Dimension(name, positions, 0.0, ticks[-1], ticks, labels, True)
    if axis.is_log:
        positions[has] = np.log10(positions[has])
    low, high = float(positions[has].min()), float(positions[has].max())
    if axis.is_log:
        ticks = _log_ticks(low, high)
        labels = [format_number(10**t) for t in ticks]
    else:
        is_int = isinstance(first_distribution(present, name), IntDistribution)
        ticks = _linear_ticks(low, high, is_int)
        labels = [format_number(t) for t in ticks]
    if missing:
        slot = low - 1.0 if low == high else low - (high - low) * MISSING_GAP / (1 - MISSING_GAP)
        positions[~has] = slot
        ticks, labels, low = [slot, *ticks], [MISSING_LABEL, *labels], slot
    return Dimension(name, positions, low, high, ticks, labels, axis.is_log or missing)


def _log_ticks(low: float, high: float) -> list[float]:
    """Ticks of a log axis, in log10: the whole powers of ten in range, and the ends unless a
    power of ten is close to them; five even steps when the range spans under a decade."""
    powers = [float(p) for p in range(math.ceil(low), math.floor(high) + 1)]
    if len(powers) < 2:
        return _linear_ticks(low, high)
    near = 0.25 * max(1.0, (high - low) / 6)
    ticks = [low] if powers[0] - low > near else []
    ticks += powers
    if high - powers[-1] > near:
        ticks.append(high)
    return ticks


def plot_parallel_coordinate(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot each trial as a line across one vertical axis per objective and param.

    The objective comes first and colours the lines. Drawn with plotly's interactive
    ``Parcoords``: dragging along an axis filters the lines. A log-scaled param is drawn on
    a log10 axis whose ticks show the values; a categorical one has one tick per category;
    a trial without a (conditional) param passes through a "None" tick at the bottom of its
    axis. On a multi-objective study without ``target``, every objective gets an axis and
    the lines are coloured by Pareto rank (0 is the Pareto front).

    Args:
        study: The study whose completed trials are plotted.
        params: The params to plot; all params of the study by default.
        target: The value to plot for a trial; without it, a multi-objective study shows all
            its objectives.
        target_name: Title of the objective axis and of the colour bar.

    Returns:
        A ``plotly.graph_objects.Figure`` holding one ``Parcoords`` trace; empty when the
        study has no completed trials (with a logged warning) or no params.

    Raises:
        ValueError: a param is not in the study.
    """
    go = plotly_go("plot_parallel_coordinate")
    info = parallel_coordinate_info(study, params, target, target_name)
    return _figure(go, info)


def _figure(go: Any, info: ParallelCoordinateInfo) -> Any:
    layout = {"title": TITLE}
    if not info.dimensions:
        return go.Figure(layout=layout)
    dimensions = []
    for dim in info.dimensions:
        entry: dict[str, Any] = {
            "label": dim.label,
            "values": dim.values.tolist(),
            "range": [dim.low, dim.high],
        }
        if dim.has_custom_ticks:
            entry.update(tickvals=dim.tickvals, ticktext=dim.ticktext)
        dimensions.append(entry)
    colorbar: dict[str, Any] = {"title": {"text": info.color_title}}
    line: dict[str, Any] = {
        "color": info.colors.tolist(),
        "colorscale": COLOR_SCALE,
        "reversescale": info.reverse_scale,
        "showscale": True,
        "colorbar": colorbar,
    }
    if info.is_rank_color:
        top = int(info.colors.max())
        line.update(cmin=-0.5, cmax=top + 0.5)
        colorbar["tickvals"] = list(range(top + 1))
    trace = go.Parcoords(dimensions=dimensions, line=line, labelangle=-20, labelside="top")
    figure = go.Figure(data=[trace], layout=layout)
    figure.update_layout(margin={"t": 110})
    return figure
