"""Greedy hypervolume subset selection for three or more objectives, and its resumption over
almost the same points.

The greedy picks, ``k`` times, the point that adds the most hypervolume to those picked.
Gains only shrink as the selection grows (hypervolume is submodular), so a stale gain is an
upper bound, and so is the gain over the latest pick alone (a two-box formula): exact gains
are computed, a batch at a time, only for points whose bound could still win (the lazy
greedy). They come from :class:`~tansaku._pareto._contributions.FreeBoxes` while the free
region's boxes stay few enough, else from each point's limited set.

A caller selecting again from the same points with a few more (the TPE split, trial after
trial) passes the previous run back: its picks are replayed as long as no new point would
have beaten one of them, and every exact gain measured after no more picks than were replayed
still holds, so the search resumes where the two selections part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tansaku._pareto._contributions import FreeBoxes, covered_volumes, peel_non_dominated

# Points whose exact gain one step of the lazy greedy measures together: from limited sets,
# and (each costing less) from boxes.
_BATCH = 8
_BOX_BATCH = 32
# Beyond this many boxes, gains come from limited sets instead (about 9 objectives).
MAX_BOXES = 50_000
# While the free region has so few boxes, they cost less than the limited sets.
_FEW_BOXES = 2_000


def _boxes_cheaper(n_boxes: int, kept: np.ndarray) -> bool:
    """Whether going through ``n_boxes`` boxes costs less than measuring the limited sets whose
    non-dominated rows ``kept`` (c, s) marks: about 2^q corners for a set of q rows, and more
    (the recursion of :func:`~tansaku._pareto.hypervolume`) beyond ``MAX_SUBSET_POINTS``."""
    n_kept = kept.sum(axis=1)
    per_set = np.exp2(np.minimum(n_kept, 30)) + kept.shape[1] * (n_kept + 1)
    return n_boxes <= float(per_set.sum())


@dataclass(frozen=True)
class GreedyRun:
    """A greedy selection as it ended, over ``n`` points.

    Attributes:
        order: (k,) the positions of the picks among the points, in the order picked.
        gains: (k,) what each pick added when picked.
        seen: (n,) whether each point was among the candidates.
        measured: (L,) the points whose exact gain the run measured, in order of point and of
            ``measured_after`` (L,), the number of picks each was measured after, with the
            gains ``measured_gain`` (L,).
        boxes_cheaper: whether the boxes stayed cheaper than the limited sets to the end.
    """

    order: np.ndarray
    gains: np.ndarray
    seen: np.ndarray
    measured: np.ndarray
    measured_after: np.ndarray
    measured_gain: np.ndarray
    boxes_cheaper: bool

    def carried(self, positions: np.ndarray, n: int) -> GreedyRun:
        """This run over ``n`` new points, where old point i is now at ``positions[i]`` (-1 if
        gone): the picks up to the first gone, and the new points unseen."""
        order = positions[self.order]
        gone = np.flatnonzero(order < 0)
        order = order[: gone[0]] if len(gone) else order
        seen = np.zeros(n, dtype=bool)
        seen[positions[positions >= 0]] = True
        measured = positions[self.measured]
        kept = measured >= 0
        return GreedyRun(
            order,
            self.gains[: len(order)],
            seen,
            *_in_order(measured[kept], self.measured_after[kept], self.measured_gain[kept]),
            self.boxes_cheaper,
        )


def select_lazy_greedy(points: np.ndarray, k: int, reference: np.ndarray) -> np.ndarray:
    """Greedy hypervolume subset selection: pick ``k`` of ``points`` (n, m), each time the one
    that adds the most hypervolume to those picked (ties to the first row). Returns the picked
    row indices, sorted."""
    return np.sort(greedy_order(points, k, reference).order)


def greedy_order(
    points: np.ndarray,
    k: int,
    reference: np.ndarray,
    previous: GreedyRun | None = None,
    use_boxes: bool = True,
) -> GreedyRun:
    """:func:`select_lazy_greedy`, as a :class:`GreedyRun`: the rows in the order picked and
    the gain each added when picked.

    ``previous`` is an earlier run over the same ``points`` and ``reference`` but for points
    it never saw (:meth:`GreedyRun.carried`). Its picks are replayed until one that a point it
    never saw would have beaten (a larger gain, or an equal one and a lower row); the rest is
    searched. The result is the selection searched afresh, pick for pick (up to the rounding
    of equal gains).

    ``use_boxes`` false starts from limited sets, as a previous selection over almost the same
    points that found them cheaper (``boxes_cheaper``) suggests.
    """
    n = len(points)
    volume = np.prod(np.clip(reference - points, 0.0, None), axis=1)  # (n,)
    pair = volume.copy()  # the least of each point's gains over one pick alone
    picked = np.empty(k, dtype=np.intp)
    gains = np.empty(k)
    boxes = FreeBoxes(points.min(axis=0), reference) if use_boxes else None
    if previous is None:
        none, nothing = np.zeros(0, dtype=np.intp), np.zeros(0)
        previous = GreedyRun(none, nothing, np.ones(n, dtype=bool), none, none, nothing, use_boxes)
    prefix, prefix_gains = previous.order, previous.gains
    unseen = np.flatnonzero(~previous.seen)
    known = min(len(prefix), k)
    if boxes is None and len(unseen):
        # No boxes to measure the unseen points as the picks are replayed: check them first.
        known = _picks_still_greedy(points, prefix[:known], prefix_gains, unseen, reference)
        unseen = unseen[:0]
    # Every exact gain measured (the point, after how many picks, the gain): the previous
    # run's, then this one's as it goes.
    log = [(previous.measured, previous.measured_after, previous.measured_gain)]
    exact_gain, exact_after = _latest(volume, known, *log[0])
    upper = exact_gain.copy()  # an upper bound of each point's gain at this step
    boxes_cheaper = use_boxes  # unchanged when no step measures anything
    best = -1
    for step in range(k):
        exact = np.zeros(n, dtype=bool)
        if step:
            overlap = np.prod(np.clip(reference - np.maximum(points, points[best]), 0.0, None), 1)
            np.minimum(pair, volume - overlap, out=pair)
            np.minimum(upper, pair, out=upper)
        if step < known and len(unseen):
            # Replaying with points the previous run never saw: measure them at each step, and
            # search from the first step one of them would win (or that cannot measure them).
            beaten = boxes is None
            if boxes is not None:
                exact_gain[unseen] -= boxes.shared(points[unseen], exact_after[unseen])
                exact_after[unseen] = step
                exact[unseen] = True
                log.append((unseen, exact_after[unseen], exact_gain[unseen]))
                gain, pick, pick_gain = exact_gain[unseen], prefix[step], prefix_gains[step]
                beaten = bool(np.any((gain > pick_gain) | ((gain == pick_gain) & (unseen < pick))))
            if beaten:
                known = step
                exact_gain, exact_after = _latest(volume, known, *_joined(log))
                exact = exact_after == step
                upper = np.minimum(pair, exact_gain)
        if step < known:
            best = int(prefix[step])
        while step >= known:
            best = int(np.argmax(upper))
            if exact[best]:
                break
            # The points with the highest bounds, not yet exact this step.
            batch = np.flatnonzero(~exact & (upper > -np.inf))
            size = _BATCH if boxes is None else _BOX_BATCH
            if len(batch) > size:
                batch = batch[np.argpartition(-upper[batch], size)[:size]]
            by_boxes = False
            if boxes is not None:
                # The gain boxes to scan, and the region's boxes the next pick splits.
                offsets = np.asarray(boxes.gain_offsets)
                n_boxes = int(np.sum(offsets[step] - offsets[exact_after[batch]]))
                n_boxes += len(boxes.lower)
                by_boxes = len(boxes.lower) <= _FEW_BOXES
            if not by_boxes:
                limited = np.maximum(points[batch, None, :], points[picked[:step]][None])
                kept = peel_non_dominated(limited, reference)
                by_boxes = boxes is not None and _boxes_cheaper(n_boxes, kept)
            if boxes is not None and by_boxes:
                exact_gain[batch] -= boxes.shared(points[batch], exact_after[batch])
            else:
                # Small limited sets (correlated objectives): cheaper than the boxes.
                boxes, boxes_cheaper = None, False
                exact_gain[batch] = volume[batch] - covered_volumes(limited, reference, kept)
            exact_after[batch] = step
            upper[batch] = exact_gain[batch]
            exact[batch] = True
            log.append((batch, exact_after[batch], exact_gain[batch]))
        picked[step] = best
        gains[step] = prefix_gains[step] if step < known else upper[best]
        upper[best] = pair[best] = -np.inf
        if boxes is not None and step + 1 < k:
            boxes.pick(points[best])
            if len(boxes.lower) > MAX_BOXES:
                boxes = None
    # What the previous run measured after more picks than were replayed is of another selection.
    rows, after, gain = log[0]
    still = after <= known
    log[0] = rows[still], after[still], gain[still]
    measured = _in_order(*_joined(log))
    return GreedyRun(picked, gains, np.ones(n, dtype=bool), *measured, boxes_cheaper)


def _joined(
    log: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, after, gain = zip(*log)
    return np.concatenate(rows), np.concatenate(after), np.concatenate(gain)


def _in_order(
    rows: np.ndarray, after: np.ndarray, gain: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measurements sorted by point and by the number of picks, one of each pair."""
    order = np.lexsort((after, rows))
    rows, after, gain = rows[order], after[order], gain[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (after[1:] != after[:-1])
    return rows[first], after[first], gain[first]


def _latest(
    volume: np.ndarray, known: int, rows: np.ndarray, after: np.ndarray, gain: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each point's last exact gain over at most ``known`` picks, and that number of picks,
    from measurements (``rows``, ``after``, ``gain``); its box volume, over no pick, where
    none was measured."""
    exact_gain, exact_after = volume.copy(), np.zeros(len(volume), dtype=np.intp)
    valid = after <= known
    rows, after, gain = _in_order(rows[valid], after[valid], gain[valid])
    # The last of each point's measurements, in order of the number of picks.
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = rows[1:] != rows[:-1]
    exact_gain[rows[last]] = gain[last]
    exact_after[rows[last]] = after[last]
    return exact_gain, exact_after


def _picks_still_greedy(
    points: np.ndarray,
    prefix: np.ndarray,
    gains: np.ndarray,
    unseen: np.ndarray,
    reference: np.ndarray,
) -> int:
    """How many of the picks ``prefix`` (with their ``gains``) a greedy selection makes first
    when the ``unseen`` points join the candidates: up to the first step one of them beats,
    measured by limited sets, every prefix at once."""
    known = len(prefix)
    for row in unseen:
        if not known:
            break
        chosen = points[prefix[:known]]
        # The gain of ``row`` after each prefix of the picks: sets of the first t picks.
        limited = np.repeat(np.maximum(points[row], chosen)[None], known, axis=0)  # (t, t, m)
        limited[np.arange(known)[None, :] >= np.arange(known)[:, None]] = reference
        gain = np.prod(np.clip(reference - points[row], 0.0, None)) - covered_volumes(
            limited, reference
        )
        beats = (gain > gains[:known]) | ((gain == gains[:known]) & (row < prefix[:known]))
        if beats.any():
            known = int(np.argmax(beats))
    return known
