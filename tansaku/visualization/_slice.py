"""The slice plot: the target against each param's value, one panel per param."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.visualization._param_utils import (
    ParamAxis,
    param_axis,
    plotly_subplots,
    plotly_values,
    select_params,
    style_plotly_axis,
    trials_with,
)
from tansaku.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    is_feasible,
    plotly_go,
    plotted_trials,
)

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

TITLE = "Slice Plot"
COLOR_SCALE = "Blues"


@dataclass(frozen=True)
class SlicePanel:
    """One param: the trials that have it, where they sit on its axis and their target.

    Attributes:
        axis: The param's axis.
        values: Each trial's value of the param (as the user gave it).
        positions: Where each trial sits on the axis (the category index for a category).
        targets: Each trial's target value.
        numbers: Each trial's number, which colours its marker.
        feasible: Whether each trial satisfies its constraints.
    """

    axis: ParamAxis
    values: list[Any]
    positions: np.ndarray
    targets: np.ndarray
    numbers: np.ndarray
    feasible: np.ndarray


@dataclass(frozen=True)
class SliceInfo:
    """The panels of the slice plot, one per param in sorted order, and the y axis title."""

    panels: list[SlicePanel]
    target_name: str


def slice_info(
    study: Study,
    params: list[str] | None,
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
    where: str = "plot_slice",
) -> SliceInfo:
    """Compute the panels of the slice plot (see :func:`plot_slice`)."""
    trials, targets = plotted_trials(study, target, target_name, where)
    if not trials:
        return SliceInfo([], target_name)
    panels = []
    for name in select_params(trials, params, where):
        keep, kept = trials_with(trials, [name])
        axis = param_axis(kept, name)
        param_values = [t.params[name] for t in kept]
        panels.append(
            SlicePanel(
                axis=axis,
                values=param_values,
                positions=axis.positions(param_values),
                targets=targets[keep],
                numbers=np.array([t.number for t in kept], dtype=int),
                feasible=np.array([is_feasible(t) for t in kept], dtype=bool),
            )
        )
    return SliceInfo(panels, target_name)


def plot_slice(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot the target against the value of each param, one panel per param.

    Markers are coloured by trial number, so the later trials stand out; infeasible trials
    are grey. A panel holds the trials that have its param, so conditional params are
    handled. Log-scaled params are on log axes, categorical ones on category axes in the
    order of their choices.

    Args:
        study: The study whose completed trials are plotted.
        params: The params to plot; all params of the study by default.
        target: The value to plot for a trial; needed when the study has several objectives.
        target_name: Title of the y axis.

    Returns:
        A ``plotly.graph_objects.Figure``; empty when the study has no completed trials (with
        a logged warning).

    Raises:
        ValueError: ``target`` is missing on a multi-objective study, or a param is not in the
            study.
    """
    go = plotly_go("plot_slice")
    info = slice_info(study, params, target, target_name)
    return _figure(go, info)


def _figure(go: Any, info: SliceInfo) -> Any:
    n = len(info.panels)
    if n == 0:
        return go.Figure(layout={"title": TITLE})
    if n == 1:
        figure = go.Figure(layout={"title": TITLE})
    else:
        subplots = plotly_subplots("plot_slice")
        figure = subplots.make_subplots(rows=1, cols=n, shared_yaxes=True)
        figure.update_layout(title=TITLE)
        if n > 3:
            figure.update_layout(width=300 * n)
    low = int(min(p.numbers.min() for p in info.panels))
    high = int(max(p.numbers.max() for p in info.panels))
    for col, panel in enumerate(info.panels, start=1):
        at = {"row": 1, "col": col} if n > 1 else {}
        for trace in _traces(go, panel, (low, high), showscale=col == 1):
            figure.add_trace(trace, **at)
        figure.update_xaxes(title_text=panel.axis.name, **at)
        style_plotly_axis(figure.update_xaxes, panel.axis, at)
        if col == 1:
            figure.update_yaxes(title_text=info.target_name, **at)
    return figure


def _traces(go: Any, panel: SlicePanel, numbers: tuple[int, int], showscale: bool) -> list[Any]:
    def xs(mask: np.ndarray) -> list[Any]:
        return plotly_values(panel.axis, panel.positions[mask])

    feasible = panel.feasible
    traces = [
        go.Scatter(
            x=xs(feasible),
            y=panel.targets[feasible].tolist(),
            mode="markers",
            name="Feasible Trial",
            text=[f"Trial {number}" for number in panel.numbers[feasible]],
            marker={
                "color": panel.numbers[feasible].tolist(),
                "colorscale": COLOR_SCALE,
                "cmin": numbers[0],
                "cmax": numbers[1],
                "showscale": showscale,
                "colorbar": {"title": {"text": "Trial"}},
                "line": {"width": 0.5, "color": "Grey"},
            },
            showlegend=False,
        )
    ]
    if not feasible.all():
        traces.append(
            go.Scatter(
                x=xs(~feasible),
                y=panel.targets[~feasible].tolist(),
                mode="markers",
                name="Infeasible Trial",
                text=[f"Trial {number}" for number in panel.numbers[~feasible]],
                marker={"color": INFEASIBLE_COLOR},
                showlegend=False,
            )
        )
    return traces
