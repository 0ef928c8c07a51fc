"""An error relative to the early values of an improvement evaluator."""

from __future__ import annotations

import math
import numbers
import sys
from typing import TYPE_CHECKING

import numpy as np

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid, invalid_type
from tansaku.terminator._erroreval import BaseErrorEvaluator
from tansaku.terminator._improvement import BaseImprovementEvaluator, check_count
from tansaku.trial import TrialState

if TYPE_CHECKING:
    from tansaku._internal.study_direction import StudyDirection
    from tansaku.trial import FrozenTrial

# What evaluate returns before the threshold is known: below any improvement (they are >= 0),
# so that the terminator does not stop.
_NOT_YET = -sys.float_info.min


class MedianErrorEvaluator(BaseErrorEvaluator):
    """A threshold at ``threshold_ratio`` times the median of an improvement evaluator's
    early values: the study stops once the improvement falls that far below where it
    started (the heuristic of Ishibashi et al. 2023, "A stopping criterion for Bayesian
    optimization by the gap of expected minimum simple regrets").

    Once ``warm_up_trials + n_initial_trials`` trials have completed, the paired evaluator is
    evaluated on the first 1, 2, ..., ``n_initial_trials`` completed trials after the first
    ``warm_up_trials`` (by trial number), and the threshold is fixed for good at the median
    of those values times ``threshold_ratio``. Before that, the error is below any
    improvement, so the study is not stopped.

    Args:
        paired_improvement_evaluator: The improvement evaluator the terminator uses with this
            error evaluator (typically :class:`~tansaku.terminator.EMMREvaluator`).
        warm_up_trials: Completed trials left out at the start (>= 0): the first trials of a
            study are often random and tell little about how the search goes.
        n_initial_trials: How many completed trials after them set the threshold (>= 1).
        threshold_ratio: The threshold as a share of the median; > 0 and finite.
    """

    def __init__(
        self,
        paired_improvement_evaluator: BaseImprovementEvaluator,
        warm_up_trials: int = 10,
        n_initial_trials: int = 20,
        threshold_ratio: float = 0.01,
    ) -> None:
        warn_experimental("MedianErrorEvaluator")
        where = "MedianErrorEvaluator"
        if not isinstance(paired_improvement_evaluator, BaseImprovementEvaluator):
            raise invalid_type(
                where,
                "paired_improvement_evaluator",
                paired_improvement_evaluator,
                "a BaseImprovementEvaluator",
            )
        check_count(where, "warm_up_trials", warm_up_trials, 0)
        check_count(where, "n_initial_trials", n_initial_trials, 1)
        if isinstance(threshold_ratio, bool) or not isinstance(threshold_ratio, numbers.Real):
            raise invalid_type(where, "threshold_ratio", threshold_ratio, "a float")
        if not (math.isfinite(threshold_ratio) and threshold_ratio > 0.0):
            raise invalid(where, "threshold_ratio", threshold_ratio, "must be > 0 and finite")
        self._paired_improvement_evaluator: BaseImprovementEvaluator = paired_improvement_evaluator
        self._warm_up_trials: int = int(warm_up_trials)
        self._n_initial_trials: int = int(n_initial_trials)
        self._threshold_ratio: float = float(threshold_ratio)
        self._threshold: float | None = None

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The threshold, computed once enough trials have completed and kept from then on."""
        if self._threshold is not None:
            return self._threshold
        complete = sorted(
            (trial for trial in trials if trial.state == TrialState.COMPLETE),
            key=lambda trial: trial.number,
        )
        start, n = self._warm_up_trials, self._n_initial_trials
        if len(complete) < start + n:
            return _NOT_YET
        values = [
            self._paired_improvement_evaluator.evaluate(
                complete[start : start + i], study_direction
            )
            for i in range(1, n + 1)
        ]
        # The upper median, as the evaluator's values are sorted and the middle one taken.
        median = float(np.sort(values)[n // 2])
        self._threshold = min(sys.float_info.max, median * self._threshold_ratio)
        return self._threshold
