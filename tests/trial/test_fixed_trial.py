"""FixedTrial: running an objective with params given up front."""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.trial import BaseTrial, FixedTrial


def objective(trial: BaseTrial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    n = trial.suggest_int("n", 1, 5)
    kind = trial.suggest_categorical("kind", ["linear", "square"])
    return x * n if kind == "linear" else x * x * n


def test_objective_runs_on_the_given_params() -> None:
    trial = FixedTrial({"x": 2.0, "n": 3, "kind": "square"})
    assert objective(trial) == 12.0
    assert trial.params == {"x": 2.0, "n": 3, "kind": "square"}
    assert trial.distributions == {
        "x": FloatDistribution(-10.0, 10.0),
        "n": IntDistribution(1, 5),
        "kind": CategoricalDistribution(["linear", "square"]),
    }


def test_suggest_returns_the_type_of_the_suggest_call() -> None:
    trial = FixedTrial({"x": 1, "n": 2.0})
    x = trial.suggest_float("x", 0, 5)
    n = trial.suggest_int("n", 0, 5)
    assert (x, type(x)) == (1.0, float)
    assert (n, type(n)) == (2, int)


def test_params_lists_only_the_params_suggested_so_far() -> None:
    trial = FixedTrial({"x": 1.0, "unused": 5})
    trial.suggest_float("x", 0, 2)
    assert trial.params == {"x": 1.0}


def test_missing_param_raises_value_error_naming_it() -> None:
    trial = FixedTrial({"x": 1.0})
    with pytest.raises(ValueError, match="'y'"):
        trial.suggest_float("y", 0, 1)


@pytest.mark.parametrize(
    ("params", "suggest"),
    [
        ({"x": 5.0}, lambda t: t.suggest_float("x", 0.0, 1.0)),
        ({"x": 0.15}, lambda t: t.suggest_float("x", 0.0, 1.0, step=0.1)),
        ({"x": 20.0}, lambda t: t.suggest_float("x", 0.1, 10.0, log=True)),
        ({"x": 3}, lambda t: t.suggest_int("x", 0, 10, step=2)),
        ({"x": 11}, lambda t: t.suggest_int("x", 1, 10, log=True)),
    ],
)
def test_value_outside_the_distribution_warns_and_is_returned(
    params: dict[str, float], suggest: Callable[[FixedTrial], Any]
) -> None:
    trial = FixedTrial(params)
    with pytest.warns(UserWarning, match="'x'"):
        value = suggest(trial)
    assert value == params["x"]


def test_value_inside_the_distribution_does_not_warn() -> None:
    trial = FixedTrial({"x": 0.3, "n": 4})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trial.suggest_float("x", 0.0, 1.0, step=0.1)
        trial.suggest_int("n", 0, 10, step=2)


def test_categorical_value_not_among_choices_raises_value_error() -> None:
    trial = FixedTrial({"opt": "rmsprop"})
    with pytest.raises(ValueError, match="rmsprop"):
        trial.suggest_categorical("opt", ["sgd", "adam"])


def test_bad_range_raises_value_error_naming_the_call_and_argument() -> None:
    trial = FixedTrial({"lr": 0.1})
    with pytest.raises(ValueError, match=r"suggest_float\('lr'\).*low=0"):
        trial.suggest_float("lr", 0.0, 1.0, log=True)


def test_suggesting_a_name_again_with_another_kind_raises_value_error() -> None:
    trial = FixedTrial({"x": 1})
    trial.suggest_int("x", 0, 5)
    with pytest.raises(ValueError):
        trial.suggest_float("x", 0.0, 5.0)


def test_deprecated_suggest_methods_warn_and_return_the_param() -> None:
    trial = FixedTrial({"a": 0.5, "b": 0.1, "c": 0.25})
    with pytest.warns(FutureWarning):
        assert trial.suggest_uniform("a", 0.0, 1.0) == 0.5
    with pytest.warns(FutureWarning):
        assert trial.suggest_loguniform("b", 0.01, 1.0) == 0.1
    with pytest.warns(FutureWarning):
        assert trial.suggest_discrete_uniform("c", 0.0, 1.0, 0.25) == 0.25
    assert trial.distributions["b"] == FloatDistribution(0.01, 1.0, log=True)


def test_report_and_should_prune_do_nothing() -> None:
    trial = FixedTrial({})
    trial.report(1.0, step=0)
    assert trial.should_prune() is False


def test_attrs_are_kept_on_the_trial() -> None:
    trial = FixedTrial({})
    trial.set_user_attr("note", "retrain")
    trial.set_system_attr("seed", 1)
    trial.set_constraint("memory", -1)
    assert trial.user_attrs == {"note": "retrain"}
    assert trial.system_attrs["seed"] == 1
    assert trial.constraints == {"memory": -1.0}


def test_set_constraint_twice_keeps_the_first_value_and_warns() -> None:
    trial = FixedTrial({})
    trial.set_constraint("memory", 1.0)
    with pytest.warns(UserWarning, match="memory"):
        trial.set_constraint("memory", 2.0)
    assert trial.constraints == {"memory": 1.0}


def test_number_and_start_time() -> None:
    before = datetime.datetime.now()
    trial = FixedTrial({}, number=7)
    assert trial.number == 7
    assert FixedTrial({}).number == 0
    assert trial.datetime_start is not None
    assert before <= trial.datetime_start <= datetime.datetime.now()
