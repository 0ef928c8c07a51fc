from __future__ import annotations

import math

import pytest

import tansaku
from tansaku.pruners import ThresholdPruner


def decisions(pruner: ThresholdPruner, values: list[float], direction: str = "minimize") -> list:
    study = tansaku.create_study(direction=direction, pruner=pruner)
    trial = study.ask()
    result = []
    for step, value in enumerate(values):
        trial.report(value, step)
        result.append(trial.should_prune())
    return result


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_values_outside_the_bounds_are_pruned_in_either_direction(direction: str) -> None:
    pruner = ThresholdPruner(lower=0.0, upper=1.0)
    assert decisions(pruner, [0.5, 0.0, 1.0, -0.1, 1.1, math.nan], direction) == [
        False,
        False,
        False,
        True,
        True,
        True,
    ]


def test_one_bound_is_enough() -> None:
    assert decisions(ThresholdPruner(upper=1.0), [-1e9, 2.0]) == [False, True]
    assert decisions(ThresholdPruner(lower=1.0), [1e9, 0.0]) == [False, True]


def test_only_the_latest_value_is_judged() -> None:
    assert decisions(ThresholdPruner(upper=1.0), [5.0, 0.5]) == [True, False]


def test_warmup_and_interval_steps() -> None:
    pruner = ThresholdPruner(upper=0.0, n_warmup_steps=2, interval_steps=3)
    assert decisions(pruner, [9.0] * 9) == [
        False,
        False,
        True,
        False,
        False,
        True,
        False,
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, TypeError, "ThresholdPruner: lower=None and upper=None; give at least one bound"),
        ({"lower": "a"}, TypeError, "ThresholdPruner: lower must be a float or None, got 'a'"),
        ({"lower": 2.0, "upper": 1.0}, ValueError, "ThresholdPruner: lower=2.0 must be <= upper"),
        ({"upper": 1.0, "n_warmup_steps": -1}, ValueError, "n_warmup_steps=-1 must be >= 0"),
        ({"upper": 1.0, "interval_steps": 0}, ValueError, "interval_steps=0 must be >= 1"),
    ],
)
def test_bad_arguments_are_rejected_naming_them(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ThresholdPruner(**kwargs)  # type: ignore[arg-type]
