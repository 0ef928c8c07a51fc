"""The learning curves: each trial's intermediate values by step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tansaku.logging import get_logger
from tansaku.visualization._utils import figure_of, is_feasible, plotly_go

if TYPE_CHECKING:
    from tansaku.study import Study

_logger = get_logger(__name__)

TITLE = "Intermediate Values Plot"
INFEASIBLE_COLOR = "#CCCCCC"
# Past this many curves the plot draws their spread by step instead of one line per trial:
# tens of thousands of lines are one blot, and a browser takes seconds to draw them.
MAX_CURVES = 1000
# The spread drawn past MAX_CURVES: bands between these percentiles, and the median.
BANDS = ((5.0, 95.0), (25.0, 75.0))
_GROUP_COLORS = {"complete": "31, 119, 180", "pruned": "255, 127, 14"}


@dataclass(frozen=True)
class Curve:
    """One trial's intermediate values, sorted by step.

    Attributes:
        number: The trial number.
        steps: The steps it reported, ascending.
        values: The value reported at each step.
        pruned: Whether the trial was pruned; its curve is drawn dashed.
        feasible: Whether it satisfies its constraints; an infeasible curve is grey.
    """

    number: int
    steps: list[int]
    values: list[float]
    pruned: bool
    feasible: bool

    @property
    def label(self) -> str:
        """The curve's name in legends and hover texts."""
        return f"Trial {self.number}" + (" (pruned)" if self.pruned else "")


def intermediate_curves(study: Study) -> list[Curve]:
    """The curves of the complete, pruned and running trials that reported values.

    Logs a warning when there is nothing to draw: no trial at all, or no intermediate value
    (the objective never called ``trial.report``).
    """
    from tansaku.trial import TrialState

    trials = study.get_trials(
        deepcopy=False, states=(TrialState.PRUNED, TrialState.COMPLETE, TrialState.RUNNING)
    )
    curves = []
    for trial in trials:
        if not trial.intermediate_values:
            continue
        steps = sorted(trial.intermediate_values)
        curves.append(
            Curve(
                number=trial.number,
                steps=steps,
                values=[trial.intermediate_values[step] for step in steps],
                pruned=trial.state == TrialState.PRUNED,
                feasible=is_feasible(trial),
            )
        )
    if not trials:
        _logger.warning("The study has no complete, pruned or running trials to plot.")
    elif not curves:
        _logger.warning(
            "No trial reported intermediate values; call trial.report(value, step) in the "
            "objective to plot them."
        )
    return curves


def plot_intermediate_values(study: Study) -> Any:
    """Plot the intermediate values of every trial, one line per trial.

    Pruned trials are drawn with dashed lines and x markers and named ``Trial n (pruned)``,
    so the curves that a pruner stopped stand apart from those that ran to the end; trials
    that break a constraint are grey.

    Past ``MAX_CURVES`` curves (1,000) the plot shows their spread instead, as the title
    says: for the pruned trials and the others (completed or running) apart, the median of
    the finite values reported at each step and the bands between their 5th and 95th and
    their 25th and 75th percentiles.

    Args:
        study: The study whose trials' intermediate values are plotted.

    Returns:
        A ``plotly.graph_objects.Figure``; without intermediate values it has no data, and a
        warning is logged.
    """
    go = plotly_go("plot_intermediate_values")
    curves = intermediate_curves(study)
    if len(curves) > MAX_CURVES:
        return _spread_figure(go, curves)
    layout = go.Layout(
        title=TITLE,
        xaxis={"title": "Step"},
        yaxis={"title": "Intermediate Value"},
        showlegend=False,
    )
    # The traces' look, checked by plotly once per kind of curve (many thousand curves at
    # scale: see figure_of).
    looks: dict[tuple[bool, bool], dict[str, Any]] = {}
    traces: list[tuple[Any, dict[str, Any]]] = []
    for curve in curves:
        look = looks.get((curve.pruned, curve.feasible))
        if look is None:
            marker: dict[str, Any] = {
                "maxdisplayed": 10,
                "symbol": "x" if curve.pruned else "circle",
            }
            line: dict[str, Any] = {"dash": "dash" if curve.pruned else "solid"}
            if not curve.feasible:
                marker["color"] = INFEASIBLE_COLOR
                line["color"] = INFEASIBLE_COLOR
            look = go.Scatter(mode="lines+markers", marker=marker, line=line).to_plotly_json()
            looks[curve.pruned, curve.feasible] = look
        traces.append(({**look, "name": curve.label}, {"x": curve.steps, "y": curve.values}))
    return figure_of(go, traces, layout)


def _spread_figure(go: Any, curves: list[Curve]) -> Any:
    """The percentile bands and median by step of each group of ``curves`` (see above)."""
    import numpy as np

    groups: dict[str, list[Curve]] = {}
    for curve in curves:
        # Running trials' curves join the completed ones: they are few, and still going.
        groups.setdefault("pruned" if curve.pruned else "complete", []).append(curve)
    traces: list[tuple[Any, dict[str, Any]]] = []
    for name, members in sorted(groups.items()):  # complete first: pruned ones drawn on top
        steps = np.fromiter((s for c in members for s in c.steps), dtype=float)
        values = np.fromiter((v for c in members for v in c.values), dtype=float)
        finite = np.isfinite(values)
        steps, values = steps[finite], values[finite]
        order = np.argsort(steps, kind="stable")
        steps, values = steps[order], values[order]
        at, first = np.unique(steps, return_index=True)
        if not len(at):
            continue
        edges = [*BANDS[0], *BANDS[1], 50.0]
        by_step = np.array([np.percentile(part, edges) for part in np.split(values, first[1:])])
        x = at.tolist()
        color = _GROUP_COLORS[name]
        label = f"{name} ({len(members):,} trial{'s' if len(members) > 1 else ''})"
        for index, (low, high) in enumerate(BANDS):
            fill = f"rgba({color}, {0.15 + 0.15 * index})"
            band = f"{label}: {low:g}-{high:g}th percentiles"
            edge = go.Scatter(mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
            traces.append((edge, {"x": x, "y": by_step[:, 2 * index].tolist()}))
            traces.append(
                (
                    go.Scatter(
                        mode="lines",
                        line={"width": 0},
                        fill="tonexty",
                        fillcolor=fill,
                        name=band,
                        legendgroup=name,
                    ),
                    {"x": x, "y": by_step[:, 2 * index + 1].tolist()},
                )
            )
        traces.append(
            (
                go.Scatter(
                    mode="lines",
                    line={
                        "color": f"rgb({color})",
                        "dash": "dash" if name == "pruned" else "solid",
                    },
                    name=f"{label}: median",
                    legendgroup=name,
                ),
                {"x": x, "y": by_step[:, 4].tolist()},
            )
        )
    layout = go.Layout(
        title=f"{TITLE} ({len(curves):,} trials: median and percentile bands by step)",
        xaxis={"title": "Step"},
        yaxis={"title": "Intermediate Value"},
        showlegend=True,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure_of(go, traces, layout)
