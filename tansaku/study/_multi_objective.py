"""Pareto fronts and feasibility, vectorized over all trials at once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku.trial import FrozenTrial
from tansaku.trial._constraints import CONSTRAINT_PREFIX, CONSTRAINTS_FUNC_KEY


def constraint_values(trial: FrozenTrial) -> list[float] | None:
    """All constraint values of a trial (``constraints_func`` and ``set_constraint``), or None."""
    attrs = trial.system_attrs
    values: list[float] = list(attrs.get(CONSTRAINTS_FUNC_KEY) or ())
    values.extend(v for k, v in attrs.items() if k.startswith(CONSTRAINT_PREFIX))
    if not values and CONSTRAINTS_FUNC_KEY not in attrs:
        return None
    return values


def is_feasible(trial: FrozenTrial) -> bool:
    """True when the trial set no constraints or every value is <= 0."""
    values = constraint_values(trial)
    return values is None or all(v <= 0.0 for v in values)


def to_loss(values: np.ndarray, directions: Sequence[StudyDirection]) -> np.ndarray:
    """Flip maximized columns so that smaller is better in every column."""
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    return values * signs


def is_pareto_front(loss: np.ndarray, assume_unique_lexsorted: bool = False) -> np.ndarray:
    """Mask of the rows of ``loss`` (n, m) that no other row dominates (all <= and one <).

    Equal rows are all on the front.
    """
    n = loss.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    unique, inverse = np.unique(loss, axis=0, return_inverse=True)  # sorted lexicographically
    inverse = inverse.reshape(-1)
    on_front = np.ones(len(unique), dtype=bool)
    # A row can only be dominated by a row that sorts before it lexicographically.
    remaining = np.arange(len(unique))
    while remaining.size:
        head = unique[remaining[0]]
        dominated = np.all(head <= unique[remaining], axis=1) & np.any(
            head < unique[remaining], axis=1
        )
        on_front[remaining[dominated]] = False
        remaining = remaining[1:][~dominated[1:]]
    return on_front[inverse]


def pareto_front_trials(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """The COMPLETE trials (given) that no other one dominates, in the given order."""
    if not trials:
        return []
    values = np.array([t.values for t in trials], dtype=float)  # (n_trials, n_objectives)
    mask = is_pareto_front(to_loss(values, directions))
    return [t for t, keep in zip(trials, mask) if keep]
