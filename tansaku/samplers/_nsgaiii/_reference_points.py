"""NSGA-III's survival: the last front that fits is cut by reference-point niching.

Deb & Jain 2014, Sec. IV: the members of the fronts that reach ``k`` survivors are normalized
(translated by the ideal point, scaled by the intercepts of the hyperplane through the extreme
points, eqs. 3-4), each is associated with the reference line it lies closest to (Algorithm 3),
and the survivors of the last front are picked one by one for the reference point that the
fewest survivors are associated with so far (Algorithm 4). Every step but the picking is one
numpy pass over the population.
"""

from __future__ import annotations

import itertools

import numpy as np

from tansaku.samplers._ga._constraints import constrained_ranks

# Weight of the other axes in the achievement scalarizing function that finds extreme points.
_ASF_EPSILON = 1e-6


def das_dennis(n_objectives: int, divisions: int) -> np.ndarray:
    """Points on the unit simplex with coordinates in steps of ``1 / divisions`` (Das & Dennis
    1998), (C(n_objectives + divisions - 1, divisions), n_objectives)."""
    if n_objectives == 1:
        return np.ones((1, 1))
    # Stars and bars: the positions of n_objectives - 1 bars among divisions + n - 1 slots.
    bars = np.array(
        list(itertools.combinations(range(divisions + n_objectives - 1), n_objectives - 1))
    )
    padded = np.column_stack(
        [np.full(len(bars), -1), bars, np.full(len(bars), divisions + n_objectives - 1)]
    )
    return (np.diff(padded, axis=1) - 1) / divisions  # type: ignore[no-any-return]


def normalize(loss: np.ndarray) -> np.ndarray:
    """Translate ``loss`` (n, m) by its ideal point and scale by the hyperplane intercepts
    (Deb & Jain 2014, eqs. 2-4); fall back to the nadir point where the plane degenerates."""
    n, m = loss.shape
    translated = loss - loss.min(axis=0)
    weights = np.full((m, m), _ASF_EPSILON)
    np.fill_diagonal(weights, 1.0)
    asf = np.max(translated[:, None, :] / weights[None, :, :], axis=2)  # (n, m)
    extreme = translated[np.argmin(asf, axis=0)]  # (m, m): row j is the extreme of axis j
    nadir = translated.max(axis=0)
    intercepts = nadir
    try:
        plane = np.linalg.solve(extreme, np.ones(m))
        candidate = 1.0 / plane
        if np.all(np.isfinite(candidate)) and np.all(candidate > 1e-6):
            intercepts = candidate
    except np.linalg.LinAlgError:
        pass
    intercepts = np.where(intercepts > 1e-12, intercepts, 1.0)
    return translated / intercepts  # type: ignore[no-any-return]


def associate(normalized: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest reference line of each row, (n,), and the perpendicular distance
    to it, (n,) (Deb & Jain 2014, Algorithm 3)."""
    norms = np.linalg.norm(reference, axis=1)
    directions = reference / np.where(norms > 0, norms, 1.0)[:, None]  # (r, m)
    along = normalized @ directions.T  # (n, r)
    squared = np.sum(normalized**2, axis=1)[:, None] - along**2
    distance = np.sqrt(np.maximum(squared, 0.0))
    nearest = np.argmin(distance, axis=1)
    return nearest, distance[np.arange(len(normalized)), nearest]


def select_by_reference_points(
    loss: np.ndarray,
    violation: np.ndarray,
    k: int,
    reference: np.ndarray,
    rng: np.random.RandomState,
) -> np.ndarray:
    """Row indices of the ``k`` survivors of NSGA-III's selection, in row order."""
    n = len(loss)
    if k >= n:
        return np.arange(n)
    ranks = constrained_ranks(loss, violation, n_needed=k)
    last = int(np.searchsorted(np.cumsum(np.bincount(ranks)), k))
    chosen = ranks < last
    n_more = k - int(chosen.sum())
    if n_more == 0:
        return np.flatnonzero(chosen)
    members = np.flatnonzero(ranks <= last)  # S_t
    finite = np.where(np.isfinite(loss[members]), loss[members], 0.0)
    nearest, distance = associate(normalize(finite), reference)
    in_last = ranks[members] == last
    niche_count = np.bincount(nearest[~in_last], minlength=len(reference))
    # The last front's members, by their reference point.
    candidates = members[in_last]
    candidate_ref = nearest[in_last]
    candidate_distance = distance[in_last]
    open_ref = np.zeros(len(reference), dtype=bool)
    open_ref[candidate_ref] = True  # reference points that still have candidates
    taken = np.zeros(len(candidates), dtype=bool)
    for _ in range(n_more):
        counts = np.where(open_ref, niche_count, np.iinfo(np.int64).max)
        least = np.flatnonzero(counts == counts.min())
        j = int(least[rng.randint(len(least))])
        pool = np.flatnonzero((candidate_ref == j) & ~taken)
        if niche_count[j] == 0:
            pick = int(pool[np.argmin(candidate_distance[pool])])
        else:
            pick = int(pool[rng.randint(len(pool))])
        taken[pick] = True
        niche_count[j] += 1
        if len(pool) == 1:
            open_ref[j] = False
    chosen[candidates[taken]] = True
    return np.flatnonzero(chosen)
