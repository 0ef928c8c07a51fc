"""The Pareto-front plot: the trials in objective space, the non-dominated ones highlighted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.deprecation import warn_deprecated
from tansaku._pareto import pareto_front_mask, to_loss
from tansaku.logging import get_logger
from tansaku.visualization._utils import INFEASIBLE_COLOR, hover_text, is_feasible, plotly_go

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)

TITLE = "Pareto-front Plot"


@dataclass(frozen=True)
class TrialGroup:
    """Trials drawn alike, with the target values of each (one row per trial)."""

    trials: list[FrozenTrial]
    values: np.ndarray  # (n_trials, n_targets)

    @property
    def numbers(self) -> list[int]:
        return [t.number for t in self.trials]


@dataclass(frozen=True)
class ParetoFrontInfo:
    """Everything the Pareto-front plot draws.

    Attributes:
        target_names: The axis titles, one per target (2 or 3).
        best: The feasible trials no other feasible trial dominates (by the study's
            objectives and directions).
        dominated: The other feasible trials; empty unless dominated trials are included.
        infeasible: The trials that break a constraint.
        has_constraints: Whether any trial has constraints, so feasibility is shown.
    """

    target_names: list[str]
    best: TrialGroup
    dominated: TrialGroup
    infeasible: TrialGroup
    has_constraints: bool

    @property
    def n_targets(self) -> int:
        return len(self.target_names)


def pareto_front_info(
    study: Study,
    target_names: list[str] | None,
    include_dominated_trials: bool,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None,
) -> ParetoFrontInfo:
    """Split the completed trials into best, dominated and infeasible ones, with their target
    values (see :func:`plot_pareto_front`)."""
    from tansaku.trial import TrialState

    if constraints_func is not None:
        warn_deprecated(
            "plot_pareto_front(constraints_func=...)",
            "the constraints stored with each trial (a sampler's constraints_func or "
            "trial.set_constraint), which are shown without it",
            stacklevel=4,
        )
    if targets is None and len(study.directions) not in (2, 3):
        raise ValueError(
            f"plot_pareto_front: the study has {len(study.directions)} objective(s); without "
            "targets= it plots studies of 2 or 3 objectives only"
        )
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if constraints_func is not None:
        feasible_mask = [all(c <= 0.0 for c in constraints_func(t)) for t in trials]
        has_constraints = True
    else:
        feasible_mask = [is_feasible(t) for t in trials]
        has_constraints = any(t.constraints for t in trials)
    feasible = [t for t, f in zip(trials, feasible_mask) if f]
    infeasible = [t for t, f in zip(trials, feasible_mask) if not f]
    on_front = pareto_front_mask(to_loss([t.values for t in feasible], study.directions))
    best = [t for t, b in zip(feasible, on_front) if b]
    dominated = (
        [t for t, b in zip(feasible, on_front) if not b] if include_dominated_trials else []
    )
    if not best:
        what = "completed and feasible" if has_constraints else "completed"
        _logger.warning(f"Your study does not have any {what} trials.")

    groups = [_group(g, targets) for g in (best, dominated, infeasible)]
    sized = [g.values.shape[1] for g in groups if len(g.trials)]
    if sized:
        n_targets = sized[0]
    elif target_names is not None:
        n_targets = len(target_names)
    elif targets is None:
        n_targets = len(study.directions)
    else:
        raise ValueError(
            "plot_pareto_front: the study has no completed trials to infer the number of "
            "targets from; pass target_names= along with targets="
        )
    if n_targets not in (2, 3):
        raise ValueError(f"plot_pareto_front: targets must return 2 or 3 values, got {n_targets}")
    if target_names is None:
        target_names = study.metric_names or [f"Objective {i}" for i in range(n_targets)]
    elif len(target_names) != n_targets:
        raise ValueError(
            f"plot_pareto_front: target_names must have {n_targets} names (one per target), "
            f"got {len(target_names)}"
        )
    best_group, dominated_group, infeasible_group = (
        g if g.trials else TrialGroup([], np.zeros((0, n_targets))) for g in groups
    )
    return ParetoFrontInfo(
        list(target_names), best_group, dominated_group, infeasible_group, has_constraints
    )


def _group(
    trials: list[FrozenTrial], targets: Callable[[FrozenTrial], Sequence[float]] | None
) -> TrialGroup:
    rows = []
    for trial in trials:
        values = trial.values if targets is None else targets(trial)
        if not isinstance(values, Sequence | np.ndarray):
            raise ValueError(
                "plot_pareto_front: targets must return a sequence of values, got "
                f"{values!r} for trial {trial.number}"
            )
        rows.append([float(v) for v in values])
    width = len(rows[0]) if rows else 0
    return TrialGroup(trials, np.array(rows, dtype=float).reshape(len(rows), width))


def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Any:
    """Plot the completed trials in objective space, highlighting the Pareto front.

    The best trials (feasible ones that no other feasible trial dominates) are red, the other
    feasible trials blue, both shaded by trial number; trials that break a constraint are
    grey. Constraints come from the trials themselves (set by a sampler's
    ``constraints_func`` or with ``trial.set_constraint``).

    Args:
        study: A study of 2 or 3 objectives (or any number, with ``targets``).
        target_names: The axis titles; the study's metric names, else "Objective i".
        include_dominated_trials: Also draw the feasible trials off the Pareto front.
        constraints_func: Deprecated: decides feasibility from a trial instead of the
            constraints stored with it.
        targets: The 2 or 3 values to plot for a trial; its objective values by default.

    Returns:
        A ``plotly.graph_objects.Figure`` with a 2-D or a 3-D scatter.

    Raises:
        ValueError: the study has neither 2 nor 3 objectives and no ``targets`` is given,
            ``targets`` returns other than 2 or 3 values, or ``target_names`` has the wrong
            length.
    """
    go = plotly_go("plot_pareto_front")
    info = pareto_front_info(
        study, target_names, include_dominated_trials, constraints_func, targets
    )
    return _figure(go, info)


def _figure(go: Any, info: ParetoFrontInfo) -> Any:
    groups: list[tuple[TrialGroup, str, dict[str, Any]]] = []
    if info.has_constraints:
        groups.append((info.infeasible, "Infeasible Trial", {"color": INFEASIBLE_COLOR}))
    shaded = {"line": {"width": 0.5, "color": "Grey"}}
    groups.append(
        (
            info.dominated,
            "Feasible Trial" if info.has_constraints else "Trial",
            {
                **shaded,
                "color": info.dominated.numbers,
                "colorscale": "Blues",
                "colorbar": {"title": {"text": "Trial"}},
            },
        )
    )
    groups.append(
        (
            info.best,
            "Best Trial",
            {
                **shaded,
                "color": info.best.numbers,
                "colorscale": "Reds",
                "colorbar": {
                    "title": {"text": "Best Trial"},
                    # Beside the "Trial" colour bar when there is one.
                    "x": 1.1 if info.dominated.trials else 1.02,
                    "xpad": 40,
                },
            },
        )
    )
    data = []
    for group, name, marker in groups:
        if "colorscale" in marker:
            marker["showscale"] = bool(group.trials)
        if info.n_targets == 3:
            marker["size"] = 5
        coordinates = dict(zip("xyz", group.values.T.tolist()))
        scatter = go.Scatter if info.n_targets == 2 else go.Scatter3d
        data.append(
            scatter(
                **coordinates,
                mode="markers",
                name=name,
                marker=marker,
                text=[hover_text(t) for t in group.trials],
                hovertemplate=f"%{{text}}<extra>{name}</extra>",
            )
        )
    layout: dict[str, Any] = {
        "title": TITLE,
        "legend": {"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"},
    }
    titles = {f"{axis}axis_title": name for axis, name in zip("xyz", info.target_names)}
    if info.n_targets == 2:
        layout.update(titles)
    else:
        layout["scene"] = titles
    return go.Figure(data=data, layout=layout)
