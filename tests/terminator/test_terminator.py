"""The terminator stops studies that plateau, lets improving ones run, and rejects bad input."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import tansaku
from tansaku.exceptions import ExperimentalWarning
from tansaku.terminator import (
    BaseErrorEvaluator,
    BaseImprovementEvaluator,
    BaseTerminator,
    BestValueStagnationEvaluator,
    CrossValidationErrorEvaluator,
    EMMREvaluator,
    MedianErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    Terminator,
    TerminatorCallback,
)
from tansaku.trial import FrozenTrial, Trial
from tests.terminator.conftest import study_of


def _bowl(trial: Trial) -> float:
    """Plateaus: TPE soon finds values near the minimum 0 and then only polishes them."""
    x = trial.suggest_float("x", -3.0, 3.0)
    y = trial.suggest_float("y", -3.0, 3.0)
    return (x - 0.5) ** 2 + (y + 0.5) ** 2


def _improving(trial: Trial) -> float:
    """Each trial is better than the last, by 1, whatever its params."""
    x = trial.suggest_float("x", -3.0, 3.0)
    trial.suggest_float("y", -3.0, 3.0)
    return -trial.number + 0.01 * x


def _optimize(objective: Any, terminator: BaseTerminator, n_trials: int) -> tansaku.Study:
    study = tansaku.create_study(sampler=tansaku.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=n_trials, callbacks=[TerminatorCallback(terminator)])
    return study


@pytest.mark.parametrize(
    "make_terminator",
    [
        lambda: Terminator(RegretBoundEvaluator(seed=0), StaticErrorEvaluator(0.1), 10),
        lambda: Terminator(BestValueStagnationEvaluator(15), min_n_trials=10),
    ],
    ids=["regret_bound", "stagnation"],
)
def test_a_study_that_plateaus_is_stopped_and_one_that_keeps_improving_is_not(
    make_terminator: Any,
) -> None:
    plateau = _optimize(_bowl, make_terminator(), n_trials=100)
    assert 10 <= len(plateau.trials) < 100
    assert plateau.best_value < 0.2  # it stopped on the plateau, near the minimum
    improving = _optimize(_improving, make_terminator(), n_trials=40)
    assert len(improving.trials) == 40


def test_emmr_with_the_median_error_stops_a_plateau() -> None:
    emmr = EMMREvaluator(seed=0)
    median = MedianErrorEvaluator(emmr, warm_up_trials=5, n_initial_trials=10, threshold_ratio=0.1)
    study = _optimize(_bowl, Terminator(emmr, median, min_n_trials=10), n_trials=60)
    assert 15 <= len(study.trials) < 60  # not before the threshold is known (5 + 10 trials)


def test_the_stagnation_terminator_stops_after_exactly_the_allowed_trials() -> None:
    # Minimized values: the best is trial 2 (value 1); 3 more trials are allowed, so the
    # improvement 3 - (n - 1 - 2) falls below 0 at n = 7 completed trials.
    terminator = Terminator(BestValueStagnationEvaluator(max_stagnation_trials=3), min_n_trials=1)
    values = [5.0, 4.0, 1.0, 2.0, 3.0, 2.0, 1.5, 1.2, 1.1]
    decisions = [terminator.should_terminate(study_of(values[:n])) for n in range(1, 10)]
    assert decisions == [False] * 6 + [True] * 3


def test_the_terminator_waits_for_min_n_trials_completed_trials() -> None:
    values = [1.0] + [2.0] * 9  # stagnating since the first trial
    stagnation = BestValueStagnationEvaluator(max_stagnation_trials=0)
    assert Terminator(stagnation, min_n_trials=2).should_terminate(study_of(values))
    assert not Terminator(stagnation, min_n_trials=11).should_terminate(study_of(values))


def test_the_callback_stops_optimize_with_the_default_cross_validation_error() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -3.0, 3.0)
        trial.suggest_float("y", -3.0, 3.0)
        value = (x - 0.5) ** 2
        # A noisy cross-validation: the error (about 0.47) dwarfs the room left soon.
        scores = [value - 0.5, value, value + 0.5, value + 0.2, value - 0.2]
        tansaku.terminator.report_cross_validation_scores(trial, scores)
        return value

    study = _optimize(objective, Terminator(RegretBoundEvaluator(seed=0), min_n_trials=5), 50)
    assert 5 <= len(study.trials) < 50


def test_defaults_pair_each_improvement_with_its_error() -> None:
    default = Terminator()
    assert isinstance(default._improvement_evaluator, RegretBoundEvaluator)
    assert isinstance(default._error_evaluator, CrossValidationErrorEvaluator)
    stagnation = Terminator(BestValueStagnationEvaluator())
    assert isinstance(stagnation._error_evaluator, StaticErrorEvaluator)
    assert stagnation._error_evaluator.evaluate([], tansaku.study.StudyDirection.MINIMIZE) == 0
    assert isinstance(TerminatorCallback()._terminator, Terminator)


def test_no_future_warning_only_the_experimental_ones_optuna_gives() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TerminatorCallback(Terminator())
        study = study_of([3.0, 2.0, 1.0])
        tansaku.terminator.report_cross_validation_scores(study.ask(), [1.0, 2.0])
    categories = {w.category for w in caught}
    assert categories == {ExperimentalWarning}
    assert all("Evaluator" in str(w.message) for w in caught)


class _Constant(BaseImprovementEvaluator, BaseErrorEvaluator):
    def __init__(self, value: float) -> None:
        self.value = value

    def evaluate(self, trials: list[FrozenTrial], study_direction: Any) -> float:
        return self.value


def test_user_evaluators_plug_in() -> None:
    study = study_of([1.0, 2.0])
    assert Terminator(_Constant(1.0), _Constant(2.0), min_n_trials=1).should_terminate(study)
    assert not Terminator(_Constant(2.0), _Constant(2.0), min_n_trials=1).should_terminate(study)


def test_a_study_of_several_objectives_is_refused_naming_the_study() -> None:
    study = tansaku.create_study(directions=["minimize", "maximize"], study_name="two")
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    with pytest.raises(ValueError, match=r"should_terminate: study='two' must have one objective"):
        Terminator(min_n_trials=1).should_terminate(study)
    with pytest.raises(ValueError, match="must have one objective"):
        TerminatorCallback()(study, study.trials[-1])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Terminator(min_n_trials=0), r"Terminator: min_n_trials=0 must be >= 1"),
        (lambda: Terminator(min_n_trials=2.5), r"Terminator: min_n_trials must be an int"),
        (lambda: RegretBoundEvaluator(top_trials_ratio=0.0), r"top_trials_ratio=0.0 must be in"),
        (lambda: RegretBoundEvaluator(top_trials_ratio=1.5), r"top_trials_ratio=1.5 must be in"),
        (lambda: RegretBoundEvaluator(min_n_trials=0), r"min_n_trials=0 must be >= 1"),
        (lambda: EMMREvaluator(min_n_trials=1), r"EMMREvaluator: min_n_trials=1 must be >= 2"),
        (lambda: EMMREvaluator(delta=0.0), r"EMMREvaluator: delta=0.0 must be in \(0, 1\)"),
        (lambda: BestValueStagnationEvaluator(-1), r"max_stagnation_trials=-1 must be >= 0"),
        (lambda: StaticErrorEvaluator(float("nan")), r"constant=nan must not be NaN"),
        (lambda: StaticErrorEvaluator("1"), r"constant must be a number"),  # type: ignore[arg-type]
        (lambda: MedianErrorEvaluator(EMMREvaluator(), warm_up_trials=-1), r"warm_up_trials=-1"),
        (lambda: MedianErrorEvaluator(EMMREvaluator(), n_initial_trials=0), r"n_initial_trials=0"),
        (lambda: MedianErrorEvaluator(EMMREvaluator(), threshold_ratio=0.0), r"threshold_ratio=0"),
        (
            lambda: MedianErrorEvaluator(EMMREvaluator(), threshold_ratio=float("inf")),
            r"threshold_ratio=inf must be > 0 and finite",
        ),
        (
            lambda: MedianErrorEvaluator(StaticErrorEvaluator(0)),  # type: ignore[arg-type]
            r"paired_improvement_evaluator must be a BaseImprovementEvaluator",
        ),
        (
            lambda: TerminatorCallback(RegretBoundEvaluator()),  # type: ignore[arg-type]
            r"TerminatorCallback: terminator must be a BaseTerminator",
        ),
    ],
)
def test_bad_arguments_raise_at_the_call_naming_them(build: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        build()
