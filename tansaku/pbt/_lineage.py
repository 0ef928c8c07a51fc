"""The lineage of a PBT study: a table of its segments and a plot of the members' curves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tansaku.pbt._plan import EXPLOIT, SEGMENT_KEY, Segment

if TYPE_CHECKING:
    from tansaku.study import Study

TITLE = "PBT Lineage Plot"


@dataclass(frozen=True)
class LineageRow:
    """One segment of a PBT study.

    Attributes:
        number: The number of the segment's trial.
        state: The trial's state name (``"COMPLETE"``, ``"RUNNING"``, ...).
        member: The member it trains.
        generation: Its index among the member's segments.
        parent: The trial whose checkpoint it started from (None for a new member).
        action: ``"start"``, ``"continue"``, ``"exploit"`` or ``"branch"``.
        start_step: Steps its checkpoint had trained when it started.
        end_step: The step it trained to.
        value: The trial's value, None unless complete.
        params: The trial's params.
    """

    number: int
    state: str
    member: int
    generation: int
    parent: int | None
    action: str
    start_step: int
    end_step: int
    value: float | None
    params: dict[str, Any]


def lineage(study: Study) -> list[LineageRow]:
    """The segments of ``study`` by trial number: who trained what, starting from whom.

    Trials that no ``PBTSampler`` started are left out.
    """
    from tansaku.trial import TrialState

    rows = []
    for trial in study.get_trials(deepcopy=False):
        data = trial.system_attrs.get(SEGMENT_KEY)
        if data is None:
            continue
        segment = Segment.from_json(data)
        rows.append(
            LineageRow(
                number=trial.number,
                state=trial.state.name,
                member=segment.member,
                generation=segment.generation,
                parent=segment.parent,
                action=segment.action,
                start_step=segment.start_step,
                end_step=segment.end_step,
                value=trial.value if trial.state == TrialState.COMPLETE else None,
                params=dict(trial.params),
            )
        )
    return rows


def plot_lineage(study: Study) -> Any:
    """Plot each member's value against the steps trained, with its exploits drawn in.

    Each complete segment is a point at (end step, value); the segments of a member are joined
    by a line, and a dotted line joins the checkpoint an exploiting segment copied to the
    segment itself, so a jump in a member's curve shows whose weights it took.

    Returns:
        A ``plotly.graph_objects.Figure``.
    """
    from tansaku.visualization._utils import plotly_go

    go = plotly_go("plot_lineage")
    rows = [row for row in lineage(study) if row.value is not None]
    by_number = {row.number: row for row in rows}
    figure = go.Figure()
    for member in sorted({row.member for row in rows}):
        points = sorted((r for r in rows if r.member == member), key=lambda r: r.end_step)
        figure.add_trace(
            go.Scatter(
                x=[r.end_step for r in points],
                y=[r.value for r in points],
                mode="lines+markers",
                name=f"Member {member}",
                text=[f"Trial {r.number} ({r.action}): {r.params}" for r in points],
                hovertemplate="%{text}<br>step %{x}: %{y}<extra></extra>",
            )
        )
    for row in rows:
        if row.action != EXPLOIT or row.parent is None:
            continue
        donor = by_number.get(row.parent)
        if donor is None:
            continue
        figure.add_trace(
            go.Scatter(
                x=[donor.end_step, row.end_step],
                y=[donor.value, row.value],
                mode="lines",
                line={"dash": "dot", "color": "grey"},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    figure.update_layout(title=TITLE, xaxis={"title": "Step"}, yaxis={"title": "Objective Value"})
    return figure
