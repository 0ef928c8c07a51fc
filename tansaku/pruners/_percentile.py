"""PercentilePruner: stop a trial whose best value so far is worse than a percentile of the
values other trials reported at the same step."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid
from tansaku.pruners._base import BasePruner
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study


def is_first_report_in_interval(
    step: int, reported_steps: Iterable[int], n_warmup_steps: int, interval_steps: int
) -> bool:
    """True when ``step`` is the first report at or after the latest pruning checkpoint.

    Checkpoints are ``n_warmup_steps + k * interval_steps``; a trial is judged once per
    interval, at the first step it reports in it.
    """
    checkpoint = (step - n_warmup_steps) // interval_steps * interval_steps + n_warmup_steps
    previous = max((s for s in reported_steps if s != step), default=-1)
    return previous < checkpoint


def best_intermediate_value(trial: FrozenTrial, direction: StudyDirection) -> float:
    """The trial's best reported value (NaN only when every value is NaN)."""
    values = np.array(list(trial.intermediate_values.values()), dtype=float)
    if values.size == 0 or np.all(np.isnan(values)):
        return math.nan
    if direction == StudyDirection.MAXIMIZE:
        return float(np.nanmax(values))
    return float(np.nanmin(values))


class PercentilePruner(BasePruner):
    """Prune a trial whose best value so far is worse than the given percentile of the
    values that completed trials reported at the same step.

    Args:
        percentile: In [0, 100]; for minimization, a trial is pruned when its best value is
            above this percentile (the best ``percentile`` percent survive).
        n_startup_trials: Never prune until this many trials have completed.
        n_warmup_steps: Never prune a trial before this step.
        interval_steps: Judge a trial once per this many steps after the warm-up.
        n_min_trials: Needed number of completed trials that reported the step.

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
        if n_warmup_steps < 0:
            raise invalid(where, "n_warmup_steps", n_warmup_steps, "must be >= 0")
        if interval_steps < 1:
            raise invalid(where, "interval_steps", interval_steps, "must be >= 1")
        if n_min_trials < 1:
            raise invalid(where, "n_min_trials", n_min_trials, "must be >= 1")
        self._percentile = percentile
        self._n_startup_trials = n_startup_trials
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps
        self._n_min_trials = n_min_trials

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not completed or len(completed) < self._n_startup_trials:
            return False
        step = trial.last_step
        if step is None or step < self._n_warmup_steps:
            return False
        if not is_first_report_in_interval(
            step, trial.intermediate_values, self._n_warmup_steps, self._interval_steps
        ):
            return False
        direction = study.direction
        best = best_intermediate_value(trial, direction)
        if math.isnan(best):
            return True
        at_step = [t.intermediate_values[step] for t in completed if step in t.intermediate_values]
        if len(at_step) < self._n_min_trials:
            return False
        percentile = self._percentile
        if direction == StudyDirection.MAXIMIZE:
            percentile = 100.0 - percentile
        cutoff = float(np.nanpercentile(np.array(at_step, dtype=float), percentile))
        if math.isnan(cutoff):
            return False
        if direction == StudyDirection.MAXIMIZE:
            return best < cutoff
        return best > cutoff
