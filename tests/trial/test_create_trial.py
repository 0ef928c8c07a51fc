"""create_trial: building a validated FrozenTrial by hand."""

from __future__ import annotations

from typing import Any

import pytest

from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.trial import FrozenTrial, TrialState, create_trial


def test_complete_trial_keeps_what_it_was_given() -> None:
    trial = create_trial(
        value=0.5,
        params={"x": 1.0, "opt": "adam"},
        distributions={
            "x": FloatDistribution(0, 10),
            "opt": CategoricalDistribution(["sgd", "adam"]),
        },
        user_attrs={"note": "from a paper"},
        system_attrs={"source": "manual"},
        intermediate_values={0: 0.9, 3: 0.6},
    )
    assert isinstance(trial, FrozenTrial)
    assert trial.state is TrialState.COMPLETE
    assert trial.value == 0.5
    assert trial.params == {"x": 1.0, "opt": "adam"}
    assert trial.user_attrs == {"note": "from a paper"}
    assert trial.system_attrs == {"source": "manual"}
    assert trial.intermediate_values == {0: 0.9, 3: 0.6}
    assert trial.last_step == 3


def test_multi_objective_values() -> None:
    assert create_trial(values=[1.0, -2.0]).values == [1.0, -2.0]


@pytest.mark.parametrize(
    ("state", "has_start", "has_complete"),
    [
        (TrialState.COMPLETE, True, True),
        (TrialState.PRUNED, True, True),
        (TrialState.FAIL, True, True),
        (TrialState.RUNNING, True, False),
        (TrialState.WAITING, False, False),
    ],
)
def test_times_are_set_according_to_state(
    state: TrialState, has_start: bool, has_complete: bool
) -> None:
    value = 1.0 if state is TrialState.COMPLETE else None
    trial = create_trial(state=state, value=value)
    assert (trial.datetime_start is not None) is has_start
    assert (trial.datetime_complete is not None) is has_complete


def test_pruned_trial_may_carry_its_last_value() -> None:
    trial = create_trial(state=TrialState.PRUNED, value=0.7, intermediate_values={4: 0.7})
    assert trial.value == 0.7


def test_complete_trial_without_value_raises_value_error() -> None:
    with pytest.raises(ValueError, match="value"):
        create_trial(state=TrialState.COMPLETE)


def test_complete_trial_with_nan_value_raises_value_error() -> None:
    with pytest.raises(ValueError):
        create_trial(values=[1.0, float("nan")])


def test_failed_trial_with_values_raises_value_error() -> None:
    # A failed trial has no objective value (Optuna rejects this too).
    with pytest.raises(ValueError, match="value"):
        create_trial(state=TrialState.FAIL, value=1.0)


def test_value_and_values_together_raise_value_error() -> None:
    with pytest.raises(ValueError):
        create_trial(value=1.0, values=[1.0])


@pytest.mark.parametrize(
    ("params", "distributions", "name"),
    [
        ({"x": 11.0}, {"x": FloatDistribution(0, 10)}, "x"),
        ({"x": 0.25}, {"x": FloatDistribution(0, 1, step=0.1)}, "x"),
        ({"n": 3}, {"n": IntDistribution(0, 10, step=2)}, "n"),
        ({"n": 0}, {"n": IntDistribution(1, 10, log=True)}, "n"),
    ],
)
def test_param_outside_its_distribution_raises_value_error_naming_it(
    params: dict[str, Any], distributions: dict[str, Any], name: str
) -> None:
    with pytest.raises(ValueError, match=f"'{name}'"):
        create_trial(value=1.0, params=params, distributions=distributions)


def test_categorical_param_not_among_choices_raises_value_error() -> None:
    with pytest.raises(ValueError, match="rmsprop"):
        create_trial(
            value=1.0,
            params={"opt": "rmsprop"},
            distributions={"opt": CategoricalDistribution(["sgd", "adam"])},
        )


@pytest.mark.parametrize(
    ("params", "distributions"),
    [
        ({"x": 1.0}, {}),
        ({}, {"x": FloatDistribution(0, 10)}),
        ({"x": 1.0}, {"y": FloatDistribution(0, 10)}),
    ],
)
def test_params_and_distributions_naming_different_names_raise_value_error(
    params: dict[str, Any], distributions: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        create_trial(value=1.0, params=params, distributions=distributions)


def test_constraints_are_recorded() -> None:
    trial = create_trial(value=1.0, constraints={"memory": 2, "latency": -0.5})
    assert trial.constraints == {"memory": 2.0, "latency": -0.5}


def test_nan_constraint_raises_value_error() -> None:
    with pytest.raises(ValueError, match="memory"):
        create_trial(value=1.0, constraints={"memory": float("nan")})


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        create_trial(TrialState.COMPLETE, 1.0)  # type: ignore[misc]


def test_trial_does_not_alias_the_callers_dicts() -> None:
    params = {"x": 1.0}
    user_attrs: dict[str, Any] = {"a": 1}
    trial = create_trial(
        value=1.0,
        params=params,
        distributions={"x": FloatDistribution(0, 10)},
        user_attrs=user_attrs,
    )
    params["x"] = 2.0
    user_attrs["b"] = 2
    assert trial.params == {"x": 1.0}
    assert trial.user_attrs == {"a": 1}
