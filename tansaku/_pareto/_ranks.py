"""Non-domination ranks of a whole population at once (fast non-dominated sorting).

Deb et al. 2002 (NSGA-II, Sec. III-A): every row gets the index of the front it lies on, 0 for
the rows no other row dominates. The evolutionary samplers rank populations of a few hundred
rows with up to ~10 objectives, so ranking is one (n, n) domination matrix built by numpy and
peeled front by front with counters (no Python loop over rows); bigger inputs are peeled with
:func:`~tansaku._pareto.pareto_front_mask` instead, which never holds an (n, n) matrix.
"""

from __future__ import annotations

import numpy as np

from tansaku._pareto._core import pareto_front_mask

# Above this many rows the (n, n) domination matrix (n * n * m booleans while it is built)
# would cost more memory than peeling fronts one mask at a time.
_MATRIX_MAX_ROWS = 2048


def nondomination_ranks(loss: np.ndarray, n_needed: int | None = None) -> np.ndarray:
    """The front index of every row of ``loss`` (n, m), losses minimized; equal rows share one.

    Args:
        loss: The losses, one row per individual. Rows with NaN are not expected.
        n_needed: Stop once the fronts ranked so far hold at least this many rows; the rows
            left get the rank after the last one peeled. None ranks every row.

    Returns:
        Ranks, (n,) int64: 0 for the first front, 1 for the next, ...
    """
    n = len(loss)
    ranks = np.zeros(n, dtype=np.int64)
    if n == 0:
        return ranks
    limit = n if n_needed is None else min(n, n_needed)
    if n > _MATRIX_MAX_ROWS:
        return _ranks_by_masks(loss, limit)
    # dominated_by[i, j]: row i dominates row j (no worse everywhere, better somewhere).
    no_worse = np.ones((n, n), dtype=bool)
    for column in loss.T:  # m passes of (n, n): less memory than one (n, n, m) comparison
        no_worse &= column[:, None] <= column[None, :]
    dominates = no_worse & ~no_worse.T
    n_dominators = dominates.sum(axis=0)  # (n,)
    remaining = np.ones(n, dtype=bool)
    rank, taken = 0, 0
    while taken < limit:
        front = remaining & (n_dominators == 0)
        ranks[front] = rank
        remaining &= ~front
        taken += int(front.sum())
        # Rows dominated only by this front move up to the next one.
        n_dominators -= dominates[front].sum(axis=0)
        rank += 1
    ranks[remaining] = rank
    return ranks


def _ranks_by_masks(loss: np.ndarray, limit: int) -> np.ndarray:
    ranks = np.zeros(len(loss), dtype=np.int64)
    remaining = np.arange(len(loss))
    rank, taken = 0, 0
    while taken < limit and remaining.size:
        mask = pareto_front_mask(loss[remaining])
        ranks[remaining[mask]] = rank
        taken += int(mask.sum())
        remaining = remaining[~mask]
        rank += 1
    ranks[remaining] = rank
    return ranks
