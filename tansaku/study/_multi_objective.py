"""Feasibility and the Pareto front of trials (the numeric core is :mod:`tansaku._pareto`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku._pareto import pareto_front_mask, to_loss
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


def pareto_front_trials(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """The COMPLETE trials (given) that no other one dominates, in the given order."""
    if not trials:
        return []
    values = np.array([t.values for t in trials], dtype=float)  # (n_trials, n_objectives)
    mask = pareto_front_mask(to_loss(values, directions))
    return [t for t, keep in zip(trials, mask) if keep]
