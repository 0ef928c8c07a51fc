"""Exact hypervolume contributions of many candidates at once, and greedy subset selection
built on them, for three or more objectives.

The contribution of a candidate ``c`` to a set ``S`` is the volume of its box (from ``c`` up
to the reference point) minus the hypervolume of ``S`` limited to that box, the points
``max(c, s)`` (While et al. 2012, WFG, Sec. III). Few limited points are mutually
non-dominated: on the fronts a TPE split cuts, 1 to 3 even with 9 objectives. So the limited
sets of a batch of candidates are built and filtered in one array operation, and the
hypervolume of each filtered set comes from inclusion-exclusion over its subsets, all
candidates at once; only a set of more than ``MAX_SUBSET_POINTS`` points goes to the general
:func:`~tansaku._pareto.hypervolume`. Everything is exact: no sampling, no approximation.
"""

from __future__ import annotations

import numpy as np

# Inclusion-exclusion sums 2^q - 1 boxes for q points: cheap up to about 10.
MAX_SUBSET_POINTS = 10
# Candidates whose exact contribution one step of the lazy greedy computes together.
_BATCH = 8


def union_volume_small(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Hypervolume of each of several small point sets, by inclusion-exclusion.

    Args:
        points: (n_sets, q, m), q <= ``MAX_SUBSET_POINTS``; a row equal to ``reference``
            (or beyond it) in some objective adds nothing, which pads sets to one size.
        reference: (m,).

    Returns:
        (n_sets,) volumes.
    """
    n_sets, q, m = points.shape
    if q == 0:
        return np.zeros(n_sets)
    # corners[:, t]: the componentwise max of subset t (all non-empty subsets, built by
    # doubling); signs: + for odd subsets, - for even ones.
    corners = points[:, :1, :]
    signs = np.ones(1)
    for b in range(1, q):
        point = points[:, b : b + 1, :]
        corners = np.concatenate([corners, point, np.maximum(corners, point)], axis=1)
        signs = np.concatenate([signs, [1.0], -signs])
    sides = np.clip(reference - corners, 0.0, None)  # (n_sets, 2^q - 1, m)
    volumes: np.ndarray = np.prod(sides, axis=2) @ signs
    return volumes


def contributions(
    candidates: np.ndarray,
    volume: np.ndarray,
    chosen: np.ndarray,
    reference: np.ndarray,
    earlier: np.ndarray | None = None,
) -> np.ndarray:
    """The exact hypervolume each row of ``candidates`` (c, m) adds to the set ``chosen``
    (s, m), every row at most ``reference`` (m,). Returns (c,).

    Args:
        candidates: The candidates, (c, m).
        volume: The volume of each candidate's box, (c,).
        chosen: The set, (s, m).
        reference: The reference point, (m,).
        earlier: ``np.triu(np.ones((s, s), bool), 1)`` or a larger one, when the caller has it.
    """
    c, s = len(candidates), len(chosen)
    if s == 0 or c == 0:
        return volume.copy()
    if earlier is None:
        earlier = np.triu(np.ones((s, s), dtype=bool), 1)
    limited = np.maximum(candidates[:, None, :], chosen[None, :, :])  # (c, s, m)
    # no_worse[i, l, j]: limited point l of candidate i is no worse than its point j anywhere.
    no_worse = (limited[:, :, None, :] <= limited[:, None, :, :]).all(axis=3)  # (c, s, s)
    # A point adds nothing when another dominates it, or equals it and comes first.
    dominated = no_worse & (earlier[:s, :s] | ~no_worse.transpose(0, 2, 1))
    kept = ~dominated.any(axis=1)  # (c, s)
    n_kept = kept.sum(axis=1)
    q = int(n_kept.max())
    if q <= MAX_SUBSET_POINTS:
        covered = union_volume_small(_packed(limited, kept, q, reference), reference)
    else:
        small = n_kept <= MAX_SUBSET_POINTS
        covered = np.empty(c)
        q_small = int(n_kept[small].max(initial=0))
        covered[small] = union_volume_small(
            _packed(limited[small], kept[small], q_small, reference), reference
        )
        # _core uses this module: imported here, once the package is loaded.
        from tansaku._pareto._core import hypervolume

        for i in np.flatnonzero(~small):
            covered[i] = hypervolume(limited[i][kept[i]], reference)
    gains: np.ndarray = volume - covered
    return gains


def _packed(limited: np.ndarray, kept: np.ndarray, q: int, reference: np.ndarray) -> np.ndarray:
    """The kept points of each set first, (c, q, m), the rest of the q rows on the reference
    point (they add nothing)."""
    packed = np.empty((len(limited), q, limited.shape[2]))
    packed[:] = reference
    rows, columns = np.nonzero(kept)
    slots = np.cumsum(kept, axis=1)[rows, columns] - 1
    packed[rows, slots] = limited[rows, columns]
    return packed


def select_lazy_greedy(points: np.ndarray, k: int, reference: np.ndarray) -> np.ndarray:
    """Greedy hypervolume subset selection: pick ``k`` of ``points`` (n, m), each time the one
    that adds the most hypervolume to those picked (ties to the first row). Returns the picked
    row indices, sorted.

    Gains only shrink as the selection grows (hypervolume is submodular), so a stale gain is an
    upper bound, and so is the gain over the latest pick alone (a two-box formula): exact gains
    are computed, a batch at a time, only for candidates whose bound could still win.
    """
    n = len(points)
    volume = np.prod(np.clip(reference - points, 0.0, None), axis=1)  # (n,)
    upper = volume.copy()  # exact for the first step
    earlier = np.triu(np.ones((k, k), dtype=bool), 1)
    picked = np.empty(k, dtype=np.intp)
    best = int(np.argmax(upper))
    for step in range(k):
        if step:
            overlap = np.prod(np.clip(reference - np.maximum(points, points[best]), 0.0, None), 1)
            np.minimum(upper, volume - overlap, out=upper)
            exact = np.zeros(n, dtype=bool)
            while True:
                best = int(np.argmax(upper))
                if exact[best]:
                    break
                # The candidates with the highest bounds, not yet exact this step.
                batch = np.flatnonzero(~exact & (upper > -np.inf))
                if len(batch) > _BATCH:
                    batch = batch[np.argpartition(-upper[batch], _BATCH)[:_BATCH]]
                chosen = points[picked[:step]]
                upper[batch] = contributions(
                    points[batch], volume[batch], chosen, reference, earlier
                )
                exact[batch] = True
        picked[step] = best
        upper[best] = -np.inf
    return np.sort(picked)
