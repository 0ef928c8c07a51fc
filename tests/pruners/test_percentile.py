from __future__ import annotations

import numpy as np
import pytest

import tansaku
from tansaku.pruners import MedianPruner, PercentilePruner
from tansaku.trial import TrialState


def _study_with_curves(direction: str, curves: list[list[float]], pruner: object) -> tansaku.Study:
    study = tansaku.create_study(direction=direction, pruner=pruner)  # type: ignore[arg-type]
    for curve in curves:
        trial = study.ask()
        for step, value in enumerate(curve):
            trial.report(value, step)
        study.tell(trial, curve[-1])
    return study


def test_median_pruner_prunes_a_trial_worse_than_the_median_at_its_step() -> None:
    curves = [[float(i), float(i)] for i in range(5)]
    study = _study_with_curves("minimize", curves, MedianPruner(n_startup_trials=5))
    good = study.ask()
    good.report(1.0, 0)
    assert not good.should_prune()
    bad = study.ask()
    bad.report(3.0, 0)
    assert bad.should_prune()


def test_percentile_cutoff_matches_numpy_for_both_directions() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=20)
    for direction in ("minimize", "maximize"):
        pruner = PercentilePruner(25.0, n_startup_trials=1)
        study = _study_with_curves(direction, [[v] for v in values], pruner)
        if direction == "minimize":
            cutoff = np.percentile(values, 25.0)
            inside, outside = cutoff - 1e-6, cutoff + 1e-6
        else:
            cutoff = np.percentile(values, 75.0)
            inside, outside = cutoff + 1e-6, cutoff - 1e-6
        keep = study.ask()
        keep.report(inside, 0)
        assert not keep.should_prune()
        drop = study.ask()
        drop.report(outside, 0)
        assert drop.should_prune()


def test_no_pruning_before_startup_trials_or_warmup_steps() -> None:
    study = _study_with_curves("minimize", [[0.0, 0.0]] * 3, MedianPruner(n_startup_trials=5))
    trial = study.ask()
    trial.report(100.0, 0)
    assert not trial.should_prune()
    study = _study_with_curves("minimize", [[0.0, 0.0]] * 5, MedianPruner(n_warmup_steps=1))
    trial = study.ask()
    trial.report(100.0, 0)
    assert not trial.should_prune()
    trial.report(100.0, 1)
    assert trial.should_prune()


def test_interval_steps_judge_once_per_interval() -> None:
    study = _study_with_curves(
        "minimize", [[0.0] * 6] * 5, MedianPruner(n_startup_trials=1, interval_steps=3)
    )
    trial = study.ask()
    decisions = []
    for step in range(6):
        trial.report(100.0, step)
        decisions.append(trial.should_prune())
    assert decisions == [True, False, False, True, False, False]


def test_default_pruner_is_median_and_prunes_in_optimize() -> None:
    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(5):
            trial.report(x, step)
            if trial.should_prune():
                raise tansaku.TrialPruned()
        return x

    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=1))
    assert isinstance(study.pruner, MedianPruner)
    study.optimize(objective, n_trials=40)
    assert len(study.get_trials(states=(TrialState.PRUNED,))) > 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"percentile": -1.0},
        {"percentile": 101.0},
        {"percentile": 50.0, "n_startup_trials": -1},
        {"percentile": 50.0, "interval_steps": 0},
        {"percentile": 50.0, "n_min_trials": 0},
    ],
)
def test_percentile_pruner_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="PercentilePruner"):
        PercentilePruner(**kwargs)
