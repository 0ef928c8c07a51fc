from __future__ import annotations

import math

import pytest

import tansaku
from tansaku.exceptions import ExperimentalWarning
from tansaku.pruners import BasePruner, PatientPruner, ThresholdPruner


def decisions(pruner: BasePruner, values: list[float], direction: str = "minimize") -> list:
    study = tansaku.create_study(direction=direction, pruner=pruner)
    trial = study.ask()
    result = []
    for step, value in enumerate(values):
        trial.report(value, step)
        result.append(trial.should_prune())
    return result


def patient(*args: object, **kwargs: object) -> PatientPruner:
    with pytest.warns(ExperimentalWarning, match="PatientPruner is experimental"):
        return PatientPruner(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_prunes_after_patience_steps_without_improvement(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0
    values = [sign * v for v in (1.0, 0.5, 0.6, 0.7, 0.4, 0.8, 0.9, 0.95)]
    # patience=2: judged from the 4th value on; the best of the last 3 values must beat the
    # best of the values before them (shown for minimization):
    #   step 3: before [1.0]             recent [0.5, 0.6, 0.7]  0.5 < 1.0  -> go on
    #   step 4: before [1.0, 0.5]        recent [0.6, 0.7, 0.4]  0.4 < 0.5  -> go on
    #   step 5: before [1.0, 0.5, 0.6]   recent [0.7, 0.4, 0.8]  0.4 < 0.5  -> go on
    #   step 6: before [.., 0.7]         recent [0.4, 0.8, 0.9]  0.4 < 0.5  -> go on
    #   step 7: before [.., 0.4]         recent [0.8, 0.9, 0.95] 0.8 > 0.4  -> prune
    expected = [False] * 7 + [True]
    assert decisions(patient(None, patience=2), values, direction) == expected


def test_min_delta_is_the_least_change_that_counts() -> None:
    values = [1.0, 0.99, 0.995, 1.2]
    assert decisions(patient(None, patience=1), values)[1:] == [False, False, True]
    # With patience 0, step 1: 1.0 + 0.05 < 0.99 is False -> not stagnating.
    assert decisions(patient(None, patience=0, min_delta=0.05), values) == [
        False,
        False,
        False,
        True,
    ]
    assert decisions(patient(None, patience=0, min_delta=0.0), [1.0, 1.01]) == [False, True]


def test_the_wrapped_pruner_decides_once_the_trial_stagnates() -> None:
    wrapped = ThresholdPruner(upper=0.5)
    values = [0.9, 1.0, 1.0, 0.1, 0.2, 0.3]
    # Threshold alone would prune at steps 0-2; Patient asks it only from step 2 on (stalled).
    assert decisions(patient(wrapped, patience=1), values) == [
        False,
        False,
        True,
        False,
        False,
        False,
    ]


def test_nan_values_are_ignored_when_judging_stagnation() -> None:
    assert decisions(patient(None, patience=0), [1.0, math.nan, 2.0]) == [False, False, True]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patience": -1}, "PatientPruner: patience=-1 must be >= 0"),
        ({"patience": 1, "min_delta": -0.1}, "PatientPruner: min_delta=-0.1 must be >= 0"),
    ],
)
def test_bad_arguments_are_rejected_naming_them(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PatientPruner(None, **kwargs)  # type: ignore[arg-type]
