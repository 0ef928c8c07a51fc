"""TPESampler: options and their errors, reproducibility, where it samples, and its hooks."""

from __future__ import annotations

import math
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.exceptions import ExperimentalWarning
from tansaku.samplers import RandomSampler, TPESampler
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, Trial, TrialState, create_trial


def _quadratic(trial: Trial) -> float:
    return (trial.suggest_float("x", -10.0, 10.0) - 2.0) ** 2


def _sphere(trial: Trial) -> float:
    return sum(trial.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(3))


def _quiet_sampler(**kwargs: Any) -> TPESampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", ExperimentalWarning)
        return TPESampler(**kwargs)


# -- options -----------------------------------------------------------------------------------
def test_defaults_follow_optuna_5() -> None:
    sampler = TPESampler()
    assert sampler._n_startup_trials == 10
    assert sampler._n_ei_candidates == 24
    assert sampler._constant_liar is True
    assert sampler._multivariate is None
    assert sampler._group is False


def test_multivariate_none_is_joint_for_one_objective_and_independent_for_several() -> None:
    sampler = TPESampler(seed=0)
    single = tansaku.create_study(sampler=sampler)
    multi = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    assert sampler._is_multivariate(single)
    assert not sampler._is_multivariate(multi)


@pytest.mark.parametrize(
    "argument",
    [
        {"consider_prior": True},
        {"prior_weight": 1.0},
        {"consider_magic_clip": True},
        {"consider_endpoints": False},
        {"gamma": lambda n: min(n, 3)},
        {"weights": lambda n: np.ones(n)},
        {"warn_independent_sampling": True},
        {"constraints_func": lambda trial: [0.0]},
    ],
    ids=lambda argument: next(iter(argument)),
)
def test_deprecated_arguments_warn_with_future_warning(argument: dict[str, Any]) -> None:
    name = next(iter(argument))
    deprecated, removed = {"consider_prior": ("4.3.0", "6.0.0")}.get(name, ("4.9.0", "6.0.0"))
    if name == "constraints_func":
        deprecated, removed = "5.0.0", "7.0.0"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TPESampler(**argument)
    (warning,) = caught
    assert warning.category is FutureWarning
    assert str(warning.message).startswith(
        f"`{name}` has been deprecated in v{deprecated}. "
        f"This feature will be removed in v{removed}."
    )


@pytest.mark.parametrize(
    "argument",
    [
        {"prior_weight": 5.0},
        {"consider_magic_clip": False},
        {"consider_endpoints": True},
        {"gamma": lambda n: min(n, 2)},
        {"weights": lambda n: np.linspace(0.1, 1.0, n)},
    ],
    ids=lambda argument: next(iter(argument)),
)
def test_deprecated_arguments_are_still_honoured(argument: dict[str, Any]) -> None:
    def params(sampler: TPESampler) -> list[float]:
        study = tansaku.create_study(sampler=sampler)
        study.optimize(_sphere, n_trials=40)
        return [t.params["x0"] for t in study.trials]

    assert params(_quiet_sampler(seed=0, **argument)) != params(TPESampler(seed=0))


def test_consider_prior_false_falls_back_to_true_as_in_optuna_5() -> None:
    def params(sampler: TPESampler) -> list[float]:
        study = tansaku.create_study(sampler=sampler)
        study.optimize(_sphere, n_trials=30)
        return [t.params["x0"] for t in study.trials]

    assert params(_quiet_sampler(seed=0, consider_prior=False)) == params(TPESampler(seed=0))


def test_arguments_not_given_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TPESampler(n_startup_trials=5, n_ei_candidates=10, seed=1, multivariate=True)


def test_group_is_experimental_and_needs_multivariate() -> None:
    with pytest.warns(ExperimentalWarning, match="group"):
        TPESampler(group=True)
    with pytest.raises(ValueError, match="multivariate"):
        TPESampler(group=True, multivariate=False)


def test_group_with_several_objectives_treats_multivariate_as_true_and_says_so() -> None:
    sampler = _quiet_sampler(group=True, seed=0)
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with pytest.warns(UserWarning, match="multivariate"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 3)
    assert sampler._is_multivariate(study)


@pytest.mark.parametrize(
    ("argument", "error"),
    [
        ({"n_startup_trials": -1}, ValueError),
        ({"n_startup_trials": 1.5}, TypeError),
        ({"n_ei_candidates": 0}, ValueError),
        ({"prior_weight": 0.0}, ValueError),
        ({"prior_weight": math.nan}, ValueError),
        ({"gamma": 3}, TypeError),
        ({"weights": "linear"}, TypeError),
        ({"constraints_func": [0.0]}, TypeError),
    ],
)
def test_invalid_arguments_raise_naming_the_argument(
    argument: dict[str, Any], error: type[Exception]
) -> None:
    name = next(iter(argument))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(error, match=name):
            TPESampler(**argument)


def test_hyperopt_parameters_are_deprecated_and_accepted() -> None:
    with pytest.warns(FutureWarning, match="hyperopt_parameters"):
        parameters = TPESampler.hyperopt_parameters()
    sampler = _quiet_sampler(seed=0, **parameters)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=30)
    assert study.best_value < 5.0


# -- reproducibility ---------------------------------------------------------------------------
@pytest.mark.parametrize("multivariate", [True, False])
def test_a_fixed_seed_gives_the_same_params_run_to_run(multivariate: bool) -> None:
    def run() -> list[dict[str, Any]]:
        study = tansaku.create_study(sampler=TPESampler(seed=7, multivariate=multivariate))
        study.optimize(_mixed_objective, n_trials=40)
        return [trial.params for trial in study.trials]

    assert run() == run()


def test_different_seeds_give_different_params() -> None:
    first = tansaku.create_study(sampler=TPESampler(seed=1))
    second = tansaku.create_study(sampler=TPESampler(seed=2))
    first.optimize(_quadratic, n_trials=15)
    second.optimize(_quadratic, n_trials=15)
    assert [t.params for t in first.trials] != [t.params for t in second.trials]


def test_startup_trials_are_random_draws_of_the_seeded_random_sampler() -> None:
    tpe = tansaku.create_study(sampler=TPESampler(seed=3, n_startup_trials=5))
    random = tansaku.create_study(sampler=RandomSampler(seed=3))
    tpe.optimize(_quadratic, n_trials=5)
    random.optimize(_quadratic, n_trials=5)
    assert [t.params for t in tpe.trials] == [t.params for t in random.trials]


def test_pickled_sampler_keeps_sampling() -> None:
    sampler = TPESampler(seed=0, n_startup_trials=3)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=10)
    study.sampler = pickle.loads(pickle.dumps(sampler))
    study.optimize(_quadratic, n_trials=5)
    assert len(study.trials) == 15


# -- where it samples --------------------------------------------------------------------------
@pytest.mark.parametrize("multivariate", [True, False])
def test_samples_concentrate_around_the_optimum_of_a_quadratic(multivariate: bool) -> None:
    distances = []
    for seed in range(3):
        study = tansaku.create_study(sampler=TPESampler(seed=seed, multivariate=multivariate))
        study.optimize(_quadratic, n_trials=100)
        xs = np.array([t.params["x"] for t in study.trials])
        distances.append((np.median(np.abs(xs[:20] - 2.0)), np.median(np.abs(xs[-30:] - 2.0))))
    early, late = np.array(distances).T
    # Uniform draws on [-10, 10] lie a median 5 from 2; TPE's late draws about 0.9 (as
    # Optuna's do on this problem).
    assert np.all(late < early / 2.5)
    assert np.all(late < 1.5)


def test_tpe_beats_random_search_on_a_sphere() -> None:
    tpe_best, random_best = [], []
    for seed in range(3):
        tpe = tansaku.create_study(sampler=TPESampler(seed=seed))
        random = tansaku.create_study(sampler=RandomSampler(seed=seed))
        tpe.optimize(_sphere, n_trials=80)
        random.optimize(_sphere, n_trials=80)
        tpe_best.append(tpe.best_value)
        random_best.append(random.best_value)
    assert max(tpe_best) < min(random_best)


def test_maximization_concentrates_around_the_maximum() -> None:
    study = tansaku.create_study(direction="maximize", sampler=TPESampler(seed=0))
    study.optimize(lambda t: -_quadratic(t), n_trials=80)
    xs = np.array([t.params["x"] for t in study.trials[-30:]])
    assert np.median(np.abs(xs - 2.0)) < 1.5


def _mixed_objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -4.0, 4.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 8)
    units = trial.suggest_int("units", 4, 1024, log=True)
    batch = trial.suggest_int("batch", 16, 256, step=16)
    frac = trial.suggest_float("frac", 0.0, 1.0, step=0.05)
    act = trial.suggest_categorical("act", ["relu", "tanh", None, 3])
    return (
        x * x
        + (math.log10(lr) + 3) ** 2
        + (layers - 3) ** 2 / 4
        + (math.log2(units) - 6) ** 2 / 4
        + ((batch - 64) / 64) ** 2
        + (frac - 0.3) ** 2
        + (act != "tanh")
    )


@pytest.mark.parametrize("multivariate", [True, False])
def test_every_kind_of_param_improves_over_random_search(multivariate: bool) -> None:
    tpe_best, random_best = [], []
    for seed in range(3):
        tpe = tansaku.create_study(sampler=TPESampler(seed=seed, multivariate=multivariate))
        random = tansaku.create_study(sampler=RandomSampler(seed=seed))
        tpe.optimize(_mixed_objective, n_trials=120)
        random.optimize(_mixed_objective, n_trials=120)
        tpe_best.append(tpe.best_value)
        random_best.append(random.best_value)
    assert np.median(tpe_best) < 0.5 * np.median(random_best)


def test_categorical_choices_concentrate_on_the_best_one() -> None:
    def objective(trial: Trial) -> float:
        choice = trial.suggest_categorical("c", ["a", "b", "c", "d", "e"])
        return {"a": 3.0, "b": 2.0, "c": 0.0, "d": 2.5, "e": 1.0}[choice]

    study = tansaku.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=80)
    late = [t.params["c"] for t in study.trials[-40:]]
    assert late.count("c") >= 20  # uniform draws would give 8


# -- conditional spaces ------------------------------------------------------------------------
def _network(trial: Trial) -> float:
    """The seeds' variable-depth network: a loop of ``n_units_{i}`` params."""
    n_layers = trial.suggest_int("n_layers", 1, 4)
    loss = (n_layers - 2) ** 2
    for i in range(n_layers):
        units = trial.suggest_int(f"n_units_{i}", 4, 128, log=True)
        loss += (math.log2(units) - 5) ** 2 / 4
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    if optimizer == "sgd":
        loss += (trial.suggest_float("momentum", 0.0, 1.0) - 0.9) ** 2 + 0.1
    else:
        loss += (math.log10(trial.suggest_float("beta", 1e-4, 1e-1, log=True)) + 2) ** 2
    return loss


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"multivariate": False}, {"group": True}],
    ids=["default", "independent", "group"],
)
def test_conditional_spaces_with_loops_are_sampled_inside_and_improve(
    kwargs: dict[str, Any],
) -> None:
    study = tansaku.create_study(sampler=_quiet_sampler(seed=0, **kwargs))
    study.optimize(_network, n_trials=150)
    random = tansaku.create_study(sampler=RandomSampler(seed=0))
    random.optimize(_network, n_trials=150)
    for trial in study.trials:
        assert trial.state is TrialState.COMPLETE
        n_layers = trial.params["n_layers"]
        assert {f"n_units_{i}" for i in range(n_layers)} <= trial.params.keys()
        assert ("momentum" in trial.params) == (trial.params["optimizer"] == "sgd")
    late_tpe = np.median([t.value for t in study.trials[-50:]])
    late_random = np.median([t.value for t in random.trials[-50:]])
    assert late_tpe < 0.5 * late_random


def test_group_samples_each_group_jointly_from_the_trials_that_have_it() -> None:
    sampler = _quiet_sampler(seed=0, group=True)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_network, n_trials=60)
    space = sampler.infer_relative_search_space(study, study.trials[-1])
    groups = [set(group) for group in next(iter(sampler._states.values())).groups]
    assert {"n_layers", "n_units_0", "optimizer"} <= set(space)
    assert any({"momentum"} == group for group in groups)
    assert any({"beta"} == group for group in groups)


def test_dynamic_ranges_keep_params_inside_the_current_range() -> None:
    def objective(trial: Trial) -> float:
        high = 10.0 if trial.number < 30 else 2.0
        return trial.suggest_float("x", 0.0, high) ** 2

    study = tansaku.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=60)
    assert all(0.0 <= t.params["x"] <= 2.0 for t in study.trials[30:])


# -- pruned trials -----------------------------------------------------------------------------
def test_pruned_trials_rank_by_their_last_step_then_value() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        for step in range(5):
            trial.report((x - 2.0) ** 2 + 1.0 / (step + 1), step)
            if trial.number % 2 and step == 1:
                raise tansaku.TrialPruned()
        return (x - 2.0) ** 2

    study = tansaku.create_study(sampler=TPESampler(seed=0), pruner=tansaku.pruners.NopPruner())
    study.optimize(objective, n_trials=80)
    assert sum(t.state is TrialState.PRUNED for t in study.trials) == 40
    xs = np.array([t.params["x"] for t in study.trials[-30:]])
    assert np.median(np.abs(xs - 2.0)) < 2.0  # uniform draws: about 5


def test_good_pruned_trials_steer_sampling_when_most_trials_are_pruned() -> None:
    # Only pruned trials carry information about x: they must take part in the split.
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        trial.report((x + 5.0) ** 2, 0)
        if trial.number >= 5:
            raise tansaku.TrialPruned()
        return 0.0

    study = tansaku.create_study(
        sampler=TPESampler(seed=0, n_startup_trials=5), pruner=tansaku.pruners.NopPruner()
    )
    study.optimize(objective, n_trials=80)
    xs = np.array([t.params["x"] for t in study.trials[-30:]])
    # Random search: a median distance of 5; TPE over seeds 0-7: 1.6 to 2.5.
    assert np.median(np.abs(xs + 5.0)) < 3.0


def test_failed_trials_are_ignored() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        if x < 0:
            raise RuntimeError("boom")
        return (x - 2.0) ** 2

    study = tansaku.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=60, catch=(RuntimeError,))
    assert study.best_value < 0.5


# -- startup and the constant liar -------------------------------------------------------------
def test_n_startup_trials_counts_complete_and_pruned_trials() -> None:
    sampler = TPESampler(seed=0, n_startup_trials=4)
    study = tansaku.create_study(sampler=sampler)
    for value in (1.0, 2.0):
        study.add_trial(
            create_trial(
                value=value, params={"x": value}, distributions={"x": FloatDistribution(0, 5)}
            )
        )
    for state in (TrialState.PRUNED, TrialState.FAIL):
        study.add_trial(
            create_trial(
                state=state, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 5)}
            )
        )
    trial = study.ask()
    state = sampler._refreshed_state(study, trial._cached_frozen_trial)
    assert state.history.n == 3


def test_constant_liar_with_parallel_workers_spreads_the_running_trials() -> None:
    # With n_jobs=4, each worker sees the other three running trials as bad: no two of them
    # suggest almost the same point.
    import threading
    import time

    running: list[float] = []
    lock = threading.Lock()
    closest: list[float] = []

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        with lock:
            if running:
                closest.append(min(abs(x - other) for other in running))
            running.append(x)
        time.sleep(0.002)
        with lock:
            running.remove(x)
        return abs(x - 2.0)

    study = tansaku.create_study(sampler=TPESampler(seed=0, constant_liar=True))
    study.optimize(objective, n_trials=80, n_jobs=4)
    assert len(study.trials) == 80
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert np.median(closest[-30:]) > 0.05


def test_trials_asked_while_others_run_spread_out_only_with_the_constant_liar() -> None:
    def pending_suggestions(constant_liar: bool) -> np.ndarray:
        sampler = TPESampler(seed=0, n_startup_trials=10, constant_liar=constant_liar)
        study = tansaku.create_study(sampler=sampler)
        study.optimize(lambda t: abs(t.suggest_float("x", -10.0, 10.0) - 2.0), n_trials=30)
        # Twenty trials asked and left running, as by twenty parallel workers.
        return np.array([study.ask().suggest_float("x", -10.0, 10.0) for _ in range(20)])

    def spread(xs: np.ndarray) -> float:
        return float(np.median(np.abs(xs - np.median(xs))))

    # Without the liar nothing changes between asks, so most crowd on one spot.
    assert spread(pending_suggestions(True)) > 3.0 * spread(pending_suggestions(False))


# -- constraints -------------------------------------------------------------------------------
def _constrained(trial: Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    y = trial.suggest_float("y", -10.0, 10.0)
    trial.set_constraint("x_at_least_one", 1.0 - x)  # feasible when x >= 1
    return x * x + y * y


def _late_feasible_fraction(study: tansaku.Study) -> float:
    return float(np.mean([t.params["x"] >= 1.0 for t in study.trials[-40:]]))


def test_set_constraint_steers_sampling_away_from_infeasible_regions() -> None:
    constrained, unconstrained = [], []
    for seed in range(3):
        study = tansaku.create_study(sampler=TPESampler(seed=seed))
        study.optimize(_constrained, n_trials=100)
        constrained.append(_late_feasible_fraction(study))
        assert 1.0 <= study.best_trial.params["x"] < 2.0
        free = tansaku.create_study(sampler=TPESampler(seed=seed))
        free.optimize(
            lambda t: t.suggest_float("x", -10, 10) ** 2 + t.suggest_float("y", -10, 10) ** 2,
            n_trials=100,
        )
        unconstrained.append(_late_feasible_fraction(free))
    # About 0.65 against 0.27 (Optuna 5.0: 0.6 against 0.3).
    assert np.mean(constrained) > np.mean(unconstrained) + 0.2


def test_infeasible_trials_rank_after_every_feasible_one() -> None:
    # The best values are all infeasible; the good group must still be the feasible ones.
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        trial.set_constraint("c", -1.0 if x > 5.0 else 1.0)
        return x

    study = tansaku.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=80)
    xs = np.array([t.params["x"] for t in study.trials[-30:]])
    assert np.mean(xs > 5.0) > 0.4  # uniform draws: 0.25; TPE (as Optuna's) about 0.55


def test_deprecated_constraints_func_is_stored_and_honoured() -> None:
    sampler = _quiet_sampler(seed=0, constraints_func=lambda t: [1.0 - t.params["x"]])
    study = tansaku.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -10.0, 10.0) ** 2, n_trials=80)
    assert study.trials[0].system_attrs["constraints"] == [1.0 - study.trials[0].params["x"]]
    assert _late_feasible_fraction(study) > 0.45  # unconstrained: about 0.25


@pytest.mark.parametrize(
    ("returned", "error", "match"),
    [
        ([math.nan], ValueError, "NaN"),
        (1.0, TypeError, "sequence"),
        ("0.5", TypeError, "sequence"),
        (["low"], TypeError, "float"),
    ],
)
def test_constraints_func_bad_results_raise_and_leave_the_study_intact(
    returned: Any, error: type[Exception], match: str
) -> None:
    sampler = _quiet_sampler(seed=0, constraints_func=lambda t: returned)
    study = tansaku.create_study(sampler=sampler)
    with pytest.raises(error, match=match):
        study.optimize(_quadratic, n_trials=3)
    (trial,) = study.trials
    assert trial.state is TrialState.COMPLETE
    assert "constraints" not in trial.system_attrs
    # The study goes on; the trial without constraint values ranks last, with a warning.
    sampler._constraints_func = lambda t: [0.0]
    with pytest.warns(UserWarning, match="no constraint values"):
        study.optimize(_quadratic, n_trials=12)
    assert len(study.trials) == 13


@pytest.mark.parametrize("value", [math.nan, "high", None])
def test_set_constraint_with_nan_or_a_non_number_fails_that_trial_only(value: Any) -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        trial.set_constraint("c", value if trial.number == 3 else x)
        return x * x

    study = tansaku.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=20, catch=(ValueError, TypeError))
    states = [t.state for t in study.trials]
    assert states[3] is TrialState.FAIL
    assert states.count(TrialState.COMPLETE) == 19


# -- bad gamma and weights ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("gamma", "error", "match"),
    [
        (lambda n: -1, ValueError, ">= 0"),
        (lambda n: 1.5, TypeError, "int"),
        (lambda n: None, TypeError, "int"),
    ],
)
def test_bad_gamma_raises_at_the_first_tpe_trial_and_keeps_earlier_trials(
    gamma: Callable[[int], Any], error: type[Exception], match: str
) -> None:
    study = tansaku.create_study(sampler=_quiet_sampler(seed=0, gamma=gamma))
    with pytest.raises(error, match=match):
        study.optimize(_quadratic, n_trials=20)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 10 + [TrialState.FAIL]


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (lambda n: np.ones(n + 1), "shape"),
        (lambda n: -np.ones(n), ">= 0"),
        (lambda n: np.full(n, math.nan), "finite"),
    ],
)
def test_bad_weights_raise_at_the_first_tpe_trial(
    weights: Callable[[int], np.ndarray], match: str
) -> None:
    study = tansaku.create_study(sampler=_quiet_sampler(seed=0, weights=weights))
    with pytest.raises(ValueError, match=match):
        study.optimize(_quadratic, n_trials=20)
    assert len(study.trials) == 11


def test_custom_gamma_and_weights_are_honoured() -> None:
    calls: list[int] = []

    def gamma(n: int) -> int:
        calls.append(n)
        return 2

    sampler = _quiet_sampler(seed=0, gamma=gamma, weights=lambda n: np.linspace(0.5, 1.0, n))
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=30)
    assert calls == list(range(10, 30))
    good, _ = next(iter(sampler._states.values())).split(gamma)
    assert len(good) == 2


# -- independent sampling and warnings ---------------------------------------------------------
def test_warn_independent_sampling_logs_params_outside_the_joint_space(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 2:
            x += trial.suggest_float("y", 0.0, 1.0)
        return x

    sampler = _quiet_sampler(seed=0, warn_independent_sampling=True, n_startup_trials=4)
    study = tansaku.create_study(sampler=sampler)
    tansaku.logging.enable_propagation()
    try:
        study.optimize(objective, n_trials=12)
    finally:
        tansaku.logging.disable_propagation()
    assert any("'y'" in record.getMessage() for record in caplog.records)


def test_no_warning_by_default_for_params_outside_the_joint_space(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 2:
            x += trial.suggest_float("y", 0.0, 1.0)
        return x

    study = tansaku.create_study(sampler=TPESampler(seed=0, n_startup_trials=4))
    tansaku.logging.enable_propagation()
    try:
        study.optimize(objective, n_trials=12)
    finally:
        tansaku.logging.disable_propagation()
    assert not any("'y'" in record.getMessage() for record in caplog.records)


# -- several studies, storages and processes ---------------------------------------------------
def test_one_sampler_serves_several_studies_separately() -> None:
    sampler = TPESampler(seed=0)
    first = tansaku.create_study(sampler=sampler)
    second = tansaku.create_study(direction="maximize", sampler=sampler)
    for _ in range(40):
        first.optimize(_quadratic, n_trials=1)
        second.optimize(_quadratic, n_trials=1)
    assert first.best_value < 0.5
    assert second.best_value > 100.0


def test_a_second_sampler_on_the_same_storage_sees_the_first_ones_trials() -> None:
    # Two workers (here two samplers) share one storage: each one's history must include the
    # other's trials, read from storage, not only its own.
    storage = tansaku.storages.InMemoryStorage()
    study_a = tansaku.create_study(storage=storage, sampler=TPESampler(seed=0), study_name="s")
    study_b = tansaku.load_study(study_name="s", storage=storage, sampler=TPESampler(seed=1))
    for _ in range(30):
        study_a.optimize(_quadratic, n_trials=1)
        study_b.optimize(_quadratic, n_trials=1)
    state_b = next(iter(study_b.sampler._states.values()))
    assert state_b.history.n == 59
    assert sorted(state_b.history.numbers.tolist()) == list(range(59))


def test_trials_finishing_out_of_order_are_all_folded_in() -> None:
    sampler = TPESampler(seed=0, n_startup_trials=2)
    study = tansaku.create_study(sampler=sampler)
    trials = [study.ask() for _ in range(6)]
    for trial in reversed(trials):
        study.tell(trial, _quadratic(trial))
    trial = study.ask()
    trial.suggest_float("x", -10.0, 10.0)
    state = next(iter(sampler._states.values()))
    assert sorted(state.history.numbers.tolist()) == list(range(6))
    assert not state.history.is_plain


def test_directions_are_read_from_the_study() -> None:
    sampler = TPESampler(seed=0)
    study = tansaku.create_study(direction="maximize", sampler=sampler)
    study.optimize(_quadratic, n_trials=12)
    state = next(iter(sampler._states.values()))
    folded = study.trials[: state.history.n]
    values = np.array([t.value for t in folded])
    assert np.array_equal(state.history.numbers, [t.number for t in folded])
    assert np.array_equal(state.history.loss[:, 0], -values)
    assert study.direction == StudyDirection.MAXIMIZE


def test_after_trial_leaves_trials_without_constraints_func_alone() -> None:
    sampler = TPESampler(seed=0)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=3)
    trial: FrozenTrial = study.trials[0]
    assert "constraints" not in trial.system_attrs
