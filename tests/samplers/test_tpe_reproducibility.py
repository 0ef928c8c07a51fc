"""TPESampler with a fixed seed: the same params run to run, in one process and in fresh ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from typing import Any

import pytest

import tansaku
from tansaku.exceptions import ExperimentalWarning
from tansaku.samplers import TPESampler
from tansaku.trial import Trial

# Each case: TPESampler keyword arguments (besides seed) and the number of objectives.
CASES: dict[str, tuple[dict[str, Any], int]] = {
    "independent": ({"multivariate": False}, 1),
    "multivariate": ({"multivariate": True}, 1),
    "default": ({}, 1),
    "group": ({"multivariate": True, "group": True}, 1),
    "no_constant_liar": ({"constant_liar": False}, 1),
    "multi_objective": ({}, 2),
    "multi_objective_multivariate": ({"multivariate": True}, 2),
}
N_TRIALS = 30


def _objective(trial: Trial) -> float | tuple[float, float]:
    """Every kind of param, a conditional branch and a loop of conditional params."""
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    step = trial.suggest_float("step", 0.0, 1.0, step=0.1)
    layers = trial.suggest_int("layers", 1, 3)
    width = trial.suggest_int("width", 4, 256, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    loss = (x - 1.0) ** 2 + abs(lr - 1e-3) * 100 + step + layers / 3 + 8 / width
    if kind == "a":
        loss += trial.suggest_float("a_only", 0.0, 1.0)
    for i in range(layers):
        loss += abs(trial.suggest_int(f"n_units_{i}", 1, 64) - 16) / 64
    if len(trial.study.directions) > 1:
        return loss, (x + 1.0) ** 2 + step
    return loss


def run_case(case: str, seed: int = 11) -> list[dict[str, Any]]:
    """Run one case's study and return every trial's params in order."""
    kwargs, n_objectives = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        sampler = TPESampler(seed=seed, n_startup_trials=5, **kwargs)
    study = tansaku.create_study(directions=["minimize"] * n_objectives, sampler=sampler)
    study.optimize(_objective, n_trials=N_TRIALS)
    return [trial.params for trial in study.trials]


# The cases run again in fresh processes, under other hash seeds.
FRESH_CASES = ["default", "group", "multi_objective"]
HASH_SEEDS = ["1", "2"]


def _params_in_fresh_processes() -> list[dict[str, list[dict[str, Any]]]]:
    """By hash seed of ``HASH_SEEDS``, by case of ``FRESH_CASES``: the params ``run_case``
    gives in a fresh process. One process per hash seed runs every case (starting Python costs
    more than the studies), the processes side by side."""
    script = (
        "import json, sys\n"
        "from tests.samplers.test_tpe_reproducibility import run_case\n"
        f"print(json.dumps({{case: run_case(case) for case in {FRESH_CASES!r}}}))\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    processes = []
    for hash_seed in HASH_SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", script],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=root,
                env=env,
            )
        )
    found = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        found.append(json.loads(out))
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_a_fixed_seed_gives_the_same_params_twice_in_one_process(case: str) -> None:
    first = run_case(case)
    assert len(first) == N_TRIALS
    assert first == run_case(case)


@pytest.mark.parametrize("case", list(CASES))
def test_another_seed_gives_other_params(case: str) -> None:
    assert run_case(case, seed=11) != run_case(case, seed=12)


def test_a_fixed_seed_gives_the_same_params_in_fresh_processes() -> None:
    # Different hash seeds change the iteration order of sets and dicts keyed by str; the
    # suggestions must not depend on it. JSON turns tuples into lists, so compare as JSON.
    here = {case: json.loads(json.dumps(run_case(case))) for case in FRESH_CASES}
    for hash_seed, there in zip(HASH_SEEDS, _params_in_fresh_processes()):
        differ = [case for case in FRESH_CASES if there[case] != here[case]]
        assert not differ, f"PYTHONHASHSEED={hash_seed}: other params in cases {differ}"
