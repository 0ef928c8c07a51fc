"""GPSampler: steering, constraints, parallel workers and bad input.

The sampler contract suite (``_contract_samplers``) covers bounds, seeds, failed and pruned
trials, storages and processes; these tests cover what is particular to the GP.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tansaku
from tansaku._pareto import hypervolume, pareto_front_mask
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.samplers import GPSampler
from tansaku.trial import TrialState

tansaku.logging.set_verbosity(tansaku.logging.ERROR)


def _quadratic(trial: tansaku.Trial) -> float:
    x, y = trial.suggest_float("x", 0.0, 1.0), trial.suggest_float("y", 0.0, 1.0)
    return (x - 0.9) ** 2 + (y - 0.9) ** 2


def test_gp_finds_the_minimum_of_a_smooth_function_better_than_random() -> None:
    def objective(trial: tansaku.Trial) -> float:
        return sum((trial.suggest_float(f"x{i}", -5, 5) - 1.0) ** 2 for i in range(3))

    gp = tansaku.create_study(sampler=GPSampler(seed=0))
    gp.optimize(objective, n_trials=30)
    random = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))
    random.optimize(objective, n_trials=30)
    assert gp.best_value < 0.1 < random.best_value


def test_constrained_search_steers_to_the_feasible_region() -> None:
    # Feasible when x + y <= 1; the unconstrained optimum (0.9, 0.9) is infeasible and the
    # constrained one, (0.5, 0.5), has the value 0.32.
    def constraints(trial: tansaku.trial.FrozenTrial) -> list[float]:
        return [trial.params["x"] + trial.params["y"] - 1.0]

    def feasible_share(constraints_func) -> tuple[float, float]:
        sampler = GPSampler(seed=0, n_startup_trials=10, constraints_func=constraints_func)
        study = tansaku.create_study(sampler=sampler)
        study.optimize(_quadratic, n_trials=30)
        feasible = [t for t in study.trials[10:] if constraints(t)[0] <= 0]
        return len(feasible) / 20, min((t.value for t in feasible), default=math.inf)

    share, best = feasible_share(constraints)
    unconstrained_share, _ = feasible_share(None)
    # The unconstrained search heads for (0.9, 0.9); the constrained one hugs the boundary.
    assert unconstrained_share <= 0.2 and share >= 0.5
    assert best < 0.34


def test_params_lie_inside_every_kind_of_distribution() -> None:
    space = {
        "float": FloatDistribution(-2.0, 3.0),
        "log": FloatDistribution(1e-4, 1.0, log=True),
        "step": FloatDistribution(0.0, 1.0, step=0.25),
        "int": IntDistribution(-3, 7),
        "int_log": IntDistribution(1, 1000, log=True),
        "int_step": IntDistribution(0, 20, step=4),
        "big_int": IntDistribution(0, 10**6),
        "cat": CategoricalDistribution(["a", 1, None, 2.5]),
        "fixed": FloatDistribution(1.0, 1.0),
    }

    def objective(trial: tansaku.Trial) -> float:
        params = {name: trial._suggest(name, dist) for name, dist in space.items()}
        return params["float"] ** 2 + math.log(params["log"]) + (params["cat"] == 1)

    study = tansaku.create_study(sampler=GPSampler(seed=1, n_startup_trials=4))
    study.optimize(objective, n_trials=14)
    for trial in study.trials:
        for name, dist in space.items():
            assert dist._contains(dist.to_internal_repr(trial.params[name])), (name, trial.params)


def _ask_four(sampler: GPSampler) -> list[tuple[float, float]]:
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=10)
    asked = [study.ask() for _ in range(4)]
    return [(t.suggest_float("x", 0.0, 1.0), t.suggest_float("y", 0.0, 1.0)) for t in asked]


def test_running_trials_keep_four_workers_from_proposing_the_same_point() -> None:
    points = np.array(_ask_four(GPSampler(seed=0, n_startup_trials=10)))
    distances = np.linalg.norm(points[:, None] - points[None, :], axis=-1)
    # Without them, the four points agree to about 1e-8.
    assert distances[np.triu_indices(4, 1)].min() > 1e-3


def test_a_fixed_seed_reproduces_and_another_seed_differs() -> None:
    first = _ask_four(GPSampler(seed=3, n_startup_trials=10))
    assert _ask_four(GPSampler(seed=3, n_startup_trials=10)) == first
    assert _ask_four(GPSampler(seed=4, n_startup_trials=10)) != first


def test_pruned_and_failed_trials_do_not_feed_the_model() -> None:
    def objective(trial: tansaku.Trial) -> float:
        value = _quadratic(trial)
        if trial.number % 3 == 1:
            raise tansaku.TrialPruned()
        if trial.number % 3 == 2:
            raise RuntimeError("injected")
        return value

    study = tansaku.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    study.optimize(objective, n_trials=24, catch=(RuntimeError,))
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) == 8 and states.count(TrialState.FAIL) == 8


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(lambda i, x: 1.0, id="constant"),
        pytest.param(lambda i, x: 1e300 * (1 if i % 2 else -1) * x, id="huge"),
        pytest.param(lambda i, x: 1e-300 * x, id="tiny"),
    ],
)
def test_degenerate_values_give_finite_params(values) -> None:
    def objective(trial: tansaku.Trial) -> float:
        return values(trial.number, trial.suggest_float("x", 0.0, 1.0) + 0.1)

    study = tansaku.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    study.optimize(objective, n_trials=10)
    assert all(0.0 <= t.params["x"] <= 1.0 for t in study.trials)


def test_nearly_duplicate_points_and_a_deterministic_objective_give_finite_params() -> None:
    study = tansaku.create_study(
        sampler=GPSampler(seed=0, n_startup_trials=0, deterministic_objective=True)
    )
    for i in range(8):
        study.enqueue_trial({"x": 0.5 + 1e-13 * i, "y": 0.25})
    study.optimize(_quadratic, n_trials=14)
    assert all(math.isfinite(t.params["x"]) for t in study.trials)
    assert len({t.params["x"] for t in study.trials[8:]}) > 1


def test_one_completed_trial_is_enough_to_fit() -> None:
    study = tansaku.create_study(sampler=GPSampler(seed=0, n_startup_trials=0))
    study.optimize(_quadratic, n_trials=3)
    assert len(study.trials) == 3


def test_nan_from_constraints_func_is_a_clear_error() -> None:
    sampler = GPSampler(seed=0, constraints_func=lambda trial: [float("nan")])
    study = tansaku.create_study(sampler=sampler)
    with pytest.raises(ValueError, match=r"constraints_func\(trial 0\).*NaN"):
        study.optimize(_quadratic, n_trials=1)


def test_constraints_func_changing_its_length_is_a_clear_error() -> None:
    sampler = GPSampler(seed=0, constraints_func=lambda trial: [0.0] * (1 + trial.number % 2))
    study = tansaku.create_study(sampler=sampler)
    with pytest.raises(ValueError, match=r"constraints_func\(trial 1\).*must hold 1 values"):
        study.optimize(_quadratic, n_trials=2)
    assert study.trials[0].system_attrs["constraints"] == [0.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_startup_trials": -1}, "n_startup_trials=-1 must be >= 0"),
        ({"n_startup_trials": 1.5}, "n_startup_trials must be an int"),
        ({"constraints_func": 3}, "constraints_func must be callable"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        GPSampler(**kwargs)


def _hypervolume_of(study: tansaku.Study, feasible) -> float:
    points = np.array([t.values for t in study.trials if feasible(t)], dtype=float)
    m = len(study.directions)
    return hypervolume(points.reshape(-1, m), np.full(m, 1.5)) if len(points) else 0.0


@pytest.mark.parametrize("n_objectives", [2, 3])
@pytest.mark.parametrize("constrained", [False, True])
def test_several_objectives_beat_random_search_on_hypervolume(
    n_objectives: int, constrained: bool
) -> None:
    def objectives(trial: tansaku.Trial) -> tuple[float, ...]:
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)])
        return tuple(float(np.sum((x - 0.3 * j) ** 2)) for j in range(n_objectives))

    def feasible(trial: tansaku.trial.FrozenTrial) -> bool:
        return not constrained or trial.params["x0"] <= 0.2

    constraints = (lambda trial: [trial.params["x0"] - 0.2]) if constrained else None
    directions = ["minimize"] * n_objectives
    gp = tansaku.create_study(
        directions=directions,
        sampler=GPSampler(seed=0, n_startup_trials=8, constraints_func=constraints),
    )
    gp.optimize(objectives, n_trials=20)
    random = tansaku.create_study(
        directions=directions, sampler=tansaku.samplers.RandomSampler(seed=0)
    )
    random.optimize(objectives, n_trials=20)
    assert _hypervolume_of(gp, feasible) > 1.05 * _hypervolume_of(random, feasible)
    if constrained:
        assert sum(feasible(t) for t in gp.trials[8:]) >= 8


def _dtlz7(trial: tansaku.Trial) -> tuple[float, float]:
    """DTLZ7 with 4 variables: its front (x1 = x2 = x3 = 0) is disconnected, and its first
    point, f1 = 0 at the corner of the cube, is an extreme that is easy to find."""
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(4)])
    g = 1.0 + 3.0 * float(x[1:].sum())
    f1 = float(x[0])
    return f1, (1.0 + g) * 2.0 - f1 * (1.0 + math.sin(3.0 * math.pi * f1))


def test_two_objectives_fill_the_front_in_rather_than_stay_at_its_extreme() -> None:
    # The reference point sat beyond the worst observation and the local search started
    # only from the rows best in the first objective: 30 trials kept proposing points at
    # f1 = 0 and found 3 front points (hypervolume 0.78).
    study = tansaku.create_study(directions=["minimize"] * 2, sampler=GPSampler(seed=0))
    study.optimize(_dtlz7, n_trials=30)
    values = np.array([t.values for t in study.trials])
    front = np.unique(values[pareto_front_mask(values)], axis=0)
    assert len(front) >= 6
    assert hypervolume(values, np.array([1.0, 4.5])) > 0.83


def test_independent_sampling_is_logged_for_a_param_outside_the_space(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_float("one_value", 2.0, 2.0)
        if trial.number >= 4:
            trial.suggest_float("late", 0.0, 1.0)
        return x

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    tansaku.logging.enable_propagation()
    try:
        study = tansaku.create_study(sampler=GPSampler(seed=0, n_startup_trials=2))
        with caplog.at_level("WARNING"):
            study.optimize(objective, n_trials=6)
    finally:
        tansaku.logging.disable_propagation()
        tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    messages = [r.getMessage() for r in caplog.records if "independently" in r.getMessage()]
    assert messages and all("'late'" in m for m in messages)


def test_one_sampler_serves_two_studies() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=2)
    storage = tansaku.storages.InMemoryStorage()
    first = tansaku.create_study(storage=storage, sampler=sampler)
    second = tansaku.create_study(storage=storage, sampler=sampler)
    for _ in range(2):
        first.optimize(_quadratic, n_trials=3)
        second.optimize(lambda trial: trial.suggest_int("n", 0, 9) ** 2, n_trials=3)
    assert len(first.trials) == len(second.trials) == 6
    assert set(second.best_params) == {"n"}
