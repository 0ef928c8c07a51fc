"""What GPSampler fits: the rows, losses and constraint values of a study's trials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tansaku._gp import GPSpace
from tansaku._pareto import to_loss
from tansaku.trial import FrozenTrial, TrialState
from tansaku.trial._constraints import CONSTRAINTS_FUNC_KEY

if TYPE_CHECKING:
    from tansaku.study import Study


@dataclass(frozen=True)
class Observations:
    """The trials a GP learns from, as arrays.

    Attributes:
        rows: Rows of the completed trials, (n, d).
        losses: Their values as losses (maximized objectives negated), (n, m).
        constraints: Their ``constraints_func`` values, (n, c), or None without one.
        running: Rows of the running trials that have every param of the space, (r, d).
    """

    rows: np.ndarray
    losses: np.ndarray
    constraints: np.ndarray | None
    running: np.ndarray


def collect(
    study: Study,
    trial: FrozenTrial,
    space: GPSpace,
    trials: Sequence[FrozenTrial],
    with_constraints: bool,
) -> Observations:
    """The observations of ``trials`` (the study's completed and running ones) for ``space``.

    Completed trials without every param of the space are left out, and so are, when
    ``with_constraints``, those whose constraints are not stored yet (another worker is
    finishing them). Huge values are kept (standardization copes); infinite ones are clipped
    to the largest finite loss seen.

    Raises:
        ValueError: the stored constraint values of two trials differ in length.
    """
    names = space.names
    complete, running = [], []
    for other in trials:
        if not all(name in other.params for name in names):
            continue
        if other.state == TrialState.COMPLETE:
            if with_constraints and CONSTRAINTS_FUNC_KEY not in other.system_attrs:
                continue
            complete.append(other)
        elif other.state == TrialState.RUNNING and other.number != trial.number:
            running.append(other)
    rows = space.encode([t.params for t in complete])
    values = np.array([t.values for t in complete], dtype=float)
    losses = to_loss(values.reshape(len(complete), len(study.directions)), study.directions)
    constraints = None
    if with_constraints:
        lengths = {len(t.system_attrs[CONSTRAINTS_FUNC_KEY]) for t in complete}
        if len(lengths) > 1:
            raise ValueError(
                "GPSampler: constraints_func must return the same number of values for every "
                f"trial; the completed trials have {sorted(lengths)}"
            )
        n_constraints = lengths.pop() if lengths else 0
        constraints = np.array(
            [t.system_attrs[CONSTRAINTS_FUNC_KEY] for t in complete], dtype=float
        ).reshape(len(complete), n_constraints)
    running_rows = space.encode([t.params for t in running])
    return Observations(_clip_infinite(rows), _clip_infinite(losses), constraints, running_rows)


def _clip_infinite(array: np.ndarray) -> np.ndarray:
    """Replace +-inf by the largest finite magnitude of its column (the worst seen)."""
    if np.all(np.isfinite(array)):
        return array
    finite = np.where(np.isfinite(array), array, np.nan)
    with np.errstate(all="ignore"):
        high = np.nan_to_num(np.nanmax(finite, axis=0, initial=-np.inf), neginf=0.0)
        low = np.nan_to_num(np.nanmin(finite, axis=0, initial=np.inf), posinf=0.0)
    return np.clip(array, low, high)
