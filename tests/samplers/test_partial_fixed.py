"""PartialFixedSampler: fixed params get their values, the base sampler decides the rest."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

import tansaku
from tansaku.distributions import BaseDistribution, FloatDistribution, IntDistribution
from tansaku.exceptions import ExperimentalWarning
from tansaku.samplers import (
    BaseSampler,
    BruteForceSampler,
    GridSampler,
    PartialFixedSampler,
    RandomSampler,
)
from tansaku.study import Study
from tansaku.trial import FrozenTrial, Trial, TrialState


@pytest.fixture(autouse=True)
def _no_experimental_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        yield


class _RecordingSampler(BaseSampler):
    """A base sampler with a fixed relative space that records what it is asked."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.relative_spaces: list[dict[str, BaseDistribution]] = []
        self.independent_names: list[str] = []

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {"x": FloatDistribution(0, 1), "y": IntDistribution(0, 9)}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self.relative_spaces.append(search_space)
        return {name: 0.5 if name == "x" else 7 for name in search_space}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        self.independent_names.append(name)
        return 3

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self.calls.append(f"before {trial.number}")

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self.calls.append(f"after {trial.number} {state.name}")

    def reseed_rng(self) -> None:
        self.calls.append("reseed")


def _xy(trial: Trial) -> float:
    return trial.suggest_float("x", 0, 1) + trial.suggest_int("y", 0, 9)


def test_fixed_params_get_their_values_and_others_come_from_the_base_sampler() -> None:
    sampler = PartialFixedSampler({"y": 4}, RandomSampler(seed=0))
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_xy, n_trials=20)
    assert {t.params["y"] for t in study.trials} == {4}
    xs = [t.params["x"] for t in study.trials]
    assert len(set(xs)) == 20
    assert all(0 <= x <= 1 for x in xs)


def test_free_params_are_what_the_base_sampler_alone_would_give() -> None:
    def xs(sampler: BaseSampler, objective: Any) -> list[float]:
        study = tansaku.create_study(sampler=sampler)
        study.optimize(objective, n_trials=10)
        return [t.params["x"] for t in study.trials]

    partially_fixed = xs(PartialFixedSampler({"y": 4}, RandomSampler(seed=3)), _xy)
    # The fixed param never reaches the base sampler, so it draws as if only x existed.
    assert partially_fixed == xs(RandomSampler(seed=3), lambda t: t.suggest_float("x", 0, 1))


def test_relative_search_space_leaves_out_fixed_params() -> None:
    base = _RecordingSampler()
    study = tansaku.create_study(sampler=PartialFixedSampler({"y": 2}, base))
    study.optimize(_xy, n_trials=1)
    assert base.relative_spaces == [{"x": FloatDistribution(0, 1)}]
    assert base.independent_names == []
    assert study.trials[0].params == {"x": 0.5, "y": 2}


def test_hooks_and_reseed_are_passed_to_the_base_sampler() -> None:
    base = _RecordingSampler()
    sampler = PartialFixedSampler({"y": 2}, base)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_xy, n_trials=2)
    sampler.reseed_rng()
    assert base.calls == ["before 0", "after 0 COMPLETE", "before 1", "after 1 COMPLETE", "reseed"]


def test_fixed_value_outside_the_distribution_is_used_with_a_warning() -> None:
    study = tansaku.create_study(sampler=PartialFixedSampler({"x": 5.0}, RandomSampler()))
    trial = study.ask()
    with pytest.warns(UserWarning, match=r"fixed_params\['x'\]=5.0 is outside"):
        assert trial.suggest_float("x", 0, 1) == 5.0


def test_fixed_value_that_is_not_a_categorical_choice_raises_naming_the_param() -> None:
    study = tansaku.create_study(sampler=PartialFixedSampler({"c": "z"}, RandomSampler()))
    trial = study.ask()
    with pytest.raises(ValueError, match=r"fixed_params\['c'\]='z'"):
        trial.suggest_categorical("c", ["a", "b"])


def test_caller_changing_its_dict_later_does_not_change_the_fixed_values() -> None:
    fixed = {"y": 1}
    sampler = PartialFixedSampler(fixed, RandomSampler(seed=0))
    fixed["y"] = 9
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_xy, n_trials=3)
    assert {t.params["y"] for t in study.trials} == {1}


def test_grid_base_sampler_still_stops_the_study_through_after_trial() -> None:
    sampler = PartialFixedSampler({"y": 0}, GridSampler({"x": [0.0, 0.5, 1.0]}, seed=0))
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_xy, n_trials=50)
    assert sorted(t.params["x"] for t in study.trials) == [0.0, 0.5, 1.0]
    assert {t.params["y"] for t in study.trials} == {0}


@pytest.mark.parametrize(
    ("fixed", "base", "message"),
    [
        ([("y", 1)], RandomSampler(), "fixed_params must be a mapping"),
        ({"y": 1}, "random", "base_sampler must be a BaseSampler"),
    ],
)
def test_bad_arguments_raise_type_error_naming_them(fixed: Any, base: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        PartialFixedSampler(fixed, base)


def test_partial_fixed_sampler_is_experimental() -> None:
    with pytest.warns(ExperimentalWarning, match="PartialFixedSampler"):
        PartialFixedSampler({}, RandomSampler())


# -- finite base samplers: the study stops once the free params' space is explored ------------


def _finite(trial: Trial) -> float:
    x = trial.suggest_int("x", 0, 2)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return float(x) + (trial.suggest_int("z", 0, 1) if kind == "b" else 0.0)


# Combinations of _finite: 3 (kind a) + 3 * 2 (kind b).
_FINITE_SIZE = 9


def _fail_after(n_trials: int) -> Any:
    """A callback that fails the test once ``n_trials`` trials ran without the study stopping."""

    def callback(study: Study, trial: FrozenTrial) -> None:
        if len(study.trials) > n_trials:
            pytest.fail(f"the study did not stop after {n_trials} trials")

    return callback


def test_brute_force_base_sampler_stops_when_the_free_params_are_explored() -> None:
    sampler = PartialFixedSampler({"kind": "b"}, BruteForceSampler(seed=0))
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_finite, n_trials=None, callbacks=[_fail_after(3 * _FINITE_SIZE)])
    assert sorted((t.params["x"], t.params["z"]) for t in study.trials) == [
        (x, z) for x in range(3) for z in range(2)
    ]
    assert {t.params["kind"] for t in study.trials} == {"b"}


def test_brute_force_base_sampler_counts_only_earlier_trials_with_the_fixed_values() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler(seed=1))
    for params in ({"x": 0, "kind": "b", "z": 0}, {"x": 1, "kind": "b", "z": 0}):
        study.enqueue_trial(params)
    study.optimize(_finite, n_trials=2)
    study.sampler = PartialFixedSampler({"x": 1}, BruteForceSampler(seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a trial with another fixed value is no conflict
        study.optimize(_finite, n_trials=None, callbacks=[_fail_after(3 * _FINITE_SIZE)])
    # x=1 leaves (a), (b, 0) and (b, 1); (b, 0) ran before.
    assert sorted(tuple(t.params.items()) for t in study.trials[2:]) == [
        (("x", 1), ("kind", "a")),
        (("x", 1), ("kind", "b"), ("z", 1)),
    ]


def test_brute_force_base_sampler_explores_the_rest_of_a_partly_explored_slice() -> None:
    study = tansaku.create_study(sampler=BruteForceSampler(seed=2))
    for params in ({"x": 0, "kind": "a"}, {"x": 1, "kind": "b", "z": 0}, {"x": 2, "kind": "a"}):
        study.enqueue_trial(params)
    study.optimize(_finite, n_trials=3)
    study.sampler = PartialFixedSampler({"kind": "a"}, BruteForceSampler(seed=2))
    study.optimize(_finite, n_trials=None, callbacks=[_fail_after(3 * _FINITE_SIZE)])
    new = study.trials[3:]
    assert [(t.params["x"], t.params["kind"]) for t in new] == [(1, "a")]


def test_brute_force_sampler_wrapped_keeps_its_own_space_when_used_alone_again() -> None:
    base = BruteForceSampler(seed=3)
    study = tansaku.create_study(sampler=PartialFixedSampler({"kind": "a"}, base))
    study.optimize(_finite, n_trials=None, callbacks=[_fail_after(3 * _FINITE_SIZE)])
    assert len(study.trials) == 3
    study.sampler = base
    study.optimize(_finite, n_trials=None, callbacks=[_fail_after(3 * _FINITE_SIZE)])
    assert len(study.trials) == _FINITE_SIZE
    assert len({tuple(t.params.items()) for t in study.trials}) == _FINITE_SIZE


def test_grid_base_sampler_with_a_fixed_param_in_its_grid_stops_after_the_grid() -> None:
    # The grid's own points are counted, the fixed param's included (as in Optuna): the study
    # stops after the grid's size, repeating combinations that differ only in the fixed param.
    grid = GridSampler({"x": [0, 1, 2], "kind": ["a", "b"], "z": [0, 1]}, seed=0)
    study = tansaku.create_study(sampler=PartialFixedSampler({"kind": "a"}, grid))
    study.optimize(_finite, n_trials=None, callbacks=[_fail_after(3 * 12)])
    assert len(study.trials) == 12
    assert {t.params["x"] for t in study.trials} == {0, 1, 2}
    assert {t.params["kind"] for t in study.trials} == {"a"}
