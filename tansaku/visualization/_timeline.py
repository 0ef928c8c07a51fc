"""The timeline: one horizontal bar per trial from its start to its end, coloured by state."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid
from tansaku.logging import get_logger
from tansaku.visualization._utils import figure_of, hover_text, is_feasible, plotly_go

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

TITLE = "Timeline Plot"
INFEASIBLE = "INFEASIBLE"
# Legend categories in drawing order, each with its colour (names of matplotlib's tab10).
CATEGORY_COLORS = {
    INFEASIBLE: "#cccccc",
    "COMPLETE": "tab:blue",
    "FAIL": "tab:red",
    "PRUNED": "tab:orange",
    "RUNNING": "tab:green",
    "WAITING": "tab:gray",
}
PLOTLY_COLORS = {
    INFEASIBLE: "#cccccc",
    "COMPLETE": "blue",
    "FAIL": "red",
    "PRUNED": "orange",
    "RUNNING": "green",
    "WAITING": "gray",
}
# A trial without a start or an end still gets a bar this long, so that it can be seen.
_SHORTEST_BAR = datetime.timedelta(seconds=1)
# A RUNNING trial that started longer ago than this many times the longest finished trial is
# probably a dead worker's, so "now" is not used as the end of the plot for it.
_STALE_FACTOR = 5


@dataclass(frozen=True)
class TimelineBar:
    """One trial's bar.

    Attributes:
        number: The trial number, the bar's row.
        start: When the trial started (the plot's end for a trial not started yet).
        end: When it finished; for a running trial, now (or the plot's end).
        category: Its state's name, or ``INFEASIBLE`` for a completed trial that breaks a
            constraint.
        hover: The text shown when hovering the bar.
    """

    number: int
    start: datetime.datetime
    end: datetime.datetime
    category: str
    hover: str


def _plot_end(trials: list[FrozenTrial]) -> datetime.datetime:
    """Where the time axis ends: now while a trial is running, else the last completion."""
    from tansaku.trial import TrialState

    now = datetime.datetime.now()
    durations = [
        t.datetime_complete - t.datetime_start
        for t in trials
        if t.datetime_complete is not None and t.datetime_start is not None
    ]
    longest = max(durations, default=None)
    for trial in trials:
        if trial.state != TrialState.RUNNING or trial.datetime_start is None:
            continue
        if longest is None or now - trial.datetime_start < _STALE_FACTOR * longest:
            return now
    return max((t.datetime_complete for t in trials if t.datetime_complete), default=now)


def timeline_bars(study: Study, n_recent_trials: int | None = None) -> list[TimelineBar]:
    """The bars of all trials, or of the last ``n_recent_trials``; empty, with a logged
    warning, for a study without trials."""
    from tansaku.trial import TrialState

    if n_recent_trials is not None and n_recent_trials <= 0:
        raise invalid("plot_timeline", "n_recent_trials", n_recent_trials, "must be > 0 or None")
    trials = study.get_trials(deepcopy=False)
    plot_end = _plot_end(trials)
    if n_recent_trials is not None:
        trials = trials[-n_recent_trials:]
    bars = []
    for trial in trials:
        start = trial.datetime_start or plot_end
        if trial.state == TrialState.RUNNING:
            end = max(plot_end, start) + _SHORTEST_BAR
        else:
            end = trial.datetime_complete or start + _SHORTEST_BAR
        if end < start:
            _logger.warning(
                f"Trial {trial.number} ends ({end}) before it starts ({start}); its bar is "
                "drawn backwards."
            )
        category = trial.state.name
        if trial.state == TrialState.COMPLETE and not is_feasible(trial):
            category = INFEASIBLE
        bars.append(TimelineBar(trial.number, start, end, category, hover_text(trial)))
    if not bars:
        _logger.warning("The study has no trials to plot.")
    return bars


def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Any:
    """Plot each trial as a horizontal bar from its start to its end, coloured by its state.

    Running trials reach to now; waiting trials, not started yet, are short bars at the end.
    Completed trials that break a constraint are grey (``INFEASIBLE`` in the legend).

    Args:
        study: The study whose trials are plotted.
        n_recent_trials: Plot only the last this many trials; None plots all of them.

    Returns:
        A ``plotly.graph_objects.Figure``; for a study without trials it has no data, and a
        warning is logged.

    Raises:
        ValueError: If ``n_recent_trials`` is 0 or negative.
    """
    go = plotly_go("plot_timeline")
    bars = timeline_bars(study, n_recent_trials)
    traces: list[tuple[Any, dict[str, Any]]] = []
    for category, color in PLOTLY_COLORS.items():
        selected = [b for b in bars if b.category == category]
        if not selected:
            continue
        bar = go.Bar(
            name=category,
            hovertemplate="%{text}<extra>" + category + "</extra>",
            textposition="none",
            orientation="h",
            marker={"color": color},
        )
        arrays = {
            # A date axis measures bar lengths in milliseconds from each bar's base.
            "x": [(b.end - b.start).total_seconds() * 1000 for b in selected],
            "y": [b.number for b in selected],
            "base": [b.start.isoformat() for b in selected],
            "text": [b.hover for b in selected],
        }
        traces.append((bar, arrays))
    layout = go.Layout(
        title=TITLE,
        xaxis={"type": "date", "title": "Datetime"},
        yaxis={"title": "Trial"},
        showlegend=True,
    )
    return figure_of(go, traces, layout)
