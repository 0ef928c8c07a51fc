"""The good / bad split of TPE and the default ``gamma`` and ``weights`` functions.

Finished trials are ranked, and the first ``gamma(n)`` of the ranking are *good* (they build
``l(x)``); the rest, and with the constant liar every running trial, are *bad* (``g(x)``). The
ranking puts, in this order:

1. feasible COMPLETE trials, by loss (one objective) or by non-domination rank with the last
   front cut by hypervolume contribution (several objectives; Ozaki et al. 2022);
2. feasible PRUNED trials, those that reached a later step first, then by their last
   intermediate value;
3. infeasible trials (some constraint > 0), by total violation (the sum of the positive
   constraint values).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from tansaku._pareto import fronts_until, reference_point, select_by_hypervolume
from tansaku._pareto._greedy import GreedyRun, greedy_order

# Weights decay linearly for all but the newest trials (Bergstra et al. 2013).
_N_FULL_WEIGHT = 25


def default_gamma(n: int) -> int:
    """The number of good trials among ``n``: 10% of them, at most 25."""
    return min(math.ceil(0.1 * n), 25)


def default_gamma_multiobjective(n: int) -> int:
    """The number of good trials among ``n`` with several objectives: 10% of them, no cap, so
    that the good group keeps a share of a Pareto front that grows with the study."""
    return math.ceil(0.1 * n)


def hyperopt_default_gamma(n: int) -> int:
    """Hyperopt's number of good trials among ``n``: ``0.25 * sqrt(n)``, at most 25."""
    return min(math.ceil(0.25 * math.pow(n, 0.5)), 25)


def default_weights(n: int) -> np.ndarray:
    """Weights of ``n`` trials in number order: 1 for the newest 25, a ramp from ``1 / n`` up to
    1 for the older ones (Bergstra et al. 2013)."""
    if n == 0:
        return np.asarray([])
    if n < _N_FULL_WEIGHT:
        return np.ones(n)
    weights = np.ones(n)
    n_ramp = n - _N_FULL_WEIGHT
    # n_ramp evenly spaced weights from 1 / n up to 1 (np.linspace, without its overhead)
    weights[:n_ramp] = 1.0 / n + (1.0 - 1.0 / n) * (np.arange(n_ramp) / max(n_ramp - 1, 1))
    return weights


def call_gamma(gamma: Callable[[int], int], n: int) -> int:
    """Call a user's ``gamma`` and check its answer.

    Returns:
        The number of good trials, at most ``n``.

    Raises:
        TypeError: ``gamma`` returned something other than an int.
        ValueError: ``gamma`` returned a negative number.
    """
    n_below = gamma(n)
    if isinstance(n_below, bool) or not isinstance(n_below, numbers.Integral):
        raise TypeError(
            f"TPESampler: gamma({n}) returned {n_below!r} of type {type(n_below).__name__}; "
            "it must return an int"
        )
    if n_below < 0:
        raise ValueError(f"TPESampler: gamma({n}) returned {n_below}; it must return an int >= 0")
    return min(int(n_below), n)


def call_weights(weights: Callable[[int], np.ndarray], n: int) -> np.ndarray:
    """Call a user's ``weights`` and check its answer.

    Raises:
        ValueError: the answer is not ``n`` finite, non-negative numbers.
    """
    try:
        result = np.asarray(weights(n), dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"TPESampler: weights({n}) must return {n} numbers, but returned something that "
            f"is not an array of numbers ({error})"
        ) from None
    if result.shape != (n,):
        raise ValueError(
            f"TPESampler: weights({n}) returned an array of shape {result.shape}; it must "
            f"return {n} weights, one per trial"
        )
    if not np.all(np.isfinite(result)) or np.any(result < 0):
        raise ValueError(
            f"TPESampler: weights({n}) returned {result}; every weight must be finite and >= 0"
        )
    return result


def improvement_weights(
    loss: np.ndarray, excluded: np.ndarray | None, good_rows: np.ndarray, bad_rows: np.ndarray
) -> np.ndarray:
    """Weights of the good trials proportional to how much each one's loss improves on the best
    bad one's (the "expected improvement" weighting discussed by Watanabe 2023), normalized to
    mean 1.

    Uniform weights instead when a good trial is excluded (pruned or infeasible: its loss is
    no objective value), when no bad trial counts, or when no good trial improves.

    Args:
        loss: Losses of all rows, (n,).
        excluded: Rows whose loss does not rank as an objective value, (n,); None for none.
        good_rows: The good rows, (n_good,).
        bad_rows: The bad rows, (n_bad,).
    """
    uniform = np.ones(len(good_rows))
    bad_losses = loss[bad_rows]
    if excluded is not None:
        if excluded[good_rows].any():
            return uniform
        bad_losses = bad_losses[~excluded[bad_rows]]
    good_losses = loss[good_rows]
    if not len(bad_losses) or not np.all(np.isfinite(good_losses)):
        return uniform
    gains = np.min(bad_losses) - good_losses  # >= 0: good trials rank before bad ones
    total = gains.sum()
    if not np.isfinite(total) or total <= 0.0:
        return uniform
    weights: np.ndarray = gains * (len(gains) / total)
    return weights


class SortedLosses:
    """The rows of a single-objective history in ascending order of loss (ties in row order),
    kept up to date by inserting the rows appended since the last call."""

    def __init__(self) -> None:
        self._rows = np.zeros(0, dtype=np.intp)
        self._losses = np.zeros(0)

    def best(self, losses: np.ndarray, k: int) -> np.ndarray:
        """The rows of the ``k`` smallest of ``losses`` (n,), of which the first rows are those
        seen before."""
        for row in range(len(self._rows), len(losses)):
            at = int(np.searchsorted(self._losses, losses[row], side="right"))
            self._losses = np.concatenate([self._losses[:at], [losses[row]], self._losses[at:]])
            self._rows = np.concatenate([self._rows[:at], [row], self._rows[at:]])
        return self._rows[:k]


def good_mask(
    numbers_: np.ndarray,
    pruned: np.ndarray,
    loss: np.ndarray,
    step: np.ndarray,
    violation: np.ndarray,
    n_good: int,
) -> np.ndarray:
    """Mark the ``n_good`` best finished trials by the ranking of this module.

    Args:
        numbers_: Trial numbers, (n,).
        pruned: Whether each trial was pruned, (n,).
        loss: Losses to minimize, (n, n_objectives); for a pruned single-objective trial its
            last intermediate value (NaN when it reported none).
        step: Last reported step of pruned trials, -1 when none, (n,).
        violation: Total constraint violation, 0 for feasible trials, (n,).
        n_good: How many to mark.

    Returns:
        The mask of good trials, (n,).
    """
    n = len(numbers_)
    mask = np.zeros(n, dtype=bool)
    if n_good <= 0:
        return mask
    if loss.shape[1] == 1 and not pruned.any() and not (violation > 0.0).any():
        # All complete and feasible, the usual case: by loss, ties by number (rows are in
        # number order when the caller passes them so; a stable sort keeps ties in row order).
        order = np.argsort(loss[:, 0], kind="stable")
        if not np.all(np.diff(numbers_) > 0):
            order = np.lexsort((numbers_, loss[:, 0]))
        mask[order[:n_good]] = True
        return mask
    feasible = violation <= 0.0
    complete = feasible & ~pruned
    if loss.shape[1] == 1:
        # One objective: one lexicographic sort over (group, key, tie-break, number).
        group = np.where(complete, 0, np.where(feasible, 1, 2))
        last_value = np.where(np.isnan(loss[:, 0]), np.inf, loss[:, 0])
        key = np.where(complete, last_value, np.where(feasible, -step, violation))
        tie = np.where(complete | ~feasible, 0.0, last_value)
        order = np.lexsort((numbers_, tie, key, group))
        mask[order[:n_good]] = True
        return mask
    complete_rows = np.flatnonzero(complete)
    n_from_complete = min(n_good, len(complete_rows))
    if n_from_complete:
        best, _ = _best_by_dominance(loss[complete_rows], n_from_complete)
        mask[complete_rows[best]] = True
    rest = n_good - n_from_complete
    if rest > 0:
        # Pruned trials (they report nothing when several objectives) by number, then the
        # infeasible ones by violation.
        others = np.flatnonzero(~complete)
        order = others[np.lexsort((numbers_[others], violation[others], feasible[others] == 0))]
        mask[order[:rest]] = True
    return mask


class DominanceSplit:
    """The good rows of a history of COMPLETE, feasible trials with several objectives, kept
    from trial to trial.

    Selecting them costs a non-dominated sort and a hypervolume subset selection, but a new
    row that a row of the last front taken strictly dominates changes neither the fronts taken
    (it lands on a later one, and dominates none of theirs) nor, when it lies within the
    bounds of the rows before it, the reference point: the selection is then the previous one,
    exactly. About half of the rows of a multi-objective TPE run are such rows.

    Otherwise, with three or more objectives, the greedy selection of the last front resumes
    the previous one (:func:`~tansaku._pareto._greedy.greedy_order`) when the rows taken before
    it and the reference point are the same: it replays the previous picks until a pick has
    left the front or a row new to the front would have added more than the pick did (ties to
    the lower row), and searches on from there.
    """

    def __init__(self) -> None:
        self._n = 0
        self._n_good = -1
        self._good = np.zeros(0, dtype=np.intp)
        self._last_front = np.zeros((0, 0))  # losses of the last front taken, (n_last, m)
        self._low = self._high = np.zeros(0)  # bounds of the finite losses, (m,)
        # The previous greedy selection of the last front (over the rows ``_last`` of ``loss``),
        # its reference point, and the rows of the fronts before it.
        self._run: GreedyRun | None = None
        self._reference = np.zeros(0)
        self._before = self._last = np.zeros(0, dtype=np.intp)
        self._use_boxes = True  # whether the boxes paid off in the previous selection

    def best(self, loss: np.ndarray, n_good: int) -> np.ndarray:
        """The ``n_good`` best rows of ``loss`` (n, m), as :func:`good_mask` ranks them.

        ``loss`` holds the rows of the last call and new rows after them.
        """
        n = len(loss)
        if n_good <= 0:
            return np.zeros(0, dtype=np.intp)
        if n_good == self._n_good and n >= self._n and self._keeps_selection(loss[self._n :]):
            self._n = n
            return self._good
        self._good, last_front = self._select(loss, n_good)
        self._n, self._n_good = n, n_good
        self._last_front = loss[last_front]
        finite = loss[np.all(np.isfinite(loss), axis=1)]
        if len(finite):
            self._low, self._high = finite.min(axis=0), finite.max(axis=0)
        else:
            self._n_good = -1  # no reference point to keep: never reuse
        return self._good

    def _select(self, loss: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """:func:`_best_by_dominance`, resuming the previous greedy selection where it holds."""
        fronts = fronts_until(loss, k)
        before = np.concatenate([np.zeros(0, dtype=np.intp), *fronts[:-1]])
        last = fronts[-1]
        k_last = k - len(before)
        finite = np.all(np.isfinite(loss[last]))
        if loss.shape[1] < 3 or not finite or k_last >= len(last):
            self._run = None
            return _best_by_dominance(loss, k, fronts)
        reference = reference_point(loss[np.all(np.isfinite(loss), axis=1)])
        previous = None
        same = np.array_equal(reference, self._reference) and np.array_equal(before, self._before)
        if same and self._run is not None:
            position = np.full(len(loss), -1, dtype=np.intp)
            position[last] = np.arange(len(last))
            previous = self._run.carried(position[self._last], len(last))
        self._run = greedy_order(loss[last], k_last, reference, previous, self._use_boxes)
        self._use_boxes = self._run.boxes_cheaper
        self._reference, self._before, self._last = reference, before, last
        return np.concatenate([before, np.sort(last[self._run.order])]).astype(np.intp), last

    def _keeps_selection(self, new: np.ndarray) -> bool:
        if not len(self._last_front) or not np.all(np.isfinite(new)):
            return False
        if np.any(new < self._low) or np.any(new > self._high):
            return False  # the reference point moves
        no_worse = np.all(self._last_front[:, None, :] <= new[None, :, :], axis=2)  # (last, new)
        better = np.any(self._last_front[:, None, :] < new[None, :, :], axis=2)
        return bool(np.all(np.any(no_worse & better, axis=0)))


def _best_by_dominance(
    loss: np.ndarray, k: int, fronts: list[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``k`` rows of ``loss`` by non-domination rank, the last front cut by greedy
    hypervolume contribution; and the indices of that whole last front.

    ``fronts`` is ``fronts_until(loss, k)`` when the caller has it."""
    if fronts is None:
        fronts = fronts_until(loss, k)
    chosen = fronts[:-1]
    taken = sum(len(front) for front in chosen)
    last = fronts[-1]
    finite = loss[np.all(np.isfinite(loss), axis=1)]
    # With infinite losses in the last front the selection ignores the reference point.
    reference = reference_point(finite) if len(finite) else np.zeros(loss.shape[1])
    picked = select_by_hypervolume(loss[last], k - taken, reference)
    return np.concatenate([*chosen, last[picked]]).astype(np.intp), last
