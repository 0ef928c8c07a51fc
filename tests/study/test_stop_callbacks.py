"""TargetValueCallback and TimeBudgetCallback stop real studies when they should, and only then."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import pytest

import tansaku
from tansaku.study import TargetValueCallback, TimeBudgetCallback
from tansaku.trial import Trial, TrialState


def _objective_returning(values: list[float | None]) -> Callable[[Trial], float]:
    """An objective whose n-th trial returns values[n]; None prunes the trial instead."""
    sequence: Iterator[float | None] = iter(values)

    def objective(trial: Trial) -> float:
        trial.suggest_float("x", 0, 1)
        value = next(sequence)
        if value is None:
            raise tansaku.TrialPruned()
        return value

    return objective


@pytest.mark.parametrize(
    ("direction", "values", "target", "n_run"),
    [
        ("minimize", [5.0, 3.0, 1.0, 0.5, 0.1], 1.0, 3),  # stops at the first value <= 1
        ("maximize", [0.1, 0.5, 0.9, 0.95, 1.0], 0.9, 3),  # stops at the first value >= 0.9
        ("minimize", [5.0, 4.0, 3.0], -1.0, 3),  # never reached: every trial runs
        ("maximize", [1.0, 2.0, 3.0], 1.0, 1),  # the first trial reaches it
    ],
)
def test_target_value_stops_after_the_first_trial_that_reaches_it(
    direction: str, values: list[float], target: float, n_run: int
) -> None:
    study = tansaku.create_study(direction=direction)
    study.optimize(
        _objective_returning(values), n_trials=len(values), callbacks=[TargetValueCallback(target)]
    )
    assert len(study.trials) == n_run


def test_pruned_failed_and_infeasible_trials_do_not_count() -> None:
    def constraints(trial: tansaku.trial.FrozenTrial) -> list[float]:
        return [1.0 if trial.number == 2 else -1.0]  # trial 2 breaks its constraint

    study = tansaku.create_study(
        sampler=tansaku.samplers.TPESampler(seed=0, constraints_func=constraints)
    )
    values: list[float | None] = [None, math.nan, 0.0, 0.0, 0.0]
    study.optimize(
        _objective_returning(values), n_trials=len(values), callbacks=[TargetValueCallback(0.0)]
    )
    states = [t.state for t in study.trials]
    assert states == [TrialState.PRUNED, TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]


def test_a_trial_finished_elsewhere_that_reaches_the_target_stops_the_study() -> None:
    study = tansaku.create_study()
    other_worker = study.ask()
    study.tell(other_worker, 0.0)
    study.optimize(lambda t: 10.0, n_trials=5, callbacks=[TargetValueCallback(1.0)])
    assert len(study.trials) == 2  # the finished one, and one trial of this worker


def test_target_value_refuses_a_study_with_several_objectives() -> None:
    study = tansaku.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="must have one objective; it has 2 .MINIMIZE, MAXIMIZE."):
        study.optimize(lambda t: (1.0, 1.0), n_trials=3, callbacks=[TargetValueCallback(0.0)])
    assert len(study.trials) == 1  # the trial itself was recorded before the callback ran


@pytest.mark.parametrize("target", [math.nan, "0.1", None, True])
def test_target_must_be_a_number(target: object) -> None:
    with pytest.raises(ValueError, match=r"TargetValueCallback\(\): target=.* must be a number"):
        TargetValueCallback(target)  # type: ignore[arg-type]


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_time_budget_stops_once_spent_across_optimize_calls() -> None:
    clock = ManualClock()
    budget = TimeBudgetCallback(10.0, clock=clock)

    def objective(trial: Trial) -> float:
        clock.now += 3.0  # each trial takes three seconds
        return trial.suggest_float("x", 0, 1)

    study = tansaku.create_study()
    study.optimize(objective, n_trials=2, callbacks=[budget])
    assert len(study.trials) == 2 and budget.elapsed == 6.0
    study.optimize(objective, n_trials=100, callbacks=[budget])
    # Trials 3 (9 s) and 4 (12 s) run; after the fourth the budget is spent.
    assert len(study.trials) == 4


def test_time_budget_counts_from_its_creation() -> None:
    clock = ManualClock()
    budget = TimeBudgetCallback(5.0, clock=clock)
    clock.now += 5.0  # spent before optimize starts: one trial runs, then the study stops
    study = tansaku.create_study()
    study.optimize(lambda t: 1.0, n_trials=10, callbacks=[budget])
    assert len(study.trials) == 1


@pytest.mark.parametrize("seconds", [0, -1.0, math.nan, "60"])
def test_time_budget_must_be_positive(seconds: object) -> None:
    with pytest.raises(
        ValueError, match=r"TimeBudgetCallback\(\): seconds=.* must be a number > 0"
    ):
        TimeBudgetCallback(seconds)  # type: ignore[arg-type]
