"""PercentilePruner: stop a trial whose best value so far is worse than a percentile of the
values completed trials reported at the same step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid
from tansaku.pruners._base import BasePruner
from tansaku.pruners._completed_steps import CompletedStepValues
from tansaku.pruners._steps import (
    best_value,
    check_warmup_and_interval,
    step_to_judge,
)
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

_COMPLETE = (TrialState.COMPLETE,)


class PercentilePruner(BasePruner):
    """Prune a trial whose best value so far is worse than the given percentile of the
    values that completed trials reported at the same step.

    The trial is judged at its latest step: its best value over all its steps (NaNs ignored;
    a trial whose values are all NaN is pruned) is compared with the ``percentile``-th
    percentile (linear interpolation, NaNs ignored) of the values the COMPLETE trials
    reported at that step.

    What it reads: the trial's own intermediate values, and the study's COMPLETE trials. Each
    completed trial's values are folded in once into sorted per-step lists, so a call costs
    one read of the list of completed trials and an index lookup, however long the study is
    (Optuna gathers and sorts every completed trial's value at the step on each call).

    Example:
        >>> pruner = tansaku.pruners.PercentilePruner(25.0, n_startup_trials=5, n_warmup_steps=3)
        >>> study = tansaku.create_study(direction="maximize", pruner=pruner)

    Args:
        percentile: In [0, 100]; the best ``percentile`` percent survive (for minimization a
            trial is pruned when its best value is above this percentile of the others; for
            maximization, below the ``100 - percentile``-th).
        n_startup_trials: Never prune until this many trials have completed.
        n_warmup_steps: Never prune a trial before this step.
        interval_steps: Judge a trial once per this many steps after the warm-up (at its first
            report in each interval).
        n_min_trials: Never prune at a step fewer completed trials reported.

    Raises:
        ValueError: an argument is out of its range.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        where = type(self).__name__
        if not 0.0 <= percentile <= 100.0:
            raise invalid(where, "percentile", percentile, "must be in [0, 100]")
        if n_startup_trials < 0:
            raise invalid(where, "n_startup_trials", n_startup_trials, "must be >= 0")
        check_warmup_and_interval(where, n_warmup_steps, interval_steps)
        if n_min_trials < 1:
            raise invalid(where, "n_min_trials", n_min_trials, "must be >= 1")
        self._percentile = percentile
        self._n_startup_trials = n_startup_trials
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps
        self._n_min_trials = n_min_trials
        self._completed = CompletedStepValues()

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        # The checks on the trial alone come first: they need no read of the study.
        intermediate = trial.intermediate_values
        step = step_to_judge(intermediate, self._n_warmup_steps, self._interval_steps)
        if step is None:
            return False
        completed = study.get_trials(deepcopy=False, states=_COMPLETE)
        if not completed or len(completed) < self._n_startup_trials:
            return False
        direction = study.direction
        best = best_value(intermediate.values(), direction)
        if math.isnan(best):
            return True
        cache = self._completed
        cache.update(study, completed)
        if direction == StudyDirection.MAXIMIZE:
            cutoff = cache.percentile(step, 100.0 - self._percentile, self._n_min_trials)
            return best < cutoff  # False when the cutoff is NaN
        cutoff = cache.percentile(step, self._percentile, self._n_min_trials)
        return best > cutoff
