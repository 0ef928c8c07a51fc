"""Constrained domination (Deb et al. 2002, Sec. IV-A) as ranks, and ``constraints_func``.

A trial is feasible when every constraint value is <= 0; its *violation* is the sum of the
positive ones. Between two trials, the feasible one wins; between two infeasible ones, the
smaller violation; between two feasible ones, Pareto domination. As ranks: the feasible trials
take the non-domination ranks among themselves, then the infeasible ones follow, one rank per
distinct violation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.system_attrs import set_trial_system_attr
from tansaku._pareto import nondomination_ranks, to_loss
from tansaku.trial import FrozenTrial
from tansaku.trial._constraints import CONSTRAINTS_FUNC_KEY, constraints_from_system_attrs

if TYPE_CHECKING:
    from tansaku.study import Study

ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]


def violations(trials: Sequence[FrozenTrial], constraints_required: bool) -> np.ndarray:
    """Total violation of each trial, (n,). A trial without constraint values counts as
    feasible, or, when ``constraints_required`` (a ``constraints_func`` is set), as infeasible
    with an infinite violation, so it loses to every trial that has them."""
    out = np.zeros(len(trials))
    for i, trial in enumerate(trials):
        values = constraints_from_system_attrs(trial.system_attrs)
        if values:
            out[i] = sum(v for v in values.values() if v > 0)
        elif constraints_required:
            out[i] = math.inf
    return out


def losses(study: Study, trials: Sequence[FrozenTrial]) -> np.ndarray:
    """The trials' values as losses (maximized objectives negated), (n, n_objectives)."""
    values = np.array([t.values for t in trials], dtype=float).reshape(
        len(trials), len(study.directions)
    )
    return to_loss(values, study.directions)


def constrained_ranks(
    loss: np.ndarray, violation: np.ndarray, n_needed: int | None = None
) -> np.ndarray:
    """Ranks by constrained domination, (n,) int64: lower is better, equal ranks tie.

    Args:
        loss: Losses, (n, m).
        violation: Total violations, (n,); 0 is feasible.
        n_needed: Rank at least this many rows exactly (see ``nondomination_ranks``).
    """
    feasible = violation <= 0
    ranks = np.empty(len(loss), dtype=np.int64)
    n_feasible = int(feasible.sum())
    feasible_ranks = nondomination_ranks(loss[feasible], n_needed)
    ranks[feasible] = feasible_ranks
    first_infeasible = int(feasible_ranks.max()) + 1 if n_feasible else 0
    if n_feasible < len(loss):
        # One rank per distinct violation, smallest first.
        _, dense = np.unique(violation[~feasible], return_inverse=True)
        ranks[~feasible] = first_infeasible + dense.reshape(-1)
    return ranks


def store_constraints(
    where: str, constraints_func: ConstraintsFunc, study: Study, trial: FrozenTrial
) -> None:
    """Call ``constraints_func`` on a finished trial and store its values with the trial."""
    result: Any = constraints_func(trial)
    call = f"{where}: constraints_func(trial {trial.number})"
    if isinstance(result, str | bytes) or not isinstance(result, Sequence | np.ndarray):
        raise TypeError(
            f"{call} returned {result!r} of type {type(result).__name__}; it must return a "
            "sequence of floats"
        )
    values: list[float] = []
    for value in result:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"{call} returned {result!r}; every value must be a float")
        if math.isnan(float(value)):
            raise ValueError(f"{call} returned {result!r}; constraint values cannot be NaN")
        values.append(float(value))
    set_trial_system_attr(study, trial._trial_id, CONSTRAINTS_FUNC_KEY, values)
