"""SuccessiveHalvingPruner: asynchronous successive halving (ASHA); no worker ever waits."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.system_attrs import set_trial_system_attr
from tansaku._internal.validation import invalid
from tansaku.pruners._base import BasePruner
from tansaku.pruners._rungs import RungValues, current_rung, promotion_rank, rung_key
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

_COMPLETE = (TrialState.COMPLETE,)


def check_resource(where: str, argument: str, value: int | str) -> None:
    """Raise ValueError unless ``value`` is an int >= 1 or ``"auto"``."""
    if isinstance(value, str):
        if value != "auto":
            raise invalid(where, argument, value, "must be an int >= 1 or 'auto'")
    elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(where, argument, value, "must be an int >= 1 or 'auto'")


class SuccessiveHalvingPruner(BasePruner):
    """Prune by asynchronous successive halving (Li et al., "A System for Massively Parallel
    Hyperparameter Tuning", MLSys 2020).

    Rung ``k`` ends at step ``min_resource * reduction_factor ** (min_early_stopping_rate +
    k)``. When a trial first reports a step at or past the end of its current rung, its latest
    value is recorded at that rung, and it goes on only if that value is among the best
    ``1 / reduction_factor`` of the values every trial of the study recorded at the same rung
    (the best one always goes on); otherwise it is pruned. Nobody waits for a rung to fill:
    a trial is ranked against whoever got there before it.

    What it reads and writes: the trial's own latest value and system attrs, and, only when
    the trial ends a rung, the rung values of the study's trials (finished trials are folded
    in once and ranked by binary search). It records the rung value in the trial's system
    attrs under ``completed_rung_<k>``, as Optuna does; this is the one write a pruner makes,
    so that workers sharing a storage share the rungs.

    Args:
        min_resource: The steps of the first rung (``r`` in the paper), or ``"auto"``: the
            largest last step of the completed trials divided by 100 (at least 1), fixed once
            a trial has completed; until then nothing is pruned. Set it when trials report
            different numbers of steps.
        reduction_factor: About ``1 / reduction_factor`` of the trials that reach a rung are
            promoted to the next (``eta`` in the paper); at least 2.
        min_early_stopping_rate: Shifts the first rung to ``min_resource * reduction_factor **
            min_early_stopping_rate`` steps (``s`` in the paper).
        bootstrap_count: A trial ending a rung that has at most this many values, its own
            included, is pruned: the first trials to reach a rung only seed it. Needs an
            explicit ``min_resource``.

    Raises:
        ValueError: an argument is out of its range.
    """

    def __init__(
        self,
        min_resource: str | int = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        where = type(self).__name__
        check_resource(where, "min_resource", min_resource)
        if reduction_factor < 2:
            raise invalid(where, "reduction_factor", reduction_factor, "must be >= 2")
        if min_early_stopping_rate < 0:
            raise invalid(
                where, "min_early_stopping_rate", min_early_stopping_rate, "must be >= 0"
            )
        if bootstrap_count < 0:
            raise invalid(where, "bootstrap_count", bootstrap_count, "must be >= 0")
        if bootstrap_count > 0 and min_resource == "auto":
            raise invalid(
                where, "bootstrap_count", bootstrap_count, "must be 0 when min_resource='auto'"
            )
        self._min_resource: int | None = None if min_resource == "auto" else int(min_resource)
        self._reduction_factor = reduction_factor
        self._min_early_stopping_rate = min_early_stopping_rate
        self._bootstrap_count = bootstrap_count
        self._rungs = RungValues()

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        intermediate = trial.intermediate_values
        if not intermediate:
            return False
        step = max(intermediate)
        min_resource = self._min_resource
        if min_resource is None:
            min_resource = self._estimate_min_resource(study)
            if min_resource is None:
                return False
        value = intermediate[step]
        factor = self._reduction_factor
        rung = current_rung(trial.system_attrs)
        live: dict[int, list[float]] | None = None
        while step >= min_resource * factor ** (self._min_early_stopping_rate + rung):
            if math.isnan(value):
                return True
            if live is None:
                # Read before recording, so the trial does not rank against itself.
                live = self._rungs.read(study, study.get_trials(deepcopy=False), trial.number)
            key = rung_key(rung)
            set_trial_system_attr(study, trial._trial_id, key, value)
            trial.system_attrs[key] = value
            n_competitors, n_ahead = self._rungs.standing(
                rung, value, study.direction == StudyDirection.MAXIMIZE, live
            )
            if n_competitors <= self._bootstrap_count:
                return True
            if n_ahead > promotion_rank(n_competitors, factor):
                return True
            rung += 1
        return False

    def _estimate_min_resource(self, study: Study) -> int | None:
        last_steps = [
            max(t.intermediate_values)
            for t in study.get_trials(deepcopy=False, states=_COMPLETE)
            if t.intermediate_values
        ]
        if not last_steps:
            return None
        estimate = max(max(last_steps) // 100, 1)
        self._min_resource = estimate
        return estimate
