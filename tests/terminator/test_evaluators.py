"""Each evaluator's value on cases worked out by hand, and the cross-validation scores'
round trip through every storage."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.storages import BaseStorage
from tansaku.study import StudyDirection
from tansaku.terminator import (
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    CrossValidationErrorEvaluator,
    EMMREvaluator,
    MedianErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests.storages._contract_backends import contract_storage  # noqa: F401 (fixture)
from tests.terminator.conftest import bowl, grid_points, study_of

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE


# -- best value stagnation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "direction", "expected"),
    [
        ([3.0, 1.0, 2.0, 2.0], MIN, 5 - 2),  # best at index 1, 2 trials since
        ([3.0, 1.0, 2.0, 2.0], MAX, 5 - 3),  # best at index 0, 3 trials since
        ([1.0, 1.0, 1.0], MIN, 5 - 2),  # ties: the first best counts
        ([4.0, 3.0, 2.0], MIN, 5),  # the last trial is the best
    ],
)
def test_stagnation_counts_completed_trials_since_the_first_best(
    values: list[float], direction: StudyDirection, expected: int
) -> None:
    study = study_of(values, direction=direction.name.lower())
    assert BestValueStagnationEvaluator(5).evaluate(study.trials, direction) == expected


def test_stagnation_skips_trials_that_did_not_complete() -> None:
    study = study_of([3.0, 1.0])
    study.add_trial(create_trial(state=TrialState.FAIL))
    study.add_trial(create_trial(state=TrialState.PRUNED))
    assert BestValueStagnationEvaluator(5).evaluate(study.trials, MIN) == 5


def test_evaluators_that_need_a_completed_trial_say_so() -> None:
    trials = [create_trial(state=TrialState.FAIL)]
    for evaluator in (
        BestValueStagnationEvaluator(),
        RegretBoundEvaluator(),
        CrossValidationErrorEvaluator(),
    ):
        with pytest.raises(ValueError, match="no trial has completed"):
            evaluator.evaluate(trials, MIN)


# -- errors -------------------------------------------------------------------------------------


def test_static_error_is_its_constant() -> None:
    assert StaticErrorEvaluator(0.25).evaluate([], MIN) == 0.25


def _with_scores(value: float, scores: list[float] | None, number: int) -> FrozenTrial:
    trial = create_trial(value=value)
    if scores is not None:
        trial.system_attrs["terminator:cv_scores"] = scores
    trial.number = number
    return trial


def test_cross_validation_error_is_the_corrected_deviation_of_the_best_trials_scores() -> None:
    trials = [
        _with_scores(2.5, [1.0, 2.0, 3.0, 4.0], 0),
        _with_scores(9.0, [8.0, 10.0], 1),
        _with_scores(5.0, None, 2),
    ]
    # np.var([1, 2, 3, 4]) = 1.25; k = 4: times 1/4 + 1/3.
    assert CrossValidationErrorEvaluator().evaluate(trials, MIN) == pytest.approx(
        math.sqrt(1.25 * (1 / 4 + 1 / 3))
    )
    # Maximizing, trial 1 is the best: var([8, 10]) = 1, k = 2: times 1/2 + 1.
    assert CrossValidationErrorEvaluator().evaluate(trials, MAX) == pytest.approx(math.sqrt(1.5))


def test_cross_validation_error_without_scores_on_the_best_trial_says_what_to_call() -> None:
    trials = [_with_scores(1.0, None, 0), _with_scores(2.0, [1.0, 2.0], 1)]
    with pytest.raises(ValueError, match=r"trial \(number 0\).*report_cross_validation_scores"):
        CrossValidationErrorEvaluator().evaluate(trials, MIN)


def test_cross_validation_scores_reported_in_a_trial_are_read_back(
    storage: BaseStorage,
) -> None:
    study = tansaku.create_study(storage=storage)

    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        scores = np.array([x, x + 0.1, x + 0.2])  # numpy scores are stored as floats
        report_cross_validation_scores(trial, scores)
        return float(scores.mean())

    study.optimize(objective, n_trials=2)
    reloaded = tansaku.load_study(study_name=study.study_name, storage=storage)
    for trial in reloaded.trials:
        x = trial.params["x"]
        assert trial.system_attrs["terminator:cv_scores"] == pytest.approx([x, x + 0.1, x + 0.2])
    expected = math.sqrt(np.var([0.0, 0.1, 0.2]) * (1 / 3 + 1 / 2))
    assert CrossValidationErrorEvaluator().evaluate(reloaded.trials, MIN) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    ("scores", "error", "message"),
    [
        ([0.5], ValueError, r"report_cross_validation_scores: scores=\[0.5\] must hold at least"),
        ([], ValueError, r"scores=\[\] must hold at least two scores"),
        ([0.5, math.nan], ValueError, r"scores=\[0.5, nan\] must all be finite"),
        (["a", "b"], TypeError, r"scores must be a sequence of numbers"),
        (0.5, TypeError, r"scores must be a sequence of numbers"),
    ],
)
def test_bad_cross_validation_scores_are_refused_and_nothing_is_stored(
    scores: Any, error: type[Exception], message: str
) -> None:
    study = tansaku.create_study()
    trial = study.ask()
    with pytest.raises(error, match=message):
        report_cross_validation_scores(trial, scores)
    assert "terminator:cv_scores" not in study.trials[0].system_attrs


class _CountTrials(BaseImprovementEvaluator):
    """The number of trials it is given; records each call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        self.calls.append(len(trials))
        return float(len(trials))


def test_median_error_is_the_ratio_times_the_median_of_the_early_values_kept_for_good() -> None:
    paired = _CountTrials()
    median = MedianErrorEvaluator(
        paired, warm_up_trials=2, n_initial_trials=5, threshold_ratio=0.5
    )
    assert median.evaluate(study_of([1.0] * 6).trials, MIN) == -sys.float_info.min
    assert paired.calls == []  # not enough trials yet: 2 + 5 are needed
    # Values 1..5 (the paired evaluator on the first 1..5 trials after the warm-up): the
    # median is 3, the threshold 3 * 0.5.
    assert median.evaluate(study_of([1.0] * 7).trials, MIN) == 1.5
    assert paired.calls == [1, 2, 3, 4, 5]
    assert median.evaluate(study_of([1.0] * 30).trials, MIN) == 1.5  # fixed from then on
    assert paired.calls == [1, 2, 3, 4, 5]


def test_median_error_sorts_trials_by_number() -> None:
    paired = _CountTrials()
    median = MedianErrorEvaluator(paired, warm_up_trials=0, n_initial_trials=2)
    trials = list(reversed(study_of([1.0, 2.0]).trials))
    assert median.evaluate(trials, MIN) == pytest.approx(0.02)  # median of [1, 2] taken as 2


# -- GP evaluators ------------------------------------------------------------------------------


def _bowl_study(n: int, scale: float = 1.0, shift: float = 0.0, direction: str = "minimize"):
    points = grid_points(n)
    sign = 1.0 if direction == "minimize" else -1.0
    return study_of(sign * (scale * bowl(points) + shift), points, direction)


def test_regret_bound_is_in_the_objectives_units() -> None:
    base = RegretBoundEvaluator(seed=0).evaluate(_bowl_study(30).trials, MIN)
    assert base > 0
    scaled = RegretBoundEvaluator(seed=0).evaluate(_bowl_study(30, scale=10.0).trials, MIN)
    shifted = RegretBoundEvaluator(seed=0).evaluate(_bowl_study(30, shift=100.0).trials, MIN)
    assert scaled == pytest.approx(10 * base, rel=1e-4)
    assert shifted == pytest.approx(base, rel=1e-4)
    flipped = RegretBoundEvaluator(seed=0).evaluate(
        _bowl_study(30, direction="maximize").trials, MAX
    )
    assert flipped == pytest.approx(base, rel=1e-6)


def test_regret_bound_shrinks_as_trials_crowd_the_optimum() -> None:
    rng = np.random.default_rng(1)
    spread = rng.uniform(-3.0, 3.0, size=(20, 2))
    near = np.array([0.5, -0.5]) + rng.uniform(-0.05, 0.05, size=(20, 2))
    points = np.vstack([spread, near])
    study = study_of(bowl(points), points)
    evaluator = RegretBoundEvaluator(seed=0)
    before = evaluator.evaluate(study.trials[:20], MIN)
    after = evaluator.evaluate(study.trials, MIN)
    assert 0.0 <= after < before / 10


def test_regret_bound_of_equal_top_values_is_zero() -> None:
    assert RegretBoundEvaluator(seed=0).evaluate(study_of([1.0] * 5).trials, MIN) == 0.0


def test_regret_bound_needs_a_shared_param() -> None:
    study = tansaku.create_study()
    study.add_trial(create_trial(value=1.0))
    with pytest.raises(ValueError, match="share no param"):
        RegretBoundEvaluator().evaluate(study.trials, MIN)


def test_regret_bound_with_a_seed_is_reproducible() -> None:
    trials = _bowl_study(25).trials
    first = RegretBoundEvaluator(seed=3).evaluate(trials, MIN)
    assert RegretBoundEvaluator(seed=3).evaluate(trials, MIN) == first


def test_emmr_waits_for_min_n_trials_and_is_scale_free() -> None:
    big = sys.float_info.max * 0.1
    assert EMMREvaluator(min_n_trials=3).evaluate(_bowl_study(2).trials, MIN) == big
    value = EMMREvaluator(seed=0).evaluate(_bowl_study(25).trials, MIN)
    assert 0.0 < value < big
    scaled = EMMREvaluator(seed=0).evaluate(_bowl_study(25, scale=1000.0, shift=5.0).trials, MIN)
    assert scaled == pytest.approx(value, rel=1e-4)
    flipped = EMMREvaluator(seed=0).evaluate(_bowl_study(25, direction="maximize").trials, MAX)
    assert flipped == pytest.approx(value, rel=1e-6)


def test_emmr_is_small_when_the_last_trial_changes_nothing_and_large_when_it_surprises() -> None:
    points = grid_points(30)
    values = bowl(points)
    repeat = np.vstack([points, points[np.argmax(values)][None, :]])  # the worst point again
    evaluator = EMMREvaluator(deterministic_objective=True, seed=0)
    repeated = evaluator.evaluate(study_of(np.append(values, values.max()), repeat).trials, MIN)
    # A new best far below what the model expected there (a narrow dip it could not see).
    surprising = np.vstack([points, [[0.5, -0.5]]])
    found = evaluator.evaluate(study_of(np.append(values, -5.0), surprising).trials, MIN)
    assert repeated < found / 5


def test_emmr_without_a_shared_param_warns_and_does_not_stop() -> None:
    study = tansaku.create_study()
    study.add_trial(create_trial(value=1.0))
    study.add_trial(create_trial(value=2.0))
    with pytest.warns(UserWarning, match="share no param"):
        assert EMMREvaluator().evaluate(study.trials, MIN) == sys.float_info.max * 0.1
