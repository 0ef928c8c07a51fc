from __future__ import annotations

import math

import pytest

import tansaku
from tansaku.distributions import FloatDistribution, IntDistribution
from tansaku.exceptions import UpdateFinishedTrialError


@pytest.fixture
def study() -> tansaku.Study:
    return tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))


def test_suggested_values_lie_in_their_ranges(study: tansaku.Study) -> None:
    for _ in range(50):
        trial = study.ask()
        x = trial.suggest_float("x", -1.5, 2.5)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
        n = trial.suggest_int("n", 1, 128, log=True)
        k = trial.suggest_int("k", 0, 10, step=5)
        c = trial.suggest_categorical("c", [None, True, 1, 2.5, "s"])
        assert -1.5 <= x <= 2.5
        assert 1e-5 <= lr <= 1e-1
        assert q in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert 1 <= n <= 128 and isinstance(n, int)
        assert k in (0, 5, 10)
        assert c in (None, True, 1, 2.5, "s")
        study.tell(trial, 0.0)


def test_suggesting_a_name_twice_returns_the_first_value(study: tansaku.Study) -> None:
    trial = study.ask()
    first = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0, 1) == first
    assert trial.suggest_float("x", 0, 2) == first


def test_suggesting_a_name_with_another_kind_raises_and_keeps_the_param(
    study: tansaku.Study,
) -> None:
    trial = study.ask()
    value = trial.suggest_float("x", 0, 1)
    with pytest.raises(ValueError, match="'x'"):
        trial.suggest_int("x", 0, 1)
    with pytest.raises(ValueError, match="log"):
        trial.suggest_float("x", 0.1, 1, log=True)
    assert study.trials[0].params == {"x": value}


def test_categorical_choices_cannot_change_within_a_study(study: tansaku.Study) -> None:
    study.tell(study.ask().suggest_categorical("c", ["a", "b"]) and study.trials[0].number, 0.0)
    trial = study.ask()
    with pytest.raises(ValueError, match="dynamic value space"):
        trial.suggest_categorical("c", ["a", "b", "c"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.suggest_float("lr", 0.0, 1.0, log=True), r"suggest_float\('lr'\): low=0.0"),
        (lambda t: t.suggest_float("x", 2.0, 1.0), r"suggest_float\('x'\): low=2.0"),
        (lambda t: t.suggest_float("x", 0.1, 1.0, log=True, step=0.1), "step"),
        (lambda t: t.suggest_float("x", 0.0, 1.0, step=0.0), "step=0.0"),
        (lambda t: t.suggest_int("n", 0, 10, log=True), r"suggest_int\('n'\): low=0"),
        (lambda t: t.suggest_int("n", 5, 1), r"suggest_int\('n'\): low=5"),
        (lambda t: t.suggest_categorical("c", []), r"suggest_categorical\('c'\)"),
    ],
)
def test_bad_ranges_raise_naming_the_param_and_leave_trials_intact(
    study: tansaku.Study, call: object, message: str
) -> None:
    study.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=2)
    before = study.trials
    trial = study.ask()
    with pytest.raises(ValueError, match=message):
        call(trial)  # type: ignore[operator]
    assert study.trials[:2] == before
    assert study.trials[2].params == {}


def test_unhashable_choices_warn_and_are_suggested(study: tansaku.Study) -> None:
    with pytest.warns(UserWarning, match="of type list"):
        value = study.ask().suggest_categorical("c", [[1], [2]])  # type: ignore[list-item]
    assert value in ([1], [2])


def test_step_that_does_not_divide_the_range_warns_and_adjusts(study: tansaku.Study) -> None:
    trial = study.ask()
    with pytest.warns(UserWarning, match="replaced with 0.9"):
        value = trial.suggest_float("x", 0.0, 1.0, step=0.3)
    assert value <= 0.9
    assert trial.distributions["x"] == FloatDistribution(0.0, 0.9, step=0.3)


def test_single_value_ranges_need_no_sampling(study: tansaku.Study) -> None:
    trial = study.ask()
    assert trial.suggest_float("x", 1.5, 1.5) == 1.5
    assert trial.suggest_int("n", 3, 3) == 3
    assert trial.suggest_categorical("c", ["only"]) == "only"


def test_report_records_intermediate_values(study: tansaku.Study) -> None:
    trial = study.ask()
    trial.report(0.5, 0)
    trial.report(0.25, 1)
    assert study.trials[0].intermediate_values == {0: 0.5, 1: 0.25}
    assert study.trials[0].last_step == 1


def test_report_of_a_repeated_step_warns_and_keeps_the_first_value(
    study: tansaku.Study,
) -> None:
    trial = study.ask()
    trial.report(0.5, 0)
    with pytest.warns(UserWarning, match="already reported"):
        trial.report(0.9, 0)
    assert study.trials[0].intermediate_values == {0: 0.5}


@pytest.mark.parametrize(
    ("value", "step", "error"),
    [
        # A NaN step is a TypeError in Optuna; inf (OverflowError there) is refused alike.
        (1.0, math.inf, TypeError),
        (1.0, math.nan, TypeError),
        (1.0, -1, ValueError),
        (1.0, 1.5, TypeError),
        (1.0, "1", TypeError),
        ("high", 1, TypeError),
    ],
)
def test_report_rejects_bad_steps_and_values(
    study: tansaku.Study, value: object, step: object, error: type[Exception]
) -> None:
    trial = study.ask()
    with pytest.raises(error, match="step|value"):
        trial.report(value, step)  # type: ignore[arg-type]
    assert study.trials[0].intermediate_values == {}


def test_report_after_the_trial_finished_raises(study: tansaku.Study) -> None:
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(UpdateFinishedTrialError):
        trial.report(1.0, 0)


def test_report_and_should_prune_are_rejected_for_several_objectives() -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"])
    trial = study.ask()
    with pytest.raises(NotImplementedError):
        trial.report(1.0, 0)
    with pytest.raises(NotImplementedError):
        trial.should_prune()


def test_user_attrs_and_constraints(study: tansaku.Study) -> None:
    trial = study.ask()
    trial.set_user_attr("note", {"a": [1, 2]})
    trial.set_constraint("memory", 0.5)
    with pytest.warns(UserWarning, match="already set"):
        trial.set_constraint("memory", -1.0)
    with pytest.raises(ValueError, match="nan"):
        trial.set_constraint("time", math.nan)
    with pytest.raises(TypeError, match="float"):
        trial.set_constraint("time", "slow")  # type: ignore[arg-type]
    assert trial.user_attrs == {"note": {"a": [1, 2]}}
    assert trial.constraints == {"memory": 0.5}
    study.tell(trial, 1.0)
    stored = study.trials[0]
    assert stored.user_attrs == {"note": {"a": [1, 2]}}
    assert stored.constraints == {"memory": 0.5}


def test_deprecated_suggest_methods_warn_and_work(study: tansaku.Study) -> None:
    trial = study.ask()
    with pytest.warns(FutureWarning):
        assert 0 <= trial.suggest_uniform("u", 0, 1) <= 1
    with pytest.warns(FutureWarning):
        assert 0.1 <= trial.suggest_loguniform("l", 0.1, 1) <= 1
    with pytest.warns(FutureWarning):
        assert trial.suggest_discrete_uniform("d", 0, 1, 0.5) in (0.0, 0.5, 1.0)
    assert trial.distributions["l"] == FloatDistribution(0.1, 1, log=True)


def test_trial_views_are_copies(study: tansaku.Study) -> None:
    trial = study.ask()
    trial.suggest_int("n", 0, 5)
    trial.params["n"] = 99
    trial.distributions["n"] = IntDistribution(0, 1)
    assert trial.params["n"] != 99
    assert trial.distributions["n"] == IntDistribution(0, 5)
    assert trial.datetime_start is not None
    assert trial.number == 0
