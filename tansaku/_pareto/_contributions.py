"""Exact hypervolume contributions of many candidates at once, for three or more objectives:
from limited sets, and from the free region's boxes (:class:`FreeBoxes`).

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


def covered_volumes(
    limited: np.ndarray, reference: np.ndarray, kept: np.ndarray | None = None
) -> np.ndarray:
    """Hypervolume of each of several point sets, exactly.

    Args:
        limited: (c, s, m), every row at most ``reference``; a row not strictly below it in
            every objective adds nothing (so sets of different sizes pad to one ``s``).
        reference: (m,).
        kept: :func:`peel_non_dominated` of ``limited``, when the caller has it.

    Returns:
        (c,) volumes: inclusion-exclusion over each set's non-dominated rows when they are
        few, :func:`~tansaku._pareto.hypervolume` (WFG) for a set with more.
    """
    if kept is None:
        kept = peel_non_dominated(limited, reference)
    n_kept = kept.sum(axis=1)
    covered = np.zeros(len(limited))
    # Inclusion-exclusion costs 2^q per set: sets go in groups of one size q, each paying its own.
    for q in np.unique(n_kept[(n_kept > 0) & (n_kept <= MAX_SUBSET_POINTS)]):
        group = np.flatnonzero(n_kept == q)
        packed = _packed(limited[group], kept[group], int(q), reference)
        covered[group] = union_volume_small(packed, reference)
    large = np.flatnonzero(n_kept > MAX_SUBSET_POINTS)
    if len(large):
        # _core uses this module: imported here, once the package is loaded.
        from tansaku._pareto._core import hypervolume

        for i in large:
            covered[i] = hypervolume(limited[i][kept[i]], reference)
    return covered


def peel_non_dominated(limited: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Mask (c, s) of rows to keep in each set of ``limited`` (c, s, m): the non-dominated
    rows strictly below ``reference``, one of each group of equal rows.

    Peels every set at once: the remaining row of least sum is dominated by no other (up to
    rounding of the sums, which at worst keeps a dominated row: the volume stays exact), so it
    is kept and the rows it weakly dominates go. The loop runs once per kept row, each pass
    O(c s m), where comparing all pairs would cost O(c s^2 m): limited sets keep few rows.
    """
    c = len(limited)
    remaining = np.all(limited < reference, axis=2)  # (c, s)
    kept = np.zeros_like(remaining)
    sums = limited.sum(axis=2)
    rows = np.arange(c)
    while True:
        active = np.flatnonzero(remaining.any(axis=1))
        if not len(active):
            return kept
        sets = limited[active]
        head = np.argmin(np.where(remaining[active], sums[active], np.inf), axis=1)
        kept[active, head] = True
        weakly = np.all(sets[rows[: len(active)], head][:, None, :] <= sets, axis=2)
        remaining[active] &= ~weakly


def _packed(limited: np.ndarray, kept: np.ndarray, q: int, reference: np.ndarray) -> np.ndarray:
    """The kept points of each set first, (c, q, m), the rest of the q rows on the reference
    point (they add nothing)."""
    packed = np.empty((len(limited), q, limited.shape[2]))
    packed[:] = reference
    rows, columns = np.nonzero(kept)
    slots = np.cumsum(kept, axis=1)[rows, columns] - 1
    packed[rows, slots] = limited[rows, columns]
    return packed


# Elements of the (candidates, boxes, m) arrays FreeBoxes.shared builds at once.
_CHUNK_ELEMENTS = 1_000_000


class FreeBoxes:
    """The region below the reference point and above the ideal point that no picked point
    dominates, as disjoint boxes, split as points are picked; and the part of it each pick took.

    A candidate ``c`` adds the part of that region it dominates. Picking ``p`` replaces each
    box that ``p`` reaches into by its parts outside ``[p, inf)``, at most one box per
    objective, and keeps the parts inside as the boxes of ``p``'s gain (the box-decomposition
    view of :mod:`tansaku._pareto._boxes`). The gains of successive picks are disjoint, so a
    candidate's gain after pick t is its gain after pick s minus the volume it shares with the
    gain boxes of picks s..t-1 (:meth:`shared`): exact, and cheap, for those are few next to
    the whole region. The region's boxes grow like the number of local upper bounds, slowly in
    few objectives but steeply in many, so :func:`~tansaku._pareto._greedy.greedy_order` drops
    them beyond its ``MAX_BOXES``.
    """

    def __init__(self, ideal: np.ndarray, reference: np.ndarray) -> None:
        self.lower = ideal[None, :].copy()
        self.upper = reference[None, :].copy()
        # The gain boxes of every pick in order, and where each pick's boxes start, (n_picks + 1,)
        self._gain_lower: list[np.ndarray] = []
        self._gain_upper: list[np.ndarray] = []
        self.gain_offsets = [0]

    def shared(self, candidates: np.ndarray, since: np.ndarray) -> np.ndarray:
        """The volume each of ``candidates`` (c, m) dominates in the gains of the picks from
        number ``since`` (c,) on, (c,)."""
        volumes = np.zeros(len(candidates))
        start = int(since.min()) if len(since) else len(self._gain_lower)
        if start >= len(self._gain_lower):
            return volumes
        lower = np.concatenate(self._gain_lower[start:])
        upper = np.concatenate(self._gain_upper[start:])
        # Boxes of pick ``since[i]`` on are at and after this index, for candidate i.
        first = np.asarray(self.gain_offsets)[since] - self.gain_offsets[start]
        step = max(1, _CHUNK_ELEMENTS // len(candidates))
        for begin in range(0, len(lower), step):
            # One objective at a time over contiguous (c, boxes) arrays.
            end = min(len(lower), begin + step)
            sides = upper[None, begin:end, 0] - np.maximum(
                lower[None, begin:end, 0], candidates[:, None, 0]
            )
            volume = np.clip(sides, 0.0, None, out=sides)
            for j in range(1, candidates.shape[1]):
                sides = upper[None, begin:end, j] - np.maximum(
                    lower[None, begin:end, j], candidates[:, None, j]
                )
                volume *= np.clip(sides, 0.0, None, out=sides)
            volume[np.arange(begin, end)[None, :] < first[:, None]] = 0.0
            volumes += volume.sum(axis=1)
        return volumes

    def pick(self, point: np.ndarray) -> None:
        """Remove ``[point, inf)`` from the region, keeping what it removes as a gain."""
        hit = np.all(point < self.upper, axis=1) & np.all(self.lower < self.upper, axis=1)
        lowers, uppers = [self.lower[~hit]], [self.upper[~hit]]
        lower, upper = self.lower[hit], self.upper[hit]
        # Piece j of a box: x_j < point_j, and x_i >= point_i for every i < j.
        for j in range(len(point)):
            below = lower[:, j] < point[j]
            piece_upper = upper[below]
            piece_upper[:, j] = point[j]
            lowers.append(lower[below])
            uppers.append(piece_upper)
            lower = lower.copy()
            lower[:, j] = np.maximum(lower[:, j], point[j])
        # What is left of the boxes hit lies in [point, inf): the pick's gain.
        self._gain_lower.append(lower)
        self._gain_upper.append(upper)
        self.gain_offsets.append(self.gain_offsets[-1] + len(lower))
        self.lower, self.upper = np.concatenate(lowers), np.concatenate(uppers)
