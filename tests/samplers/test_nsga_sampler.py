"""NSGAIISampler and NSGAIIISampler: params, Pareto fronts, constraints, generations shared
through storage, replaceable strategies, and bad arguments refused by name."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.exceptions import ExperimentalWarning
from tansaku.samplers import BaseGASampler, NSGAIIISampler, NSGAIISampler
from tansaku.samplers.nsgaii import (
    BLXAlphaCrossover,
    PolynomialMutation,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from tansaku.trial import FrozenTrial

REPO = Path(__file__).resolve().parents[2]
POPULATION = 6
GENERATION_KEY = "NSGAIISampler:generation"

SamplerFactory = Callable[..., BaseGASampler]
KINDS: dict[str, SamplerFactory] = {"nsgaii": NSGAIISampler, "nsgaiii": NSGAIIISampler}


def _build(kind: str, **kwargs: Any) -> BaseGASampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KINDS[kind](**kwargs)


EVERY_KIND = {
    "float": FloatDistribution(-3.0, 2.0),
    "float_log": FloatDistribution(1e-4, 10.0, log=True),
    "float_step": FloatDistribution(0.0, 1.0, step=0.25),
    "int": IntDistribution(-5, 5),
    "int_log": IntDistribution(1, 1000, log=True),
    "int_step": IntDistribution(0, 12, step=3),
    "categorical": CategoricalDistribution(["a", None, 2.5, True]),
}


def _every_kind(trial: tansaku.Trial) -> tuple[float, float]:
    x = trial.suggest_float("float", -3.0, 2.0)
    y = trial.suggest_float("float_log", 1e-4, 10.0, log=True)
    z = trial.suggest_float("float_step", 0.0, 1.0, step=0.25)
    i = trial.suggest_int("int", -5, 5)
    j = trial.suggest_int("int_log", 1, 1000, log=True)
    k = trial.suggest_int("int_step", 0, 12, step=3)
    c = trial.suggest_categorical("categorical", ["a", None, 2.5, True])
    bonus = 0.0 if c == "a" else 1.0
    return x**2 + y + z + abs(i) + bonus, (x - 1) ** 2 + np.log(j) + k + bonus


def _crossed(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "uniform": UniformCrossover,
            "blx": BLXAlphaCrossover,
            "sbx": SBXCrossover,
            "vsbx": VSBXCrossover,
            "undx": UNDXCrossover,
            "spx": SPXCrossover,
        }[name]()


# -- params ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("crossover", ["uniform", "blx", "sbx", "vsbx", "undx", "spx"])
def test_params_of_every_distribution_kind_stay_inside_their_ranges(
    kind: str, crossover: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mutation = PolynomialMutation() if crossover in ("sbx", "undx") else None
    sampler = _build(
        kind, population_size=POPULATION, crossover=_crossed(crossover), mutation=mutation, seed=1
    )
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_every_kind, n_trials=5 * POPULATION)
    assert study.trials[-1].system_attrs[f"{type(sampler).__name__}:generation"] >= 3
    for trial in study.trials:
        for name, distribution in EVERY_KIND.items():
            value = trial.params[name]
            assert distribution._contains(distribution.to_internal_repr(value)), (name, value)


def test_children_are_bred_from_parents_after_the_first_generation() -> None:
    # Without mutation, a child's categorical value is one of its parents'.
    sampler = NSGAIISampler(population_size=POPULATION, mutation_prob=0.0, seed=3)
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_every_kind, n_trials=3 * POPULATION)
    for trial in study.trials[POPULATION:]:
        generation = trial.system_attrs[GENERATION_KEY]
        parents = sampler.get_parent_population(study, generation)
        assert trial.params["categorical"] in {p.params["categorical"] for p in parents}
        assert trial.params["float"] in {p.params["float"] for p in parents}


# -- fronts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_best_trials_hold_no_dominated_trial(kind: str) -> None:
    study = tansaku.create_study(
        directions=["minimize", "maximize", "minimize"],
        sampler=_build(kind, population_size=8, seed=0),
    )

    def objective(trial: tansaku.Trial) -> tuple[float, float, float]:
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        return x, 1 - (1 - x) * y, (1 - x) * (1 - y)

    study.optimize(objective, n_trials=48)
    loss = np.array([[v[0], -v[1], v[2]] for v in (t.values for t in study.best_trials)])
    for i, row in enumerate(loss):
        dominated = np.all(loss <= row, axis=1) & np.any(loss < row, axis=1)
        assert not dominated.any(), f"best trial {i} is dominated"


# -- constraints ----------------------------------------------------------------------------------
def _constrained(trial: tansaku.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0, 1)
    trial.set_constraint("x_at_least_half", 0.5 - x)
    return x, 1 - x


@pytest.mark.parametrize("kind", list(KINDS))
def test_parents_are_the_feasible_trials_when_enough_are_feasible(kind: str) -> None:
    sampler = _build(kind, population_size=POPULATION, seed=0)
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_constrained, n_trials=8 * POPULATION)
    generation = study.trials[-1].system_attrs[f"{type(sampler).__name__}:generation"]
    parents = sampler.get_parent_population(study, generation)
    assert len(parents) == POPULATION
    assert all(p.params["x"] >= 0.5 for p in parents)


def test_among_infeasible_trials_the_smaller_violation_survives() -> None:
    sampler = NSGAIISampler(population_size=2, seed=0)
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    for x, violation in [(0.1, 3.0), (0.2, 1.0), (0.9, 0.5), (0.95, 2.0)]:
        study.enqueue_trial({"x": x}, user_attrs={"violation": violation})

    def objective(trial: tansaku.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        trial.set_constraint("c", trial.user_attrs["violation"])
        return x, x  # the smallest x would win without constraints

    study.optimize(objective, n_trials=4)
    # Generation 0 is trials 0-1, generation 1 trials 2-3; generation 2's parents come from
    # all four: the two smallest violations.
    assert [t.system_attrs[GENERATION_KEY] for t in study.trials] == [0, 0, 1, 1]
    parents = sampler.get_parent_population(study, 2)
    assert sorted(p.number for p in parents) == [1, 2]


def test_constraints_func_is_deprecated_and_its_values_are_stored() -> None:
    with pytest.warns(FutureWarning, match="constraints_func"):
        sampler = NSGAIISampler(population_size=2, constraints_func=lambda t: [t.params["x"] - 1])
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 2), 0.0), n_trials=3)
    for trial in study.trials:
        assert trial.system_attrs["constraints"] == [trial.params["x"] - 1]


# -- generations ----------------------------------------------------------------------------------
def test_generations_follow_completed_trials_and_parents_are_stored_in_the_study() -> None:
    sampler = NSGAIISampler(population_size=POPULATION, seed=0)
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_every_kind, n_trials=3 * POPULATION)
    generations = [t.system_attrs[GENERATION_KEY] for t in study.trials]
    assert generations == [g for g in range(3) for _ in range(POPULATION)]
    attrs = study._storage.get_study_system_attrs(study._study_id)
    for generation in (1, 2):
        ids = attrs[f"NSGAIISampler:parent:{generation}"]
        assert len(ids) == POPULATION
        # A fresh sampler reads the stored parents rather than choosing again.
        fresh = NSGAIISampler(population_size=POPULATION)
        assert [t._trial_id for t in fresh.get_parent_population(study, generation)] == ids


def test_generation_is_assigned_at_ask_and_kept_by_the_trial() -> None:
    sampler = NSGAIISampler(population_size=2, seed=0)
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    running = [study.ask() for _ in range(3)]  # nothing completed: all generation 0
    for trial in running:
        study.tell(trial, (0.0, 0.0))
    assert [t.system_attrs[GENERATION_KEY] for t in study.trials] == [0, 0, 0]
    trial = study.ask()
    assert sampler.get_trial_generation(study, study.trials[-1]) == 1
    study.tell(trial, (1.0, 1.0))


_WORKER = """
import sys, warnings
import tansaku
tansaku.logging.set_verbosity(tansaku.logging.WARNING)
kind, url, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    cls = {"nsgaii": tansaku.samplers.NSGAIISampler, "nsgaiii": tansaku.samplers.NSGAIIISampler}
    sampler = cls[kind](population_size=5, seed=seed)
study = tansaku.load_study(study_name="shared", storage=url, sampler=sampler)
def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_int("y", 0, 10)
    return x + y, 1 - x + y
study.optimize(objective, n_trials=30)
"""


@pytest.mark.parametrize("kind", list(KINDS))
def test_two_processes_on_sqlite_share_one_run_of_generations(kind: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    tansaku.create_study(study_name="shared", storage=url, directions=["minimize", "minimize"])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, kind, url, str(seed)],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
        )
        for seed in (1, 2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()[-3000:]

    study = tansaku.load_study(study_name="shared", storage=url)
    key = ("NSGAIISampler" if kind == "nsgaii" else "NSGAIIISampler") + ":generation"
    trials = study.get_trials(states=[tansaku.trial.TrialState.COMPLETE])
    assert len(trials) == 60
    generation_of = {t._trial_id: t.system_attrs[key] for t in trials}
    by_generation: dict[int, list[FrozenTrial]] = {}
    for trial in trials:
        by_generation.setdefault(generation_of[trial._trial_id], []).append(trial)
    top = max(by_generation)
    # Both workers ran one sequence of generations: every generation before the last filled.
    assert sorted(by_generation) == list(range(top + 1))
    assert top >= 6  # 60 trials of populations of 5, shared rather than run twice over
    assert all(len(by_generation[g]) >= 5 for g in range(top))
    attrs = study._storage.get_study_system_attrs(study._study_id)
    prefix = key.replace(":generation", ":parent:")
    for generation in range(1, top + 1):
        parents = attrs[prefix + str(generation)]
        assert len(parents) == 5
        # Parents come from earlier generations.
        assert all(generation_of[i] < generation for i in parents)


# -- replaceable strategies -----------------------------------------------------------------------
def test_elite_child_and_after_trial_strategies_replace_the_defaults() -> None:
    calls: dict[str, int] = {"elite": 0, "child": 0, "after": 0}

    def elite(study: tansaku.Study, population: list[FrozenTrial]) -> list[FrozenTrial]:
        calls["elite"] += 1
        return sorted(population, key=lambda t: t.number)[:2]

    def child(study: tansaku.Study, space: dict[str, Any], parents: list[FrozenTrial]) -> dict:
        calls["child"] += 1
        assert len(parents) == 2
        return {"x": 0.25}

    def after(study: tansaku.Study, trial: FrozenTrial, state: Any, values: Any) -> None:
        calls["after"] += 1

    with pytest.warns(ExperimentalWarning):
        sampler = NSGAIISampler(
            population_size=2,
            elite_population_selection_strategy=elite,
            child_generation_strategy=child,
            after_trial_strategy=after,
        )
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.0), n_trials=6)
    assert [t.params["x"] for t in study.trials[2:]] == [0.25] * 4
    assert calls == {"elite": 2, "child": 4, "after": 6}


# -- bad arguments --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"population_size": 1}, "population_size"),
        ({"population_size": 2, "crossover": "undx"}, "population_size"),
        ({"population_size": 2, "crossover": "spx"}, "population_size"),
        ({"mutation_prob": 1.5}, "mutation_prob"),
        ({"mutation_prob": -0.1}, "mutation_prob"),
        ({"crossover_prob": 1.01}, "crossover_prob"),
        ({"swapping_prob": -1.0}, "swapping_prob"),
    ],
)
def test_bad_arguments_are_refused_at_construction_by_name(
    kind: str, kwargs: dict[str, Any], argument: str
) -> None:
    if isinstance(kwargs.get("crossover"), str):
        kwargs = {**kwargs, "crossover": _crossed(kwargs["crossover"])}
    with pytest.raises(ValueError, match=rf"{argument}="):
        _build(kind, **kwargs)


@pytest.mark.parametrize(
    "points", [np.array([1.0, 0.0]), np.zeros((0, 2)), np.array([[np.nan, 1.0]])]
)
def test_malformed_reference_points_are_refused_at_construction(points: np.ndarray) -> None:
    with pytest.raises(ValueError, match="reference_points"):
        _build("nsgaiii", reference_points=points)


def test_reference_points_of_the_wrong_width_are_refused_at_the_first_ask() -> None:
    sampler = _build("nsgaiii", reference_points=np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with pytest.raises(ValueError, match=r"reference_points=.*one column per objective \(2\)"):
        study.ask()
    assert study.trials[0].state == tansaku.trial.TrialState.FAIL


def test_dividing_parameter_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="dividing_parameter=0"):
        _build("nsgaiii", dividing_parameter=0)
