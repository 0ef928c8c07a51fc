"""Bad suggest arguments raise at the call, naming the argument, and store nothing, on every
storage; odd categorical choices behave as Optuna's do (a warning, and the trial completes)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import tansaku
from tansaku.samplers import RandomSampler
from tansaku.storages import BaseStorage, InMemoryStorage
from tansaku.trial import FixedTrial, TrialState
from tests.storages._contract_backends import contract_storage  # noqa: F401 (the fixture)

INF = math.inf
NAN = math.nan

Call = Callable[[tansaku.Trial], Any]
BAD_CALLS: list[tuple[Call, str]] = [
    (lambda t: t.suggest_float("x", 0.0, INF), r"^suggest_float\('x'\): high=inf must be finite$"),
    (lambda t: t.suggest_float("x", -INF, 0.0), r"suggest_float\('x'\): low=-inf must be finite"),
    (lambda t: t.suggest_float("x", NAN, 1.0), r"suggest_float\('x'\): low=nan must be finite"),
    (lambda t: t.suggest_float("x", 0.0, NAN), r"suggest_float\('x'\): high=nan must be finite"),
    (lambda t: t.suggest_float("x", 1.0, INF, log=True), r"high=inf must be finite"),
    (lambda t: t.suggest_float("x", 0.0, 1.0, step=NAN), r"step=nan must be finite"),
    (lambda t: t.suggest_float("x", 0.0, 1.0, step=INF), r"step=inf must be finite"),
    (lambda t: t.suggest_int("n", 0, INF), r"^suggest_int\('n'\): high=inf must be finite$"),
    (lambda t: t.suggest_int("n", NAN, 3), r"suggest_int\('n'\): low=nan must be finite"),
    (lambda t: t.suggest_int("n", 0, 10, step=NAN), r"step=nan must be finite"),
    (lambda t: t.suggest_int("n", 0, 10, step=0.5), r"suggest_int\('n'\): step=0.5 must be an"),
    (lambda t: t.suggest_uniform("u", 0.0, INF), r"suggest_float\('u'\): high=inf"),
    (lambda t: t.suggest_loguniform("u", 1.0, INF), r"suggest_float\('u'\): high=inf"),
    (lambda t: t.suggest_discrete_uniform("u", 0.0, 1.0, NAN), r"step=nan must be finite"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
def test_infinite_or_nan_bound_or_step_raises_naming_it(call: Call, message: str) -> None:
    study = tansaku.create_study()
    trial = study.ask()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # suggest_uniform and the like
        with pytest.raises(ValueError, match=message):
            call(trial)
    assert study.trials[0].params == {}


def test_bad_bounds_store_nothing_and_the_study_goes_on(storage: BaseStorage) -> None:
    study = tansaku.create_study(storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    before = study.trials
    for call, _ in BAD_CALLS:
        trial = study.ask()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            with pytest.raises(ValueError, match="must be"):
                call(trial)
        study.tell(trial, state=TrialState.FAIL)
    trials = study.trials
    assert trials[:2] == before
    assert all(t.params == {} and t.distributions == {} for t in trials[2:])
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert study.trials[-1].state is TrialState.COMPLETE


def test_fixed_trial_rejects_infinite_bounds() -> None:
    with pytest.raises(ValueError, match=r"high=inf must be finite"):
        FixedTrial({"x": 1.0}).suggest_float("x", 0.0, INF)


def test_choices_equal_as_values_but_of_other_types_are_not_taken_from_the_cache() -> None:
    # 1 == True and hash(1) == hash(True): a cache of distributions keyed by the choices alone
    # handed [1, 2]'s distribution to a later suggest of [True, 2].
    study = tansaku.create_study(sampler=RandomSampler(seed=0))
    study.ask().suggest_categorical("c", [1, 2])
    with pytest.raises(ValueError, match="dynamic value space"):
        study.ask().suggest_categorical("c", [True, 2])
    study.ask().suggest_categorical("t", [(1,), (2,)])
    with pytest.raises(ValueError, match="dynamic value space"):
        study.ask().suggest_categorical("t", [(True,), (2,)])


def test_float_choice_equal_to_an_int_choice_comes_back_as_given() -> None:
    study = tansaku.create_study(sampler=RandomSampler(seed=0))
    study.ask().suggest_categorical("c", [1])
    value = study.ask().suggest_categorical("c", [1.0])
    assert type(value) is float


@pytest.mark.parametrize(
    ("choices", "kind"),
    [([{"a": 1}, {"b": 2}], "dict"), ([[1, 2], [3]], "list")],
    ids=["dict", "list"],
)
def test_dict_and_list_choices_warn_and_the_trial_completes(
    storage: BaseStorage, choices: list[Any], kind: str
) -> None:
    study = tansaku.create_study(storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    seen = []

    def objective(trial: tansaku.Trial) -> float:
        seen.append(trial.suggest_categorical("c", choices))
        return 1.0

    with pytest.warns(UserWarning, match=f"of type {kind}"):
        study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 5
    assert all(value in choices for value in seen)
    assert [t.params["c"] for t in study.trials[2:]] == seen


def test_choice_json_cannot_hold_fails_the_trial_and_stores_nothing_on_persistent_storages(
    storage: BaseStorage,
) -> None:
    # As Optuna: a warning at the suggest, then a TypeError from the storage that keeps
    # choices as JSON. InMemoryStorage keeps the object and the trial completes.
    study = tansaku.create_study(storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    choice = object()

    def objective(trial: tansaku.Trial) -> float:
        trial.suggest_categorical("o", [choice, 1])
        return 1.0

    with pytest.warns(UserWarning, match="of type object"):
        if isinstance(storage, InMemoryStorage):
            study.optimize(objective, n_trials=1)
        else:
            with pytest.raises(TypeError, match=r"choice <object .*> of type object cannot"):
                study.optimize(objective, n_trials=1)
    last = study.trials[-1]
    if isinstance(storage, InMemoryStorage):
        assert last.state is TrialState.COMPLETE
    else:
        assert (last.state, last.params, last.distributions) == (TrialState.FAIL, {}, {})
    assert len(study.trials) == 3
