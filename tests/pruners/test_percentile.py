from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import tansaku
from tansaku.pruners import PercentilePruner

StudyFromCurves = Callable[..., tansaku.Study]  # the make_study fixture


@pytest.mark.parametrize("percentile", [0.0, 10.0, 25.0, 50.0, 90.0, 100.0])
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_percentile_cutoff_matches_numpy_for_both_directions(
    make_study: StudyFromCurves, direction: str, percentile: float
) -> None:
    values = np.random.default_rng(0).normal(size=20)
    study = make_study(direction, [[v] for v in values], PercentilePruner(percentile, 1))
    if direction == "minimize":
        cutoff = np.percentile(values, percentile)
        inside, outside = cutoff - 1e-9, cutoff + 1e-9
    else:
        cutoff = np.percentile(values, 100.0 - percentile)
        inside, outside = cutoff + 1e-9, cutoff - 1e-9
    keep = study.ask()
    keep.report(inside, 0)
    assert not keep.should_prune()
    drop = study.ask()
    drop.report(outside, 0)
    assert drop.should_prune()


def test_cutoff_ignores_nan_values_of_completed_trials(make_study: StudyFromCurves) -> None:
    values = [1.0, math.nan, 2.0, 3.0, math.nan, 4.0]
    study = make_study("minimize", [[v] for v in values], PercentilePruner(50.0, 1))
    cutoff = np.nanpercentile(values, 50.0)  # 2.5
    trial = study.ask()
    trial.report(cutoff + 0.01, 0)
    assert trial.should_prune()


def test_cutoff_follows_trials_that_complete_between_calls(make_study: StudyFromCurves) -> None:
    pruner = PercentilePruner(50.0, n_startup_trials=1)
    study = make_study("minimize", [[10.0, 10.0]], pruner)
    judged = study.ask()
    judged.report(5.0, 0)
    assert not judged.should_prune()  # the median at step 0 is 10
    for value in (1.0, 2.0):
        other = study.ask()
        other.report(value, 0)
        other.report(value, 1)
        study.tell(other, value)
    judged.report(5.0, 1)
    assert judged.should_prune()  # the median at step 1 is now 2


def test_a_trial_whose_values_are_all_nan_is_pruned(make_study: StudyFromCurves) -> None:
    study = make_study("minimize", [[0.0]] * 5, PercentilePruner(50.0))
    trial = study.ask()
    trial.report(math.nan, 0)
    assert trial.should_prune()


def test_no_pruning_at_a_step_fewer_than_n_min_trials_reported(
    make_study: StudyFromCurves,
) -> None:
    curves = [[0.0, 0.0, 0.0]] * 2 + [[0.0]] * 3
    study = make_study("minimize", curves, PercentilePruner(50.0, n_min_trials=3))
    trial = study.ask()
    trial.report(9.0, 0)
    assert trial.should_prune()  # five trials reported step 0
    trial = study.ask()
    trial.report(9.0, 2)
    assert not trial.should_prune()  # two reported step 2


def test_the_cache_starts_over_for_another_study(make_study: StudyFromCurves) -> None:
    pruner = PercentilePruner(50.0, n_startup_trials=1)
    low = make_study("minimize", [[0.0]] * 3, pruner)
    trial = low.ask()
    trial.report(1.0, 0)
    assert trial.should_prune()
    high = make_study("minimize", [[5.0]] * 3, pruner)
    trial = high.ask()
    trial.report(1.0, 0)
    assert not trial.should_prune()


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("percentile", {"percentile": -1.0}),
        ("percentile", {"percentile": 101.0}),
        ("n_startup_trials", {"percentile": 50.0, "n_startup_trials": -1}),
        ("n_warmup_steps", {"percentile": 50.0, "n_warmup_steps": -1}),
        ("interval_steps", {"percentile": 50.0, "interval_steps": 0}),
        ("n_min_trials", {"percentile": 50.0, "n_min_trials": 0}),
    ],
)
def test_percentile_pruner_rejects_bad_arguments_naming_them(
    name: str, kwargs: dict[str, float]
) -> None:
    with pytest.raises(ValueError, match=rf"^PercentilePruner: {name}={kwargs[name]} must be"):
        PercentilePruner(**kwargs)  # type: ignore[arg-type]


def test_median_pruner_rejects_interval_steps_below_one() -> None:
    with pytest.raises(ValueError, match=r"MedianPruner: interval_steps=0 must be >= 1"):
        tansaku.pruners.MedianPruner(interval_steps=0)


def test_linear_percentile_is_numpys_float_for_float() -> None:
    from tansaku.pruners._completed_steps import linear_percentile

    rng = np.random.default_rng(5)
    for case in range(2000):
        n = int(rng.integers(1, 40))
        values = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4)
        if case % 5 == 0:
            values = np.round(values, 1)  # ties
        if case % 7 == 0:
            values[rng.integers(n)] = rng.choice([np.inf, -np.inf])
        percentile = float(rng.choice([0.0, 25.0, 50.0, 75.0, 100.0, rng.uniform(0, 100)]))
        expected = float(np.nanpercentile(values, percentile))
        actual = linear_percentile(sorted(values.tolist()), percentile)
        assert actual == expected or (math.isnan(actual) and math.isnan(expected)), (
            values,
            percentile,
        )
