"""Callbacks for ``Study.optimize`` that ship with tansaku."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Container
from typing import TYPE_CHECKING

from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid
from tansaku.study._multi_objective import is_feasible
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study._study import Study


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states``, counting every worker.

    Example:
        >>> study.optimize(objective, callbacks=[MaxTrialsCallback(100)])

    Args:
        n_trials: The number of trials at which to stop.
        states: The states that count; None counts every trial.
    """

    def __init__(
        self, n_trials: int, states: Container[TrialState] | None = (TrialState.COMPLETE,)
    ) -> None:
        self._n_trials = n_trials
        self._states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if self._states is None:
            count = study._storage.get_n_trials(study._study_id)
        else:
            states = tuple(s for s in TrialState if s in self._states)
            count = study._storage.get_n_trials(study._study_id, states)
        if count >= self._n_trials:
            study.stop()


class TargetValueCallback:
    """Stop the study once a feasible trial reaches ``target``, counting every worker.

    "Reaches" follows the study's direction: a value <= ``target`` when minimizing, >= when
    maximizing. Trials that did not complete (pruned, failed) never count, nor do trials that
    break their constraints. After each trial, the trial itself is checked first; then the
    study's best trial (one storage read), so that a trial another worker finished stops this
    worker too. The trials still running when the study stops finish as usual.

    Example:
        >>> # Stop as soon as some trial's validation loss is 0.05 or lower.
        >>> study.optimize(objective, n_trials=500, callbacks=[TargetValueCallback(0.05)])

    Args:
        target: The objective value that is good enough.

    Raises:
        ValueError: ``target`` is not a number, or is NaN; and, from the first call, the study
            has several objectives (one value cannot be reached by a Pareto front: stop those
            with ``MaxTrialsCallback`` or a ``TimeBudgetCallback``).
    """

    def __init__(self, target: float) -> None:
        if isinstance(target, bool) or not isinstance(target, int | float) or math.isnan(target):
            raise invalid("TargetValueCallback()", "target", target, "must be a number (not NaN)")
        self._target = float(target)

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        directions = study.directions
        if len(directions) != 1:
            raise invalid(
                "TargetValueCallback",
                "study",
                study.study_name,
                f"must have one objective; it has {len(directions)} "
                f"({', '.join(d.name for d in directions)})",
            )
        maximize = directions[0] == StudyDirection.MAXIMIZE
        if self._reaches(trial, maximize) or self._reaches(_best_or_none(study), maximize):
            study.stop()

    def _reaches(self, trial: FrozenTrial | None, maximize: bool) -> bool:
        if trial is None or trial.state != TrialState.COMPLETE or not is_feasible(trial):
            return False
        value = trial.value
        assert value is not None
        return value >= self._target if maximize else value <= self._target


def _best_or_none(study: Study) -> FrozenTrial | None:
    """The storage's best completed trial (feasible or not), or None before the first one."""
    try:
        return study._storage.get_best_trial(study._study_id)
    except ValueError:
        return None


class TimeBudgetCallback:
    """Stop the study once ``seconds`` of wall-clock time have passed since the callback was made.

    Unlike ``optimize(timeout=...)``, which counts each call on its own, the budget runs from
    the callback's creation: reuse one callback across several ``optimize`` calls (or pass it
    to ``optimize`` after some trials run by ``ask``/``tell``) to bound their total time. As
    with ``timeout``, the trial running when the budget runs out finishes first.

    Example:
        >>> budget = TimeBudgetCallback(3600)  # one hour for both phases together
        >>> study.optimize(coarse_objective, callbacks=[budget])
        >>> study.optimize(fine_objective, callbacks=[budget])

    Args:
        seconds: The budget, > 0.
        clock: The clock that tells the time in seconds; ``time.monotonic`` by default. Tests
            pass one they control.

    Raises:
        ValueError: ``seconds`` is not a number > 0.
    """

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
            raise invalid("TimeBudgetCallback()", "seconds", seconds, "must be a number > 0")
        self._seconds = float(seconds)
        self._clock = clock
        self._start = clock()

    @property
    def elapsed(self) -> float:
        """The seconds spent so far."""
        return self._clock() - self._start

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if self.elapsed >= self._seconds:
            study.stop()
