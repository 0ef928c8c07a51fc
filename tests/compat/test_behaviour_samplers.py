"""CmaEsSampler, NSGAIISampler, NSGAIIISampler and NSGA-II's operators behave as in Optuna 5.0.

What a user of these samplers observes: the errors and warnings of their constructors, the
errors of a study they cannot serve, the system attrs they leave on trials and studies, and
params that stay inside their distributions. Each case runs once with Optuna and once with
tansaku (see ``_observe.py``); a case listed in ``deliberate_differences.toml`` must differ
exactly as recorded there instead.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from tests.compat._observe import Case, case_params, check_case

CASES: dict[str, Case] = {}


def case(function: Case) -> Case:
    """Register ``function`` as a case under its name."""
    CASES[function.__name__] = function
    return function


def states(study: Any) -> list[str]:
    return [trial.state.name for trial in study.trials]


def _mixed_objective(trial: Any) -> float:
    """Every kind of numerical param a relative sampler models."""
    x = trial.suggest_float("x", -3.0, 2.0)
    log_x = trial.suggest_float("log_x", 1e-3, 10.0, log=True)
    step_x = trial.suggest_float("step_x", 0.0, 1.0, step=0.25)
    n = trial.suggest_int("n", -4, 7)
    step_n = trial.suggest_int("step_n", 1, 13, step=3)
    log_n = trial.suggest_int("log_n", 1, 64, log=True)
    return x**2 + math.log(log_x) ** 2 + step_x + abs(n) + step_n + log_n


def _in_their_distributions(study: Any) -> bool:
    """Whether every param of every trial lies inside its distribution (bounds and step)."""
    for trial in study.trials:
        for name, value in trial.params.items():
            dist = trial.distributions[name]
            if hasattr(dist, "choices"):
                if value not in dist.choices:
                    return False
                continue
            if not dist.low <= value <= dist.high:
                return False
            step = getattr(dist, "step", None)
            if step is not None and not math.isclose(
                (value - dist.low) / step, round((value - dist.low) / step), abs_tol=1e-8
            ):
                return False
    return True


def _key_prefixes(attrs: dict[str, Any]) -> list[str]:
    """The distinct key prefixes (the text before the first ':') of system attrs."""
    return sorted({key.split(":")[0] for key in attrs})


# -- CmaEsSampler: constructor ------------------------------------------------------------------
def _cmaes(**kwargs: Any) -> Case:
    return lambda lib: lib.samplers.CmaEsSampler(**kwargs)


for _name, _kwargs in (
    ("default", {}),
    ("x0_is_deprecated", {"x0": {"x": 0.5}}),
    ("sigma0_is_deprecated", {"sigma0": 0.5}),
    ("popsize_two", {"popsize": 2}),
    ("restart_strategy_ipop", {"restart_strategy": "ipop"}),
    ("restart_strategy_bipop", {"restart_strategy": "bipop"}),
    ("inc_popsize", {"inc_popsize": 3}),
    ("n_startup_trials_zero", {"n_startup_trials": 0}),
    ("consider_pruned_trials_is_experimental", {"consider_pruned_trials": True}),
    ("use_separable_cma_is_experimental", {"use_separable_cma": True}),
    ("with_margin_is_experimental", {"with_margin": True}),
    ("lr_adapt_is_experimental", {"lr_adapt": True}),
    ("source_trials_is_experimental", {"source_trials": []}),
    ("separable_with_margin", {"use_separable_cma": True, "with_margin": True}),
    ("lr_adapt_with_separable", {"lr_adapt": True, "use_separable_cma": True}),
    ("lr_adapt_with_margin", {"lr_adapt": True, "with_margin": True}),
    ("source_trials_with_x0", {"source_trials": [], "x0": {"x": 0.5}}),
    ("source_trials_with_sigma0", {"source_trials": [], "sigma0": 0.5}),
    ("source_trials_with_separable", {"source_trials": [], "use_separable_cma": True}),
):
    CASES[f"cmaes_{_name}"] = _cmaes(**_kwargs)


def _cmaes_running(**kwargs: Any) -> Case:
    """Build the sampler and run a small study with it (Optuna checks some arguments there)."""

    def run(lib: ModuleType) -> Any:
        study = lib.create_study(sampler=lib.samplers.CmaEsSampler(seed=0, **kwargs))
        study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_float("y", 0, 1), 6)
        return states(study)

    return run


for _name, _kwargs in (
    ("sigma0_zero", {"sigma0": 0.0}),
    ("popsize_one", {"popsize": 1}),
    ("n_startup_trials_negative", {"n_startup_trials": -1}),
    ("inc_popsize_zero", {"inc_popsize": 0}),
    ("unknown_restart_strategy", {"restart_strategy": "sometimes"}),
    ("x0_not_a_dict", {"x0": [0.0, 0.5]}),
):
    CASES[f"cmaes_{_name}"] = _cmaes_running(**_kwargs)


# -- CmaEsSampler: studies ----------------------------------------------------------------------
def _cmaes_study(lib: ModuleType, directions: Any = None, **kwargs: Any) -> Any:
    kwargs.setdefault("seed", 0)
    sampler = lib.samplers.CmaEsSampler(**kwargs)
    return lib.create_study(sampler=sampler, directions=directions)


@case
def cmaes_params_stay_in_their_distributions(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, popsize=4)
    study.optimize(_mixed_objective, n_trials=24)
    return states(study), _in_their_distributions(study)


@case
def cmaes_with_margin_params_stay_in_their_distributions(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, popsize=4, with_margin=True)
    study.optimize(_mixed_objective, n_trials=24)
    return states(study), _in_their_distributions(study)


@case
def cmaes_separable_params_stay_in_their_distributions(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, popsize=4, use_separable_cma=True)
    study.optimize(_mixed_objective, n_trials=24)
    return states(study), _in_their_distributions(study)


@case
def cmaes_lr_adapt_params_stay_in_their_distributions(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, popsize=4, lr_adapt=True)
    study.optimize(_mixed_objective, n_trials=24)
    return states(study), _in_their_distributions(study)


@case
def cmaes_n_startup_trials_are_sampled_independently(lib: ModuleType) -> Any:
    def params(sampler: Any) -> list[dict[str, Any]]:
        study = lib.create_study(sampler=sampler)
        study.optimize(_mixed_objective, n_trials=5)
        return [trial.params for trial in study.trials]

    independent = lib.samplers.RandomSampler(seed=3)
    with_cmaes = params(
        lib.samplers.CmaEsSampler(n_startup_trials=3, independent_sampler=independent, seed=0)
    )
    alone = params(lib.samplers.RandomSampler(seed=3))
    # The first three come from the independent sampler; the fourth is CMA-ES's own.
    return [a == b for a, b in zip(with_cmaes, alone, strict=True)][:4]


@case
def cmaes_smallest_populations(lib: ModuleType) -> Any:
    # One parent per generation (popsize 2 or 3): the rank-mu update learns nothing.
    outcome = []
    for popsize in (2, 3):
        study = _cmaes_study(lib, popsize=popsize)
        study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("n", 0, 4), 12)
        outcome.append((states(study).count("COMPLETE"), _in_their_distributions(study)))
    return outcome


@case
def cmaes_system_attr_key_prefixes(lib: ModuleType) -> Any:
    study = _cmaes_study(lib)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("n", 0, 4), n_trials=8)
    trial_keys = set().union(*(trial.system_attrs for trial in study.trials))
    study_keys = study._storage.get_study_system_attrs(study._study_id)
    return _key_prefixes(dict.fromkeys(trial_keys)), _key_prefixes(study_keys)


@case
def cmaes_categorical_only_space(lib: ModuleType) -> Any:
    study = _cmaes_study(lib)
    study.optimize(lambda t: len(t.suggest_categorical("c", ["a", "bb", "ccc"])), n_trials=4)
    return states(study)


@case
def cmaes_one_float_param(lib: ModuleType) -> Any:
    study = _cmaes_study(lib)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=12)
    return states(study), _in_their_distributions(study)


@case
def cmaes_conditional_params(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, warn_independent_sampling=False)

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -1, 1)
        if trial.number % 2:
            return x + trial.suggest_int("n", 0, 3)
        return x

    study.optimize(objective, n_trials=12)
    return states(study), _in_their_distributions(study)


@case
def cmaes_multi_objective_study(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, directions=["minimize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=3)


@case
def cmaes_x0_is_the_first_mean(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, x0={"x": 0.5, "y": -0.5}, sigma0=1e-6, n_startup_trials=0)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_float("y", -1, 1), 3)
    return [
        (round(trial.params["x"], 3), round(trial.params["y"], 3)) for trial in study.trials[1:]
    ]


@case
def cmaes_x0_outside_the_space(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, x0={"x": 5.0}, n_startup_trials=0)
    study.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=3)
    return states(study), _in_their_distributions(study)


@case
def cmaes_seed_reproduces_the_params(lib: ModuleType) -> Any:
    def params() -> list[dict[str, Any]]:
        study = _cmaes_study(lib, seed=7, popsize=4)
        study.optimize(_mixed_objective, n_trials=10)
        return [trial.params for trial in study.trials]

    return params() == params()


@case
def cmaes_source_trials_warm_start(lib: ModuleType) -> Any:
    source = lib.create_study(sampler=lib.samplers.RandomSampler(seed=0))
    source.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
    study = _cmaes_study(lib, source_trials=source.trials, n_startup_trials=0)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=6)
    return states(study), _in_their_distributions(study)


@case
def cmaes_consider_pruned_trials(lib: ModuleType) -> Any:
    study = _cmaes_study(lib, consider_pruned_trials=True)

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -1, 1)
        trial.report(x, 0)
        if trial.number % 3 == 1:
            raise lib.TrialPruned()
        return x

    study.optimize(objective, n_trials=12)
    return states(study), _in_their_distributions(study)


# -- NSGA-II and NSGA-III: constructors ---------------------------------------------------------
def _nsga(sampler: str, **kwargs: Any) -> Case:
    return lambda lib: getattr(lib.samplers, sampler)(**kwargs)


for _sampler, _short in (("NSGAIISampler", "nsgaii"), ("NSGAIIISampler", "nsgaiii")):
    for _name, _kwargs in (
        ("default", {}),
        ("population_size_one", {"population_size": 1}),
        ("population_size_zero", {"population_size": 0}),
        ("population_size_two", {"population_size": 2}),
        ("mutation_prob_above_one", {"mutation_prob": 1.5}),
        ("mutation_prob_negative", {"mutation_prob": -0.1}),
        ("mutation_prob_one", {"mutation_prob": 1.0}),
        ("crossover_prob_above_one", {"crossover_prob": 1.5}),
        ("crossover_prob_negative", {"crossover_prob": -0.1}),
        ("crossover_prob_zero", {"crossover_prob": 0.0}),
        ("swapping_prob_above_one", {"swapping_prob": 1.5}),
        ("swapping_prob_negative", {"swapping_prob": -0.1}),
        ("swapping_prob_one", {"swapping_prob": 1.0}),
        ("crossover_not_a_crossover", {"crossover": "uniform"}),
        ("mutation_not_a_mutation", {"mutation": "polynomial"}),
        ("mutation_prob_not_a_number", {"mutation_prob": "0.5"}),
        ("constraints_func_is_deprecated", {"constraints_func": lambda trial: [0.0]}),
        ("elite_strategy_is_experimental", {"elite_population_selection_strategy": print}),
        ("child_strategy_is_experimental", {"child_generation_strategy": print}),
        ("after_trial_strategy_is_experimental", {"after_trial_strategy": print}),
    ):
        CASES[f"{_short}_{_name}"] = _nsga(_sampler, **_kwargs)


@case
def nsgaii_crossover_needs_more_parents_than_the_population(lib: ModuleType) -> Any:
    return lib.samplers.NSGAIISampler(
        population_size=2, crossover=lib.samplers.nsgaii.UNDXCrossover()
    )


@case
def nsgaii_crossover_needs_as_many_parents_as_the_population(lib: ModuleType) -> Any:
    return lib.samplers.NSGAIISampler(
        population_size=3, crossover=lib.samplers.nsgaii.UNDXCrossover()
    )


@case
def nsgaiii_crossover_needs_more_parents_than_the_population(lib: ModuleType) -> Any:
    return lib.samplers.NSGAIIISampler(
        population_size=2, crossover=lib.samplers.nsgaii.SPXCrossover()
    )


def _nsga_running(sampler_name: str, **kwargs: Any) -> Case:
    """Build the sampler and run two generations (Optuna checks some arguments only then)."""

    def run(lib: ModuleType) -> Any:
        arguments = {"population_size": 4, **kwargs}
        sampler = getattr(lib.samplers, sampler_name)(seed=0, **arguments)
        study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 12)
        return states(study).count("COMPLETE"), _in_their_distributions(study)

    return run


CASES["nsgaii_population_size_float"] = _nsga_running("NSGAIISampler", population_size=4.0)
CASES["nsgaiii_population_size_float"] = _nsga_running("NSGAIIISampler", population_size=4.0)
for _name, _kwargs in (
    ("dividing_parameter_zero", {"dividing_parameter": 0}),
    ("dividing_parameter_float", {"dividing_parameter": 2.0}),
    ("reference_points_one_dimensional", {"reference_points": np.array([0.5, 0.5])}),
    ("reference_points_nan", {"reference_points": np.array([[math.nan, 0.5], [0.5, 0.5]])}),
    ("reference_points_as_a_list", {"reference_points": [[0.0, 1.0], [1.0, 0.0]]}),
):
    CASES[f"nsgaiii_{_name}"] = _nsga_running("NSGAIIISampler", **_kwargs)


@case
def nsgaiii_reference_points_of_the_wrong_dimension(lib: ModuleType) -> Any:
    points = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    sampler = lib.samplers.NSGAIIISampler(population_size=4, reference_points=points, seed=0)
    study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 10)
    return states(study)


@case
def nsgaiii_reference_points_of_the_right_dimension(lib: ModuleType) -> Any:
    points = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    sampler = lib.samplers.NSGAIIISampler(population_size=4, reference_points=points, seed=0)
    study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 10)
    return states(study), _in_their_distributions(study)


# -- NSGA-II and NSGA-III: studies --------------------------------------------------------------
def _two_objectives(trial: Any) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    n = trial.suggest_int("n", 0, 10, step=2)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return x + n, (1.0 - x) + (kind == "a")


def _generations(lib: ModuleType, sampler_name: str, **kwargs: Any) -> Any:
    sampler = getattr(lib.samplers, sampler_name)(population_size=4, seed=0, **kwargs)
    study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=14)
    key = f"{sampler_name}:generation"
    trial_keys = sorted(set().union(*(trial.system_attrs for trial in study.trials)))
    study_keys = sorted(study._storage.get_study_system_attrs(study._study_id))
    generations = [trial.system_attrs.get(key) for trial in study.trials]
    return trial_keys, study_keys, generations, _in_their_distributions(study)


for _sampler, _short in (("NSGAIISampler", "nsgaii"), ("NSGAIIISampler", "nsgaiii")):
    CASES[f"{_short}_generation_system_attrs"] = lambda lib, s=_sampler: _generations(lib, s)


@case
def nsgaii_generations_with_failed_and_pruned_trials(lib: ModuleType) -> Any:
    sampler = lib.samplers.NSGAIISampler(population_size=3, seed=0)
    study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)

    def objective(trial: Any) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 4 == 1:
            raise ValueError
        if trial.number % 4 == 2:
            raise lib.TrialPruned()
        return x, 1 - x

    study.optimize(objective, n_trials=14, catch=(ValueError,))
    return [trial.system_attrs.get("NSGAIISampler:generation") for trial in study.trials]


@case
def nsgaii_single_objective(lib: ModuleType) -> Any:
    study = lib.create_study(sampler=lib.samplers.NSGAIISampler(population_size=4, seed=0))
    study.optimize(lambda t: _two_objectives(t)[0], n_trials=14)
    return states(study), _in_their_distributions(study)


@case
def nsgaiii_single_objective(lib: ModuleType) -> Any:
    study = lib.create_study(sampler=lib.samplers.NSGAIIISampler(population_size=4, seed=0))
    study.optimize(lambda t: _two_objectives(t)[0], n_trials=14)
    return states(study), _in_their_distributions(study)


@case
def nsgaii_constraints_func_is_stored(lib: ModuleType) -> Any:
    sampler = lib.samplers.NSGAIISampler(
        population_size=3, seed=0, constraints_func=lambda trial: [trial.params["x"] - 0.5]
    )
    study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=7)
    return sorted(set().union(*(trial.system_attrs for trial in study.trials)))


@case
def nsgaii_seed_reproduces_the_params(lib: ModuleType) -> Any:
    def params() -> list[dict[str, Any]]:
        sampler = lib.samplers.NSGAIISampler(population_size=4, seed=5)
        study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(_two_objectives, n_trials=14)
        return [trial.params for trial in study.trials]

    return params() == params()


@case
def nsgaii_mutation_prob_zero_and_no_crossover_copies_parents(lib: ModuleType) -> Any:
    sampler = lib.samplers.NSGAIISampler(
        population_size=4, seed=0, mutation_prob=0.0, crossover_prob=0.0
    )
    study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=12)
    first = [tuple(sorted(t.params.items())) for t in study.trials[:4]]
    return all(tuple(sorted(t.params.items())) in first for t in study.trials[4:])


# -- NSGA-II's operators ------------------------------------------------------------------------
def _operator(name: str, *args: Any, **kwargs: Any) -> Case:
    return lambda lib: getattr(lib.samplers.nsgaii, name)(*args, **kwargs)


for _name, _operator_name, _kwargs in (
    ("uniform_default", "UniformCrossover", {}),
    ("uniform_swapping_prob_above_one", "UniformCrossover", {"swapping_prob": 1.5}),
    ("uniform_swapping_prob_negative", "UniformCrossover", {"swapping_prob": -0.5}),
    ("uniform_swapping_prob_not_a_number", "UniformCrossover", {"swapping_prob": "0.5"}),
    ("blx_alpha_default", "BLXAlphaCrossover", {}),
    ("blx_alpha_zero", "BLXAlphaCrossover", {"alpha": 0.0}),
    ("sbx_default", "SBXCrossover", {}),
    ("sbx_eta_negative", "SBXCrossover", {"eta": -1.0}),
    ("sbx_eta_zero", "SBXCrossover", {"eta": 0.0}),
    ("sbx_eta_not_a_number", "SBXCrossover", {"eta": "1"}),
    ("sbx_uniform_crossover_prob_above_one", "SBXCrossover", {"uniform_crossover_prob": 1.5}),
    ("sbx_use_child_gene_prob_zero", "SBXCrossover", {"use_child_gene_prob": 0.0}),
    ("sbx_use_child_gene_prob_above_one", "SBXCrossover", {"use_child_gene_prob": 1.5}),
    ("vsbx_default", "VSBXCrossover", {}),
    ("vsbx_eta_negative", "VSBXCrossover", {"eta": -1.0}),
    ("vsbx_use_child_gene_prob_zero", "VSBXCrossover", {"use_child_gene_prob": 0.0}),
    ("undx_default", "UNDXCrossover", {}),
    ("spx_default", "SPXCrossover", {}),
    ("polynomial_mutation_default", "PolynomialMutation", {}),
    ("polynomial_mutation_eta_negative", "PolynomialMutation", {"eta": -1.0}),
    ("polynomial_mutation_eta_zero", "PolynomialMutation", {"eta": 0.0}),
    ("polynomial_mutation_eta_not_a_number", "PolynomialMutation", {"eta": "1"}),
):
    CASES[f"nsgaii_operator_{_name}"] = _operator(_operator_name, **_kwargs)


@case
def nsgaii_crossovers_n_parents(lib: ModuleType) -> Any:
    names = ("UniformCrossover", "BLXAlphaCrossover", "SBXCrossover", "VSBXCrossover")
    names += ("UNDXCrossover", "SPXCrossover")
    return [getattr(lib.samplers.nsgaii, name)().n_parents for name in names]


def _with_operator(lib: ModuleType, crossover: str, mutation: bool) -> Any:
    sampler = lib.samplers.NSGAIISampler(
        population_size=4,
        seed=0,
        crossover=getattr(lib.samplers.nsgaii, crossover)(),
        mutation=lib.samplers.nsgaii.PolynomialMutation() if mutation else None,
    )
    study = lib.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=14)
    return states(study), _in_their_distributions(study)


for _crossover in (
    "UniformCrossover",
    "BLXAlphaCrossover",
    "SBXCrossover",
    "VSBXCrossover",
    "UNDXCrossover",
    "SPXCrossover",
):
    CASES[f"nsgaii_with_{_crossover}"] = lambda lib, c=_crossover: _with_operator(lib, c, False)
CASES["nsgaii_with_polynomial_mutation"] = lambda lib: _with_operator(lib, "SBXCrossover", True)


def _nsgaii_operators(**operators: tuple[str, dict[str, Any]]) -> Case:
    """Run NSGAIISampler with the named operators built from the given arguments."""
    return lambda lib: _nsga_running(
        "NSGAIISampler",
        **{
            role: getattr(lib.samplers.nsgaii, name)(**kwargs)
            for role, (name, kwargs) in operators.items()
        },
    )(lib)


for _name, _operators in (
    ("blx_alpha_negative", {"crossover": ("BLXAlphaCrossover", {"alpha": -0.5})}),
    ("sbx_eta_zero", {"crossover": ("SBXCrossover", {"eta": 0.0})}),
    ("vsbx_eta_zero", {"crossover": ("VSBXCrossover", {"eta": 0.0})}),
    ("undx_sigma_xi_negative", {"crossover": ("UNDXCrossover", {"sigma_xi": -1.0})}),
    ("undx_sigma_eta_negative", {"crossover": ("UNDXCrossover", {"sigma_eta": -1.0})}),
    ("spx_epsilon_negative", {"crossover": ("SPXCrossover", {"epsilon": -1.0})}),
    ("polynomial_mutation_eta_zero", {"mutation": ("PolynomialMutation", {"eta": 0.0})}),
):
    CASES[f"nsgaii_running_with_{_name}"] = _nsgaii_operators(**_operators)


@pytest.mark.parametrize(("case_id", "run"), case_params(CASES))
def test_behaves_as_optuna(case_id: str, run: Case, optuna: ModuleType) -> None:
    check_case(case_id, run, optuna)
