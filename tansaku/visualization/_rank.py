"""The rank plot: each pair of params, with every trial coloured by the rank of its target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.logging import get_logger
from tansaku.visualization._param_utils import (
    ParamAxis,
    format_number,
    param_axis,
    plotly_matrix,
    plotly_values,
    select_params,
    style_plotly_axes,
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

_logger = get_logger(__name__)

COLOR_SCALE = "RdYlBu_r"
# Where the colour bar is labelled: the quantiles of the target.
TICK_FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)
TICK_NAMES = ("min.", "25%", "50%", "75%", "max.")


@dataclass(frozen=True)
class RankPanel:
    """One pair of params, over the trials that have both.

    Attributes:
        x: The axis of the horizontal param.
        y: The axis of the vertical param.
        xs: Position of each trial on ``x`` (the category index for a category).
        ys: Position of each trial on ``y``.
        targets: Each trial's target value.
        ranks: Each trial's rank among all drawn trials, scaled to [0, 1] (0 the lowest
            target; tied trials share their mean rank); the colour of its marker.
        feasible: Whether each trial satisfies its constraints (the others are grey).
        numbers: Each trial's number.
    """

    x: ParamAxis
    y: ParamAxis
    xs: np.ndarray
    ys: np.ndarray
    targets: np.ndarray
    ranks: np.ndarray
    feasible: np.ndarray
    numbers: np.ndarray


@dataclass(frozen=True)
class RankInfo:
    """Everything the rank plot draws.

    Attributes:
        params: The params, sorted. One panel for one or two params (a single param is drawn
            against itself), a matrix of every pair for more.
        panels: The panel of each (x param, y param) pair drawn.
        title: The plot's title, naming the target.
        ticks: The colour bar's ticks: (scaled rank, label naming the quantile and its value).
    """

    params: list[str]
    panels: dict[tuple[str, str], RankPanel]
    title: str
    ticks: list[tuple[float, str]]


def rank_info(
    study: Study,
    params: list[str] | None,
    target: Callable[[FrozenTrial], float] | None,
    target_name: str,
    where: str = "plot_rank",
) -> RankInfo:
    """Compute the panels of the rank plot (see :func:`plot_rank`)."""
    trials, targets = plotted_trials(study, target, target_name, where)
    title = f"Rank ({target_name})"
    if not trials:
        return RankInfo([], {}, title, [])
    names = select_params(trials, params, where)
    if not names:
        _logger.warning("params is an empty list.")
        return RankInfo([], {}, title, [])
    from scipy.stats import rankdata

    ranks = (rankdata(targets) - 1) / max(len(targets) - 1, 1)
    if len(targets) == 1:
        ranks = np.array([0.5])
    feasible = np.array([is_feasible(t) for t in trials], dtype=bool)
    numbers = np.array([t.number for t in trials], dtype=int)
    axes = {
        name: param_axis([t for t in trials if name in t.params], name, True) for name in names
    }
    if len(names) <= 2:
        pairs = [(names[0], names[-1])]
    else:
        pairs = [(x, y) for y in names for x in names]
    panels = {}
    for x_name, y_name in pairs:
        keep, kept = trials_with(trials, [x_name, y_name])
        panels[x_name, y_name] = RankPanel(
            x=axes[x_name],
            y=axes[y_name],
            xs=axes[x_name].positions([t.params[x_name] for t in kept]),
            ys=axes[y_name].positions([t.params[y_name] for t in kept]),
            targets=targets[keep],
            ranks=ranks[keep],
            feasible=feasible[keep],
            numbers=numbers[keep],
        )
    quantiles = np.quantile(targets, TICK_FRACTIONS)
    ticks = [
        (fraction, f"{name} ({format_number(value)})")
        for fraction, name, value in zip(TICK_FRACTIONS, TICK_NAMES, quantiles)
    ]
    return RankInfo(names, panels, title, ticks)


def plot_rank(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """Plot the trials over each pair of params, coloured by the rank of their target.

    Colouring by rank rather than by value keeps the picture readable when a few trials have
    extreme values. The colour bar names the target's quantiles. Infeasible trials are grey.
    A panel holds the trials that have both of its params, so conditional params are handled.
    Log-scaled params are on log axes, categorical ones on category axes.

    Args:
        study: The study whose completed trials are plotted.
        params: The params to plot; all params of the study by default.
        target: The value to plot for a trial; needed when the study has several objectives.
        target_name: Name of the target in the title.

    Returns:
        A ``plotly.graph_objects.Figure``; empty when the study has no completed trials (with
        a logged warning).

    Raises:
        ValueError: ``target`` is missing on a multi-objective study, or a param is not in the
            study.
    """
    go = plotly_go("plot_rank")
    info = rank_info(study, params, target, target_name)
    return _figure(go, info)


def _figure(go: Any, info: RankInfo) -> Any:
    names = info.params
    if not names:
        return go.Figure(layout={"title": info.title})
    if len(names) <= 2:
        panel = info.panels[names[0], names[-1]]
        figure = go.Figure(data=_traces(go, panel), layout={"title": info.title})
        style_plotly_axes(figure, panel.x, panel.y, {})
        figure.update_xaxes(title_text=panel.x.name)
        figure.update_yaxes(title_text=panel.y.name)
    else:
        n = len(names)
        figure = plotly_matrix("plot_rank", n, info.title)
        for row, y_name in enumerate(names, start=1):
            for col, x_name in enumerate(names, start=1):
                at = {"row": row, "col": col}
                panel = info.panels[x_name, y_name]
                for trace in _traces(go, panel):
                    figure.add_trace(trace, **at)
                style_plotly_axes(figure, panel.x, panel.y, at)
                if col == 1:
                    figure.update_yaxes(title_text=y_name, **at)
                if row == n:
                    figure.update_xaxes(title_text=x_name, **at)
    figure.add_trace(_colorbar(go, info))
    return figure


def _traces(go: Any, panel: RankPanel) -> list[Any]:
    traces = []
    for feasible in (True, False):
        mask = panel.feasible == feasible
        marker: dict[str, Any] = {"line": {"width": 0.5, "color": "Grey"}}
        if feasible:
            marker.update(color=panel.ranks[mask].tolist(), colorscale=COLOR_SCALE, cmin=0, cmax=1)
        else:
            marker.update(color=INFEASIBLE_COLOR)
        traces.append(
            go.Scatter(
                x=plotly_values(panel.x, panel.xs[mask]),
                y=plotly_values(panel.y, panel.ys[mask]),
                mode="markers",
                name="Feasible Trial" if feasible else "Infeasible Trial",
                marker=marker,
                text=[
                    f"Trial #{number}<br>{format_number(value)}"
                    for number, value in zip(panel.numbers[mask], panel.targets[mask])
                ],
                showlegend=False,
            )
        )
    return traces


def _colorbar(go: Any, info: RankInfo) -> Any:
    """An invisible trace that carries the colour bar of the ranks."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        marker={
            "colorscale": COLOR_SCALE,
            "cmin": 0,
            "cmax": 1,
            "showscale": True,
            "colorbar": {
                "thickness": 10,
                "tickvals": [fraction for fraction, _ in info.ticks],
                "ticktext": [text for _, text in info.ticks],
            },
        },
        hoverinfo="none",
        showlegend=False,
    )
