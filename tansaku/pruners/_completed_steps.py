"""The values that a study's completed trials reported, grouped by step and folded in once."""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.caches import forget_on_escape
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


def linear_percentile(ascending: Sequence[float], percentile: float) -> float:
    """The ``percentile``-th percentile of sorted, NaN-free ``ascending`` values, by linear
    interpolation between the closest ranks, with the floating-point steps of
    ``numpy.percentile`` (so the result is the same float).

    Args:
        ascending: At least one value, sorted ascending.
        percentile: In [0, 100].
    """
    n = len(ascending)
    virtual = (n - 1) * (percentile / 100)
    if virtual >= n - 1:
        below = above = n - 1
        weight = virtual + 1.0  # numpy's offset from index -1, the last one
    else:
        below = math.floor(virtual)
        above = below + 1
        weight = virtual - below
    low, high = ascending[below], ascending[above]
    gap = high - low
    if weight >= 0.5:
        return high - gap * (1 - weight)
    return low + gap * weight


class CompletedStepValues:
    """Intermediate values of one study's COMPLETE trials, by step, kept sorted.

    A trial that completed never changes, so each one is folded in once, by insertion into the
    sorted values of each step it reported; the set of completed trials only grows, so their
    count tells whether anything is new. A percentile is then an index lookup. Nothing here is
    the source of truth: each process (or pruner) that shares a storage rebuilds the same
    values from the trials it reads. Safe to share between threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset(None)

    def _reset(self, key: tuple[int, int] | None) -> None:
        self._key = key
        self._folded: set[int] = set()  # numbers of the trials folded in
        self._sorted: dict[int, list[float]] = {}  # step -> its values but NaN, ascending
        self._counts: dict[int, int] = {}  # step -> how many values, NaN included

    def __getstate__(self) -> dict[str, Any]:
        return {}  # a cache: a copy starts empty (and a lock cannot be pickled)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._reset(None)

    def update(self, study: Study, completed: Sequence[FrozenTrial]) -> None:
        """Fold in the trials of ``completed`` (the study's COMPLETE trials) not seen yet.

        Args:
            study: The study the trials belong to; another study starts the values over.
            completed: Every COMPLETE trial of the study, ordered by number.
        """
        key = (id(study._storage), study._study_id)
        # A trial marked folded before all its values were inserted would stay short: an
        # update that anything escapes starts the values over.
        with self._lock, forget_on_escape(self._reset, None):
            if key != self._key or len(completed) < len(self._folded):
                self._reset(key)
            missing = len(completed) - len(self._folded)
            if missing == 0:
                return
            folded, by_step, counts = self._folded, self._sorted, self._counts
            # New completions are mostly the latest numbers: look from the end.
            for trial in reversed(completed):
                if trial.number in folded:
                    continue
                folded.add(trial.number)
                for step, value in trial.intermediate_values.items():
                    counts[step] = counts.get(step, 0) + 1
                    if not math.isnan(value):
                        bisect.insort(by_step.setdefault(step, []), value)
                missing -= 1
                if missing == 0:
                    break

    def percentile(self, step: int, q: float, n_min_trials: int) -> float:
        """The ``q``-th percentile (linear, NaNs ignored) of the values reported at ``step``.

        Returns:
            NaN when fewer than ``n_min_trials`` completed trials reported ``step``, or when all
            of their values there are NaN.
        """
        with self._lock:
            if self._counts.get(step, 0) < n_min_trials:
                return math.nan
            values = self._sorted.get(step)
            if not values:
                return math.nan
            return linear_percentile(values, q)
