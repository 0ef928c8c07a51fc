"""Pareto fronts, non-dominated sorting, hypervolume and hypervolume subset selection.

One implementation for every part that compares several objectives: the study's best trials,
the multi-objective TPE split (Ozaki et al. 2020, 2022: observations ranked by non-domination
rank, the front that does not fit whole into the good group cut by greedy hypervolume subset
selection), the evolutionary samplers, the plots and the importances. All losses are minimized;
:func:`to_loss` turns a study's values into losses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku._pareto._contributions import (
    MAX_SUBSET_POINTS,
    covered_volumes,
    union_volume_small,
)
from tansaku._pareto._greedy import select_lazy_greedy


def loss_signs(directions: Sequence[StudyDirection]) -> np.ndarray:
    """-1 for each maximized objective, 1 for the others: (m,) factors that turn values into
    losses."""
    return np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])


def to_loss(values: Any, directions: Sequence[StudyDirection]) -> np.ndarray:
    """Flip maximized columns of ``values`` (n, m) so that smaller is better in every column.

    ``values`` may be any rows of m numbers (a list of trials' values, possibly empty).
    """
    rows = np.asarray(values, dtype=float).reshape(-1, len(directions))
    loss: np.ndarray = rows * loss_signs(directions)
    return loss


# Up to this many rows, domination is decided by comparing all pairs at once.
_PAIRWISE_MAX_ROWS = 128


def pareto_front_mask(loss: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``loss`` (n, m) that no other row dominates; equal rows all stay."""
    n, m = loss.shape
    if n == 0:
        return np.zeros(0, dtype=bool)
    if n <= _PAIRWISE_MAX_ROWS:
        # dominates[i, j]: row i is no worse than row j everywhere and better somewhere.
        no_worse = np.all(loss[:, None, :] <= loss[None, :, :], axis=2)  # (n, n)
        undominated: np.ndarray = ~np.any(no_worse & ~no_worse.T, axis=0)
        return undominated
    if m == 2:
        return _pareto_front_mask_2d(loss)
    return _pareto_front_mask_sorted(loss)


# Rows of ``loss`` whose domination one step of :func:`_pareto_front_mask_sorted` decides.
_BLOCK_ROWS = 256


def _pareto_front_mask_sorted(loss: np.ndarray, block_rows: int = _BLOCK_ROWS) -> np.ndarray:
    """:func:`pareto_front_mask` for many rows: the unique rows in lexicographic order, where
    a row can only be dominated by rows before it, and then by one of the front rows before it
    (domination is transitive). So blocks of rows are compared, one array operation each, with
    the front found so far and with the earlier rows of their block: O(n (front + block) m)
    comparisons in n / block steps, however large the front."""
    unique, inverse = np.unique(loss, axis=0, return_inverse=True)  # rows sorted lexicographically
    columns = np.ascontiguousarray(unique.T)  # (m, n): one comparison per objective, contiguous
    n = len(unique)
    on_front = np.zeros(n, dtype=bool)
    front = np.zeros(0, dtype=np.intp)
    for start in range(0, n, block_rows):
        block = np.arange(start, min(n, start + block_rows))
        against = np.concatenate([front, block])
        # no_worse[i, j]: row ``against[j]`` is no worse than row ``block[i]`` everywhere (so,
        # the rows being unique, dominates it).
        no_worse = columns[0, against][None, :] <= columns[0, block][:, None]
        for column in columns[1:]:
            no_worse &= column[against][None, :] <= column[block][:, None]
        # Within the block only earlier rows count (a row is no worse than itself).
        no_worse[:, len(front) :] &= np.tri(len(block), len(block), -1, dtype=bool)
        undominated = ~no_worse.any(axis=1)
        on_front[block] = undominated
        front = np.concatenate([front, block[undominated]])
    mask: np.ndarray = on_front[inverse.reshape(-1)]
    return mask


def _pareto_front_mask_2d(loss: np.ndarray) -> np.ndarray:
    """:func:`pareto_front_mask` for two objectives, by one sort."""
    order = np.lexsort((loss[:, 1], loss[:, 0]))
    first, second = loss[order, 0], loss[order, 1]
    # In this order a row is dominated iff an earlier, different row has a second loss no
    # larger; rows equal to the one before them share its fate.
    earlier_best = np.minimum.accumulate(np.concatenate([[np.inf], second[:-1]]))
    dominated = earlier_best <= second
    new_value = np.ones(len(order), dtype=bool)
    new_value[1:] = (first[1:] != first[:-1]) | (second[1:] != second[:-1])
    run_start = np.maximum.accumulate(np.where(new_value, np.arange(len(order)), 0))
    on_front = np.empty(len(order), dtype=bool)
    on_front[order] = ~dominated[run_start]
    return on_front


def fronts_until(loss: np.ndarray, n_needed: int) -> list[np.ndarray]:
    """Peel non-domination fronts (row indices of ``loss``) until they hold ``n_needed`` rows."""
    fronts: list[np.ndarray] = []
    remaining = np.arange(len(loss))
    taken = 0
    while taken < n_needed and remaining.size:
        mask = pareto_front_mask(loss[remaining])
        fronts.append(remaining[mask])
        taken += int(mask.sum())
        remaining = remaining[~mask]
    return fronts


def reference_point(loss: np.ndarray) -> np.ndarray:
    """A point slightly worse than every row of ``loss`` (n, m) in every objective."""
    worst = loss.max(axis=0)
    best = loss.min(axis=0)
    margin = np.maximum(0.1 * (worst - best), 1e-9 * np.maximum(1.0, np.abs(worst)))
    reference: np.ndarray = worst + margin
    return reference


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """The volume dominated by ``points`` (n, m) and bounded by ``reference``, exactly.

    Two objectives take one sweep, three one vectorized sweep over slabs of the third
    objective; more take inclusion-exclusion when there are at most ten points, and otherwise
    the WFG algorithm (time exponential in the number of objectives at worst).
    """
    points = points[np.all(points < reference, axis=1)]
    if len(points) == 0:
        return 0.0
    m = points.shape[1]
    if m == 1:
        return float(reference[0] - points[:, 0].min())
    if m == 2:
        order = np.lexsort((points[:, 1], points[:, 0]))
        f1, f2 = points[order, 0], points[order, 1]
        best_f2 = np.minimum.accumulate(f2)
        widths = np.diff(np.append(f1, reference[0]))
        return float(np.sum(widths * (reference[1] - best_f2)))
    if m > 3 and len(points) <= MAX_SUBSET_POINTS:
        # Few points: inclusion-exclusion over their subsets, one array operation.
        return float(union_volume_small(points[None], reference)[0])
    if m > 3:
        return _hypervolume_wfg(points[pareto_front_mask(points)], reference)
    by_last = points[np.argsort(points[:, -1], kind="stable")]
    depths = np.diff(np.append(by_last[:, -1], reference[-1]))  # (n,) slab thickness
    # Slab i holds the points up to i (by the third loss); its area is a 2-D staircase.
    # All slabs at once: points sorted by the first loss, masked per slab: (n, n)
    order = np.lexsort((by_last[:, 1], by_last[:, 0]))
    f1, f2 = by_last[order, 0], by_last[order, 1]
    in_slab = order[None, :] <= np.arange(len(order))[:, None]
    best_f2 = np.minimum.accumulate(np.where(in_slab, f2, reference[1]), axis=1)
    widths = np.diff(np.append(f1, reference[0]))
    areas = (reference[1] - best_f2) @ widths  # (n,)
    return float(areas @ depths)


# Elements of the (rows, n, m) array of limited sets WFG builds at once.
_WFG_CHUNK_ELEMENTS = 2_000_000


def _hypervolume_wfg(points: np.ndarray, reference: np.ndarray) -> float:
    """:func:`hypervolume` of points strictly below ``reference``, four or more objectives.

    WFG (While, Bradstreet and Barone 2012): the volume is the sum of each point's exclusive
    part, its box minus the hypervolume of the later points limited to that box (``max(p,
    q)``). With the points sorted worst first by the last loss, every limited set shares the
    last coordinate, so few of its points stay non-dominated: all limited sets are built and
    measured at once (:func:`~tansaku._pareto._contributions.covered_volumes`), and only a set
    that keeps many points recurses.
    """
    n, m = points.shape
    if n <= MAX_SUBSET_POINTS:
        return float(union_volume_small(points[None], reference)[0])
    points = points[np.argsort(-points[:, -1], kind="stable")]
    volume = np.prod(reference - points, axis=1)
    total = 0.0
    rows = max(1, _WFG_CHUNK_ELEMENTS // (n * m))
    for start in range(0, n, rows):
        batch = np.arange(start, min(n, start + rows))
        limited = np.maximum(points[batch, None, :], points[None, :, :])  # (b, n, m)
        limited[np.arange(n)[None, :] <= batch[:, None]] = reference  # only the later points
        total += float(np.sum(volume[batch] - covered_volumes(limited, reference)))
    return total


def select_by_hypervolume(points: np.ndarray, k: int, reference: np.ndarray) -> np.ndarray:
    """Greedily pick ``k`` of the mutually non-dominated ``points`` (n, m) that add the most
    hypervolume, one at a time (greedy HSSP). Returns the picked row indices."""
    n = len(points)
    if k >= n:
        return np.arange(n)
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    if not np.all(np.isfinite(points)):
        # Hypervolume is undefined with infinite losses: fall back to lexicographic order.
        return np.lexsort(points.T[::-1])[:k]
    if points.shape[1] == 2:
        return _select_2d(points, k, reference)
    return select_lazy_greedy(points, k, reference)


def _select_2d(points: np.ndarray, k: int, reference: np.ndarray) -> np.ndarray:
    """Greedy HSSP in two objectives: a candidate adds the box between it and its picked
    neighbours along the front, so every step is one vectorized pass."""
    order = np.lexsort((points[:, 1], points[:, 0]))  # first loss up, second loss down
    f1, f2 = points[order, 0], points[order, 1]
    n = len(points)
    picked = np.zeros(n, dtype=bool)
    positions = np.arange(n)
    for _ in range(k):
        picked_positions = positions[picked]
        # Index of the first picked position right of each position, in [0, n_picked]: (n,)
        right = np.searchsorted(picked_positions, positions, side="right")
        right_f1 = np.append(f1[picked_positions], reference[0])[right]
        left_f2 = np.append(reference[1], f2[picked_positions])[right]
        gain = np.clip(right_f1 - f1, 0.0, None) * np.clip(left_f2 - f2, 0.0, None)
        gain[picked] = -1.0
        picked[int(np.argmax(gain))] = True
    return order[picked]
