"""Given the same trials and intermediate values, tansaku's pruners prune the same trials as
Optuna's, at the same steps.

Both packages run the same scripted learning curves through ask / report / should_prune /
tell, one trial at a time and with several trials running at once (interleaved reports), in
both directions; the pruned (trial number, step) pairs, the final states and values and the
rung records must be identical. Runs in the benchmark environment, where Optuna 5 is installed.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import tansaku

STUDY_NAME = "pruner-compat"  # Hyperband's brackets hash the study name: the same in both
N_TRIALS = 60

Curve = list[tuple[int, float]]  # (step, value) in the order they are reported


def learning_curves(seed: int, n_trials: int = N_TRIALS) -> list[Curve]:
    """Noisy decreasing curves of various lengths and step spacings, a few with NaNs."""
    rng = np.random.default_rng(seed)
    curves = []
    for index in range(n_trials):
        length = int(rng.choice([30, 30, 30, 12, 45]))
        spacing = int(rng.choice([1, 1, 1, 2, 3]))
        steps = np.arange(0, length * spacing, spacing)
        floor, scale, rate = rng.uniform(0, 1), rng.uniform(0.5, 2), rng.uniform(0.02, 0.3)
        values = floor + scale * np.exp(-rate * steps) + rng.normal(0, 0.03, steps.size)
        if index % 17 == 5:
            values[rng.integers(steps.size)] = math.nan
        if index % 23 == 7:
            values[:] = math.nan
        curves.append([(int(s), round(float(v), 4)) for s, v in zip(steps, values)])
    return curves


def instance_curves(seed: int, n_trials: int = 40) -> list[Curve]:
    """Per-instance scores, reported in a shuffled order; some rounded coarsely (ties, zeros)."""
    rng = np.random.default_rng(seed)
    difficulty = rng.normal(0, 1, 60)
    curves = []
    for index in range(n_trials):
        n_instances = int(rng.choice([8, 12, 30, 60]))
        quality = rng.normal(0, 0.5)
        values = difficulty[:n_instances] + quality + rng.normal(0, 0.3, n_instances)
        digits = 1 if index % 3 == 0 else 6
        order = rng.permutation(n_instances)
        curves.append([(int(s), round(float(values[s]), digits)) for s in order])
    return curves


def run(
    package: ModuleType,
    make_pruner: Callable[[ModuleType], Any],
    direction: str,
    curves: list[Curve],
    n_running: int,
    seed: int,
) -> tuple[list[tuple[int, int]], list[tuple[Any, ...]]]:
    """Run ``curves`` as trials, ``n_running`` at a time with reports interleaved at random.

    Returns:
        The (trial number, step) of each pruning decision, and each trial's number, state,
        value and rung records at the end.
    """
    package.logging.set_verbosity(package.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pruner = make_pruner(package)
        study = package.create_study(
            study_name=STUDY_NAME,
            direction=direction,
            pruner=pruner,
            sampler=package.samplers.RandomSampler(seed=0),
        )
        schedule = random.Random(seed)
        waiting = list(enumerate(curves))
        running: list[tuple[Any, Curve, int]] = []  # (trial, curve, next position)
        decisions: list[tuple[int, int]] = []
        while waiting or running:
            while waiting and len(running) < n_running:
                _, curve = waiting.pop(0)
                running.append((study.ask(), curve, 0))
            index = schedule.randrange(len(running))
            trial, curve, position = running[index]
            step, value = curve[position]
            trial.report(value, step)
            if trial.should_prune():
                decisions.append((trial.number, step))
                study.tell(trial, state=package.trial.TrialState.PRUNED)
                running.pop(index)
            elif position + 1 == len(curve):
                study.tell(trial, float(np.nanmean([v for _, v in curve] + [0.0])))
                running.pop(index)
            else:
                running[index] = (trial, curve, position + 1)
    records = [
        (
            t.number,
            t.state.name,
            t.value,
            sorted((k, v) for k, v in t.system_attrs.items() if k.startswith("completed_rung_")),
        )
        for t in study.trials
    ]
    return decisions, records


def _nan_safe(records: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        tuple("nan" if isinstance(x, float) and math.isnan(x) else x for x in record)
        for record in records
    ]


PRUNERS: dict[str, Callable[[ModuleType], Any]] = {
    "median": lambda p: p.pruners.MedianPruner(),
    "median-warmup-interval": lambda p: p.pruners.MedianPruner(
        n_startup_trials=2, n_warmup_steps=3, interval_steps=4, n_min_trials=3
    ),
    "percentile-25": lambda p: p.pruners.PercentilePruner(25.0),
    "percentile-80-interval": lambda p: p.pruners.PercentilePruner(
        80.0, n_startup_trials=3, n_warmup_steps=1, interval_steps=3
    ),
    "percentile-0": lambda p: p.pruners.PercentilePruner(0.0, n_startup_trials=1),
    "sha-auto": lambda p: p.pruners.SuccessiveHalvingPruner(),
    "sha-r1-eta2": lambda p: p.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    "sha-r2-eta3-s1": lambda p: p.pruners.SuccessiveHalvingPruner(
        min_resource=2, reduction_factor=3, min_early_stopping_rate=1
    ),
    "sha-bootstrap": lambda p: p.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=2, bootstrap_count=2
    ),
    "hyperband-auto": lambda p: p.pruners.HyperbandPruner(),
    "hyperband-30": lambda p: p.pruners.HyperbandPruner(
        min_resource=1, max_resource=30, reduction_factor=3
    ),
    "hyperband-bootstrap": lambda p: p.pruners.HyperbandPruner(
        min_resource=2, max_resource=40, reduction_factor=2, bootstrap_count=1
    ),
    "threshold-both": lambda p: p.pruners.ThresholdPruner(lower=0.2, upper=1.2),
    "threshold-interval": lambda p: p.pruners.ThresholdPruner(
        upper=0.8, n_warmup_steps=2, interval_steps=3
    ),
    "patient-alone": lambda p: p.pruners.PatientPruner(None, patience=2),
    "patient-median": lambda p: p.pruners.PatientPruner(
        p.pruners.MedianPruner(n_startup_trials=2), patience=1, min_delta=0.01
    ),
    "nop": lambda p: p.pruners.NopPruner(),
}

WILCOXON_PRUNERS: dict[str, Callable[[ModuleType], Any]] = {
    "wilcoxon": lambda p: p.pruners.WilcoxonPruner(),
    "wilcoxon-strict": lambda p: p.pruners.WilcoxonPruner(p_threshold=0.02, n_startup_steps=6),
    "wilcoxon-loose": lambda p: p.pruners.WilcoxonPruner(p_threshold=0.4, n_startup_steps=0),
}


def _compare(
    optuna: ModuleType,
    make_pruner: Callable[[ModuleType], Any],
    direction: str,
    curves: list[Curve],
    n_running: int,
) -> list[tuple[int, int]]:
    if direction == "maximize":
        curves = [[(s, -v) for s, v in curve] for curve in curves]
    expected = run(optuna, make_pruner, direction, curves, n_running, seed=1)
    actual = run(tansaku, make_pruner, direction, curves, n_running, seed=1)
    assert actual[0] == expected[0], "pruned (trial, step) differ"
    assert _nan_safe(actual[1]) == _nan_safe(expected[1]), "final trials differ"
    return expected[0]


@pytest.mark.parametrize("n_running", [1, 4])
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_same_trials_pruned_at_the_same_steps_as_optuna(
    optuna: ModuleType, name: str, direction: str, n_running: int
) -> None:
    decisions = _compare(optuna, PRUNERS[name], direction, learning_curves(7), n_running)
    if name != "nop":
        assert decisions, "the scenario should make this pruner prune something"


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("name", sorted(WILCOXON_PRUNERS))
def test_wilcoxon_prunes_the_same_trials_as_optuna_on_instances(
    optuna: ModuleType, name: str, direction: str
) -> None:
    decisions = _compare(optuna, WILCOXON_PRUNERS[name], direction, instance_curves(3), 1)
    assert decisions, "the scenario should make this pruner prune something"


@pytest.mark.parametrize("seed", range(4))
def test_successive_halving_matches_optuna_on_other_curves(optuna: ModuleType, seed: int) -> None:
    curves = learning_curves(100 + seed, n_trials=120)
    for name in ("sha-r1-eta2", "hyperband-30"):
        _compare(optuna, PRUNERS[name], "minimize", curves, 3)
