from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tansaku
from tansaku.pruners import MedianPruner
from tansaku.trial import TrialState

StudyFromCurves = Callable[..., tansaku.Study]  # the make_study fixture


def test_median_pruner_prunes_a_trial_worse_than_the_median_at_its_step(
    make_study: StudyFromCurves,
) -> None:
    study = make_study("minimize", [[float(i), float(i)] for i in range(5)], MedianPruner())
    good = study.ask()
    good.report(1.0, 0)
    assert not good.should_prune()
    bad = study.ask()
    bad.report(3.0, 0)
    assert bad.should_prune()


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_median_cutoff_is_numpys_median_of_the_step(
    make_study: StudyFromCurves, direction: str
) -> None:
    rng = np.random.default_rng(3)
    curves = rng.normal(size=(11, 4))
    study = make_study(direction, curves.tolist(), MedianPruner())
    median = float(np.median(curves[:, 2]))
    sign = 1.0 if direction == "minimize" else -1.0
    for offset, pruned in ((-1e-9, False), (1e-9, True)):
        trial = study.ask()
        for step in range(3):
            # Earlier steps are worse than the median, but the best value so far decides.
            value = median + sign * offset if step == 2 else median + sign * 10.0
            trial.report(value, step)
        assert trial.should_prune() is pruned


def test_no_pruning_before_startup_trials_or_warmup_steps(make_study: StudyFromCurves) -> None:
    study = make_study("minimize", [[0.0, 0.0]] * 3, MedianPruner(n_startup_trials=5))
    trial = study.ask()
    trial.report(100.0, 0)
    assert not trial.should_prune()
    study = make_study("minimize", [[0.0, 0.0]] * 5, MedianPruner(n_warmup_steps=1))
    trial = study.ask()
    trial.report(100.0, 0)
    assert not trial.should_prune()
    trial.report(100.0, 1)
    assert trial.should_prune()


def test_interval_steps_judge_once_per_interval(make_study: StudyFromCurves) -> None:
    study = make_study(
        "minimize", [[0.0] * 6] * 5, MedianPruner(n_startup_trials=1, interval_steps=3)
    )
    trial = study.ask()
    decisions = []
    for step in range(6):
        trial.report(100.0, step)
        decisions.append(trial.should_prune())
    assert decisions == [True, False, False, True, False, False]


def test_a_checkpoint_without_a_report_is_judged_at_the_next_report(
    make_study: StudyFromCurves,
) -> None:
    study = make_study(
        "minimize", [[0.0] * 10] * 5, MedianPruner(n_warmup_steps=2, interval_steps=4)
    )
    trial = study.ask()
    decisions = {}
    for step in (0, 1, 3, 5, 7, 9):  # checkpoints 2 and 6 are never reported
        trial.report(100.0, step)
        decisions[step] = trial.should_prune()
    assert decisions == {0: False, 1: False, 3: True, 5: False, 7: True, 9: False}


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
