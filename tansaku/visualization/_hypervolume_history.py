"""The hypervolume history: the volume the feasible Pareto front dominates, trial by trial."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._pareto import hypervolume, pareto_front_mask, to_loss
from tansaku.logging import get_logger
from tansaku.visualization._utils import is_feasible, plotly_go

if TYPE_CHECKING:
    from tansaku.study import Study

_logger = get_logger(__name__)

TITLE = "Hypervolume History Plot"


@dataclass(frozen=True)
class HypervolumeHistoryInfo:
    """The hypervolume after each completed trial.

    Attributes:
        numbers: The completed trials' numbers, in order.
        values: The hypervolume of the feasible Pareto front of the completed trials up to
            and including each one.
    """

    numbers: list[int]
    values: list[float]


def hypervolume_history_info(
    study: Study, reference_point: Sequence[float], where: str = "plot_hypervolume_history"
) -> HypervolumeHistoryInfo:
    """Compute the hypervolume after each completed trial (see
    :func:`plot_hypervolume_history`).

    Raises:
        ValueError: the study has a single objective, or ``reference_point`` does not have
            one value per objective.
    """
    from tansaku.trial import TrialState

    n_objectives = len(study.directions)
    if n_objectives < 2:
        raise ValueError(
            f"{where}: the study has a single objective; the hypervolume needs several "
            "(use plot_optimization_history for one objective)"
        )
    reference = np.asarray(reference_point, dtype=float).reshape(-1)
    if len(reference) != n_objectives:
        raise ValueError(
            f"{where}: reference_point must have one value per objective ({n_objectives}), "
            f"got {len(reference)}"
        )
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not trials:
        _logger.warning("Your study does not have any completed trials.")
    feasible = np.array([is_feasible(t) for t in trials], dtype=bool)
    losses = to_loss([t.values for t in trials], study.directions)  # (n, m)
    reference_loss = to_loss([reference], study.directions)[0]
    # Only the points strictly better than the reference everywhere add volume.
    counts = feasible & np.all(losses < reference_loss, axis=1)
    if not feasible.any():
        _logger.warning("Your study does not have any feasible trials.")
    values = []
    front = np.zeros((0, n_objectives))
    volume = 0.0
    for loss, useful in zip(losses, counts):
        # The volume only changes when a point lands outside the dominated region.
        if useful and not np.any(np.all(front <= loss, axis=1)):
            front = np.vstack([front, loss])
            front = front[pareto_front_mask(front)]
            volume = hypervolume(front, reference_loss)
        values.append(volume)
    return HypervolumeHistoryInfo([t.number for t in trials], values)


def plot_hypervolume_history(study: Study, reference_point: Sequence[float]) -> Any:
    """Plot the hypervolume of the Pareto front after each completed trial.

    The hypervolume is the volume that the feasible Pareto front dominates, bounded by
    ``reference_point``; it never decreases. Trials that break a constraint, and trials no
    better than the reference point in every objective, add nothing. It is computed exactly,
    and only when a trial improves the front.

    Args:
        study: A multi-objective study.
        reference_point: A point worse than the region of interest in every objective, one
            value per objective (in the objectives' own directions).

    Returns:
        A ``plotly.graph_objects.Figure``; empty lines when the study has no completed trials
        (with a logged warning).

    Raises:
        ValueError: the study has a single objective, or ``reference_point`` does not have
            one value per objective.
    """
    go = plotly_go("plot_hypervolume_history")
    info = hypervolume_history_info(study, reference_point)
    layout = {"title": TITLE, "xaxis": {"title": "Trial"}, "yaxis": {"title": "Hypervolume"}}
    trace = go.Scatter(x=info.numbers, y=info.values, mode="lines+markers", name="Hypervolume")
    return go.Figure(data=[trace], layout=layout)
