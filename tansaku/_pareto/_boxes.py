"""The region a new point can still improve: disjoint boxes not dominated by a front.

For losses (minimized), a front F and a reference point r, the *non-dominated region*

    A(F, r) = {x : x < r componentwise, and no f in F with f <= x componentwise}

is where a new observation adds hypervolume: the hypervolume improvement of y is the volume of
{x in A(F, r) : y <= x}. Splitting A into disjoint axis-aligned boxes [lower, upper) makes that
improvement a sum of products, HVI(y) = sum_b prod_j max(0, upper_bj - max(lower_bj, y_j)),
which is what expected hypervolume improvement (:mod:`tansaku._gp._ehvi`) integrates.

Every upper bound is finite (at most ``ref``); a lower bound is ``-inf`` where the region is open
below, since a new point may improve on every observed loss. Clip the lower bounds to any finite
box (the observed ideal point, say) to get volumes.

Two objectives take one sort (the staircase). Three or more sweep the last objective upward,
as the non-incremental box decomposition of Lacour, Klamroth and Fonseca (2017, "A box
decomposition algorithm to compute the hypervolume indicator", Computers & OR 79) does: between
two consecutive values of the last loss the section of A is the (m-1)-objective region of the
points already passed, and a box of that section that the next point leaves unchanged keeps
growing upward instead of being cut, so a box is emitted only when its section changes. In
three objectives that is O(p) boxes (each inserted point changes O(1) staircase steps plus the
ones it removes); in m objectives the count follows the number of local upper bounds (Dächert,
Klamroth, Lacour and Vanderpooten 2017), O(p^floor(m/2)) in the worst case.
"""

from __future__ import annotations

import numpy as np


def non_dominated_boxes(front: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split the region below ``ref`` that no point of ``front`` dominates into disjoint boxes.

    Args:
        front: (p, m) losses. Dominated and duplicate rows are allowed (they change nothing),
            and so are rows not below ``ref`` (they dominate nothing inside it).
        ref: (m,) reference point, finite.

    Returns:
        ``(lower, upper)``, each (b, m): box i is ``lower[i] <= x < upper[i]``. The boxes are
        disjoint, non-empty, and their union is exactly the non-dominated region. ``upper`` is
        finite (at most ``ref``); ``lower`` is ``-inf`` where the region is unbounded below.
    """
    front = np.asarray(front, dtype=float)
    ref = np.asarray(ref, dtype=float)
    m = ref.shape[0]
    front = front.reshape(-1, m)
    # A point not strictly below ref in every loss dominates nothing inside the region.
    front = front[np.all(front < ref, axis=1)]
    if m == 1:
        top = min(float(ref[0]), float(front[:, 0].min())) if len(front) else float(ref[0])
        return np.full((1, 1), -np.inf), np.array([[top]])
    if m == 2:
        return _boxes_2d(front, ref)
    return _boxes_sweep(front, ref)


def _boxes_2d(front: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The staircase: one column of the region per front point, plus the one left of them all."""
    order = np.lexsort((front[:, 1], front[:, 0]))  # first loss up, ties by the second up
    f1, f2 = front[order, 0], front[order, 1]
    # Keep a point iff its second loss beats every point before it: this drops dominated points
    # and duplicates, leaving f1 strictly increasing and f2 strictly decreasing.
    best_before = np.minimum.accumulate(np.concatenate([[np.inf], f2[:-1]]))
    keep = f2 < best_before
    f1, f2 = f1[keep], f2[keep]
    # Column i spans [f1_i, f1_{i+1}) and lies below f2_i; column "-1" lies left of f1_0.
    left = np.concatenate([[-np.inf], f1])  # (q + 1,)
    right = np.concatenate([f1, [ref[0]]])
    top = np.concatenate([[ref[1]], f2])
    lower = np.column_stack([left, np.full(len(left), -np.inf)])
    upper = np.column_stack([right, top])
    return lower, upper


def _boxes_sweep(front: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sweep the last loss upward; a section's box is emitted when the section changes."""
    last = front[:, -1]
    levels = np.unique(last)  # distinct values of the last loss, ascending
    # Boxes of the current section, keyed by their (m-1) bounds, with the level they started at.
    lower, upper = non_dominated_boxes(np.empty((0, len(ref) - 1)), ref[:-1])
    open_boxes = {_key(lo, up): (lo, up, -np.inf) for lo, up in zip(lower, upper, strict=True)}
    done_lower: list[np.ndarray] = []
    done_upper: list[np.ndarray] = []

    def close(key: bytes, level: float) -> None:
        lo, up, start = open_boxes.pop(key)
        done_lower.append(np.append(lo, start))
        done_upper.append(np.append(up, level))

    for level in levels:
        # The section at this level is the region of every point whose last loss is <= level.
        lower, upper = non_dominated_boxes(front[last <= level, :-1], ref[:-1])
        section = {_key(lo, up): (lo, up) for lo, up in zip(lower, upper, strict=True)}
        for key in [key for key in open_boxes if key not in section]:
            close(key, float(level))
        for key, (lo, up) in section.items():
            if key not in open_boxes:
                open_boxes[key] = (lo, up, float(level))
    for key in list(open_boxes):
        close(key, float(ref[-1]))
    return np.array(done_lower), np.array(done_upper)


def _key(lower: np.ndarray, upper: np.ndarray) -> bytes:
    """Exact identity of a box (bitwise), so an unchanged box is recognized across sections."""
    return lower.tobytes() + upper.tobytes()
