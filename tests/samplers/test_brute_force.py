"""BruteForceSampler: every leaf of a finite, conditional search space once, then a stop."""

from __future__ import annotations

import collections
import itertools
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.exceptions import ExperimentalWarning
from tansaku.samplers import BruteForceSampler
from tansaku.trial import Trial, TrialState, create_trial


@pytest.fixture(autouse=True)
def _no_experimental_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        yield


def _conditional(trial: Trial) -> float:
    """A categorical that opens either a stepped float or two dependent ints."""
    kind = trial.suggest_categorical("kind", ["float", "int"])
    if kind == "float":
        return trial.suggest_float("x", 1, 3, step=0.5)
    a = trial.suggest_int("a", 1, 3)
    b = trial.suggest_int("b", a, 3)
    return float(a + b)


CONDITIONAL_LEAVES = {(("kind", "float"), ("x", x)) for x in (1.0, 1.5, 2.0, 2.5, 3.0)} | {
    (("kind", "int"), ("a", a), ("b", b)) for a in (1, 2, 3) for b in range(a, 4)
}


def _leaves(study: tansaku.Study, state: TrialState | None = None) -> list[tuple[Any, ...]]:
    return [tuple(t.params.items()) for t in study.trials if state is None or t.state is state]


def test_every_leaf_of_a_conditional_space_is_visited_exactly_once_then_the_study_stops() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(_conditional, n_trials=100)
    leaves = _leaves(study)
    assert len(leaves) == len(CONDITIONAL_LEAVES) == 11
    assert set(leaves) == CONDITIONAL_LEAVES


def test_finite_distributions_of_every_kind_are_enumerated() -> None:
    def objective(trial: Trial) -> float:
        trial.suggest_float("f", 0, 1, step=0.25)
        trial.suggest_int("i", 0, 10, step=5)
        trial.suggest_int("g", 1, 4, log=True)
        trial.suggest_categorical("c", [None, True, "s"])
        return 0.0

    study = tansaku.create_study(sampler=BruteForceSampler(seed=1))
    study.optimize(objective)
    expected = set(
        itertools.product([0.0, 0.25, 0.5, 0.75, 1.0], [0, 5, 10], [1, 2, 3, 4], [None, True, "s"])
    )
    got = [(t.params["f"], t.params["i"], t.params["g"], t.params["c"]) for t in study.trials]
    assert len(got) == len(expected) == 180
    assert set(got) == expected


def test_params_of_one_value_take_no_branch_and_every_combination_runs_once() -> None:
    # The trial sets a param of one value without asking the sampler; its place in the
    # suggest order must not read as a change of the objective.
    def objective(trial: Trial) -> float:
        x = trial.suggest_int("x", 0, 1)
        trial.suggest_float("constant", 0.5, 0.5)
        trial.suggest_int("fixed_int", 3, 3)
        trial.suggest_categorical("only", ["one"])
        y = trial.suggest_float("y", 0, 1, step=0.5)
        return x + y

    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        study.optimize(objective, n_trials=20)
    got = [(t.params["x"], t.params["y"]) for t in study.trials]
    assert sorted(got) == list(itertools.product([0, 1], [0.0, 0.5, 1.0]))
    assert all(t.params["constant"] == 0.5 and t.params["only"] == "one" for t in study.trials)


def test_stepped_float_values_are_the_decimal_grid_points() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 0.3, step=0.1))
    assert sorted(t.params["x"] for t in study.trials) == [0.0, 0.1, 0.2, 0.3]


def test_continuous_float_raises_naming_the_param() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler())
    trial = study.ask()
    with pytest.raises(ValueError, match="param 'lr'.*give suggest_float a step"):
        trial.suggest_float("lr", 1e-5, 1e-1, log=True)


def test_same_seed_gives_the_same_order() -> None:
    def order(seed: int) -> list[tuple[Any, ...]]:
        study = tansaku.create_study(sampler=BruteForceSampler(seed=seed))
        study.optimize(_conditional)
        return _leaves(study)

    assert order(5) == order(5)
    assert order(5) != order(6)


def test_objective_without_params_runs_once() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler())
    study.optimize(lambda t: 1.0, n_trials=10)
    assert len(study.trials) == 1


def test_failed_trials_count_as_explored_by_default() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_int("x", 0, 2)
        if x == 1:
            raise RuntimeError("boom")
        return float(x)

    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(objective, n_trials=20, catch=RuntimeError)
    states = collections.Counter(t.state for t in study.trials)
    assert states == {TrialState.COMPLETE: 2, TrialState.FAIL: 1}


def test_avoid_premature_stop_retries_failed_combinations() -> None:
    failures = []

    def objective(trial: Trial) -> float:
        x = trial.suggest_int("x", 0, 2)
        if x == 1 and not failures:
            failures.append(trial.number)
            raise RuntimeError("transient")
        return float(x)

    study = tansaku.create_study(sampler=BruteForceSampler(seed=0, avoid_premature_stop=True))
    study.optimize(objective, n_trials=20, catch=RuntimeError)
    assert len(study.trials) == 4
    assert sorted(t.params["x"] for t in study.get_trials(states=(TrialState.COMPLETE,))) == [
        0,
        1,
        2,
    ]


def test_pruned_trials_count_as_explored() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_int("x", 0, 3)
        if x % 2:
            raise tansaku.TrialPruned()
        return float(x)

    for avoid in (False, True):
        study = tansaku.create_study(sampler=BruteForceSampler(avoid_premature_stop=avoid))
        study.optimize(objective, n_trials=20)
        assert sorted(t.params["x"] for t in study.trials) == [0, 1, 2, 3]


def test_running_trial_counts_as_exploring_its_branch_by_default() -> None:
    def objective(trial: Trial) -> float:
        return float(trial.suggest_int("x", 0, 1) + trial.suggest_int("y", 0, 1))

    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    held = study.ask()
    held_x = held.suggest_int("x", 0, 1)  # running, y not suggested yet
    study.optimize(objective, n_trials=20)
    # The held trial stands for all of x=held_x: the study stops after the other branch.
    others = [(t.params["x"], t.params["y"]) for t in study.trials if t.number != held.number]
    assert sorted(others) == [(1 - held_x, 0), (1 - held_x, 1)]


def test_avoid_premature_stop_explores_branches_that_running_trials_entered() -> None:
    def objective(trial: Trial) -> float:
        return float(trial.suggest_int("x", 0, 1) + trial.suggest_int("y", 0, 1))

    study = tansaku.create_study(sampler=BruteForceSampler(seed=0, avoid_premature_stop=True))
    held = study.ask()
    held.suggest_int("x", 0, 1)
    study.optimize(objective, n_trials=20)
    others = [(t.params["x"], t.params["y"]) for t in study.trials if t.number != held.number]
    assert sorted(others) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_four_threads_cover_every_leaf_with_avoid_premature_stop() -> None:
    def objective(trial: Trial) -> float:
        value = _conditional(trial)
        time.sleep(0.002)  # let the threads overlap
        return value

    study = tansaku.create_study(sampler=BruteForceSampler(seed=0, avoid_premature_stop=True))
    study.optimize(objective, n_jobs=4, n_trials=200)
    leaves = _leaves(study)
    assert set(leaves) == CONDITIONAL_LEAVES
    assert len(leaves) < 200  # the sampler stopped the study


def test_ask_and_tell_is_not_stopped_and_repeats_a_combination_after_exhaustion() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    for _ in range(3):
        trial = study.ask()
        study.tell(trial, float(trial.suggest_int("x", 0, 2)))
    assert sorted(t.params["x"] for t in study.trials) == [0, 1, 2]
    trial = study.ask()
    assert trial.suggest_int("x", 0, 2) in (0, 1, 2)


def test_a_fresh_sampler_continues_where_the_history_left_off() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(_conditional, n_trials=4)
    study.sampler = BruteForceSampler(seed=1)
    study.optimize(_conditional, n_trials=100)
    leaves = _leaves(study)
    assert len(leaves) == 11
    assert set(leaves) == CONDITIONAL_LEAVES


def test_trials_added_by_hand_count_even_with_float_rounding() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    distribution = FloatDistribution(0, 0.3, step=0.1)
    rounded = 0.7 - 0.5  # 0.19999999999999996
    study.add_trial(
        create_trial(params={"x": rounded}, distributions={"x": distribution}, value=0.0)
    )
    study.optimize(lambda t: t.suggest_float("x", 0, 0.3, step=0.1), n_trials=20)
    assert sorted(t.params["x"] for t in study.trials[1:]) == [0.0, 0.1, 0.3]


def test_a_suggest_that_changes_the_search_space_raises() -> None:
    # As Optuna: another param, or another range, where earlier trials suggested one.
    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("old", 0, 1), n_trials=20)
    with pytest.raises(ValueError, match="must not change"):
        study.ask().suggest_int("new", 0, 2)
    with pytest.raises(ValueError, match="must not change"):
        study.ask().suggest_int("old", 0, 2)
    assert study.ask().suggest_int("old", 0, 1) in (0, 1)


def test_trials_off_the_grid_are_left_out_with_a_warning() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler(seed=0))
    study.add_trial(
        create_trial(params={"x": 0.05}, distributions={"x": FloatDistribution(0, 1)}, value=0.0)
    )
    with pytest.warns(UserWarning, match="lie off the grid"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1, step=0.5), n_trials=20)
    assert sorted(t.params["x"] for t in study.trials[1:]) == [0.0, 0.5, 1.0]


def test_brute_force_sampler_is_experimental() -> None:
    with pytest.warns(ExperimentalWarning, match="BruteForceSampler"):
        BruteForceSampler()
