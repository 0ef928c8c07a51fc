"""The values that a study's completed trials reported, grouped by step and folded in once."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


class CompletedStepValues:
    """Intermediate values of one study's COMPLETE trials, by step, and percentiles of them.

    A trial that completed never changes, so each one is folded in once; the set of completed
    trials only grows, so their count tells whether anything is new. A percentile computed for
    a step is kept until another trial completes. Nothing here is the source of truth: each
    process (or pruner) that shares a storage rebuilds the same values from the trials it reads.
    Safe to share between threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset(None)

    def _reset(self, key: tuple[int, int] | None) -> None:
        self._key = key
        self._folded: set[int] = set()  # numbers of the trials folded in
        self._by_step: dict[int, list[float]] = {}
        self._percentiles: dict[tuple[int, float, int], float] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {}  # a cache: a copy starts empty (and a lock cannot be pickled)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    @property
    def n_completed(self) -> int:
        """How many completed trials have been folded in."""
        return len(self._folded)

    def update(self, study: Study, completed: Sequence[FrozenTrial]) -> None:
        """Fold in the trials of ``completed`` (the study's COMPLETE trials) not seen yet.

        Args:
            study: The study the trials belong to; another study starts the values over.
            completed: Every COMPLETE trial of the study, ordered by number.
        """
        key = (id(study._storage), study._study_id)
        with self._lock:
            if key != self._key or len(completed) < len(self._folded):
                self._reset(key)
            missing = len(completed) - len(self._folded)
            if missing == 0:
                return
            folded, by_step = self._folded, self._by_step
            # New completions are mostly the latest numbers: look from the end.
            for trial in reversed(completed):
                if trial.number in folded:
                    continue
                folded.add(trial.number)
                for step, value in trial.intermediate_values.items():
                    by_step.setdefault(step, []).append(value)
                missing -= 1
                if missing == 0:
                    break
            self._percentiles.clear()

    def percentile(self, step: int, q: float, n_min_trials: int) -> float:
        """The ``q``-th percentile (linear, NaNs ignored) of the values reported at ``step``.

        Returns:
            NaN when fewer than ``n_min_trials`` completed trials reported ``step``, or when all
            of their values there are NaN.
        """
        key = (step, q, n_min_trials)
        with self._lock:
            cached = self._percentiles.get(key)
            if cached is not None:
                return cached
            values = self._by_step.get(step, ())
            if len(values) < n_min_trials:
                result = math.nan
            else:
                result = float(np.nanpercentile(np.array(values, dtype=float), q))
            self._percentiles[key] = result
            return result
