"""Importances side by side with Optuna's on the same trials: the rankings agree.

The same finished trials (same params, same values) are added to a tansaku study and to an
Optuna study; each evaluator then runs on both. PED-ANOVA is deterministic and computes the
same numbers; the forest-based evaluators use the same scikit-learn forest with the same seed.
fANOVA differs on purpose in one respect: tansaku measures log params on their log scale, so
the log param below has an effect whose rank is the same under both measures.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import tansaku

N_TRIALS = 350
KIND_OFFSET = {"a": 0.0, "b": 1.0, "c": 2.0}


def _space(lib: ModuleType) -> dict[str, Any]:
    d = lib.distributions
    return {
        "x": d.FloatDistribution(-1.0, 1.0),
        "kind": d.CategoricalDistribution(["a", "b", "c"]),
        "lr": d.FloatDistribution(1e-5, 1e-1, log=True),
        "n": d.IntDistribution(1, 8),
        "noise": d.FloatDistribution(0.0, 1.0),
    }


def _points(seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [
        {
            "x": float(rng.uniform(-1, 1)),
            "kind": ["a", "b", "c"][int(rng.integers(3))],
            "lr": float(np.exp(rng.uniform(np.log(1e-5), np.log(1e-1)))),
            "n": int(rng.integers(1, 9)),
            "noise": float(rng.uniform()),
        }
        for _ in range(N_TRIALS)
    ]


def _separated(params: dict[str, Any]) -> float:
    """Variance shares far apart: x >> kind >> lr >> n >> noise (none)."""
    return (
        5.0 * params["x"]
        + KIND_OFFSET[params["kind"]]
        + 1.5 * (params["lr"] > 1e-2)
        + 0.07 * params["n"]
    )


def _study(lib: ModuleType, objectives: list[Callable[[dict[str, Any]], float]]) -> Any:
    lib.logging.set_verbosity(lib.logging.WARNING)
    space = _space(lib)
    study = lib.create_study(directions=["minimize"] * len(objectives))
    study.add_trials(
        [
            lib.trial.create_trial(
                params=point, distributions=space, values=[f(point) for f in objectives]
            )
            for point in _points(0)
        ]
    )
    return study


def _importances(lib: ModuleType, study: Any, evaluator_name: str, **kwargs: Any) -> dict:
    evaluators = {
        "ped_anova": lambda: lib.importance.PedAnovaImportanceEvaluator(),
        "ped_anova_global": lambda: lib.importance.PedAnovaImportanceEvaluator(
            evaluate_on_local=False
        ),
        "fanova": lambda: lib.importance.FanovaImportanceEvaluator(seed=0),
        "mdi": lambda: lib.importance.MeanDecreaseImpurityImportanceEvaluator(seed=0),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = lib.importance.get_param_importances(
            study, evaluator=evaluators[evaluator_name](), **kwargs
        )
    return {name: float(value) for name, value in result.items()}


def _disagreements(ours: dict[str, float], theirs: dict[str, float]) -> tuple[list, int]:
    """Pairs that Optuna separates clearly (by 2x and 0.005) but tansaku orders otherwise."""
    assert set(ours) == set(theirs)
    wrong, compared = [], 0
    for a, b in itertools.permutations(theirs, 2):
        if theirs[a] > 2.0 * theirs[b] + 0.005:
            compared += 1
            if not ours[a] > ours[b]:
                wrong.append((a, b))
    return wrong, compared


@pytest.mark.parametrize("evaluator_name", ["ped_anova", "ped_anova_global", "fanova", "mdi"])
def test_rankings_agree_with_optuna_on_the_same_trials(
    optuna: ModuleType, evaluator_name: str
) -> None:
    ours = _importances(tansaku, _study(tansaku, [_separated]), evaluator_name)
    theirs = _importances(optuna, _study(optuna, [_separated]), evaluator_name)
    wrong, compared = _disagreements(ours, theirs)
    assert compared >= 6, (theirs, "too few clearly separated pairs to compare")
    assert not wrong, (ours, theirs)
    assert next(iter(ours)) == next(iter(theirs)) == "x"


@pytest.mark.parametrize("evaluator_name", ["ped_anova", "ped_anova_global"])
def test_ped_anova_computes_optuna_numbers(optuna: ModuleType, evaluator_name: str) -> None:
    ours = _importances(tansaku, _study(tansaku, [_separated]), evaluator_name, normalize=False)
    theirs = _importances(optuna, _study(optuna, [_separated]), evaluator_name, normalize=False)
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_mean_decrease_impurity_grows_the_same_forest(optuna: ModuleType) -> None:
    ours = _importances(tansaku, _study(tansaku, [_separated]), "mdi")
    theirs = _importances(optuna, _study(optuna, [_separated]), "mdi")
    assert ours == pytest.approx(theirs, abs=1e-3)


@pytest.mark.parametrize("evaluator_name", ["ped_anova", "fanova", "mdi"])
def test_rankings_agree_for_one_objective_of_several(
    optuna: ModuleType, evaluator_name: str
) -> None:
    objectives = [lambda p: p["noise"] + 0.1 * p["n"], _separated]
    ours = _importances(
        tansaku, _study(tansaku, objectives), evaluator_name, target=lambda t: t.values[1]
    )
    theirs = _importances(
        optuna, _study(optuna, objectives), evaluator_name, target=lambda t: t.values[1]
    )
    wrong, compared = _disagreements(ours, theirs)
    assert compared >= 6 and not wrong, (ours, theirs)


def test_ped_anova_agrees_on_the_pareto_front_without_target(optuna: ModuleType) -> None:
    objectives = [lambda p: p["noise"] + 0.1 * p["n"], _separated]
    ours = _importances(tansaku, _study(tansaku, objectives), "ped_anova")
    theirs = _importances(optuna, _study(optuna, objectives), "ped_anova")
    wrong, compared = _disagreements(ours, theirs)
    assert compared >= 4 and not wrong, (ours, theirs)


def test_ped_anova_agrees_on_conditional_params(optuna: ModuleType) -> None:
    def run(lib: ModuleType) -> dict[str, float]:
        lib.logging.set_verbosity(lib.logging.WARNING)
        d = lib.distributions
        study = lib.create_study()
        rng = np.random.default_rng(1)
        trials = []
        for _ in range(400):
            if rng.random() < 0.5:
                depth = int(rng.integers(1, 11))
                params, space = (
                    {"model": "tree", "depth": depth},
                    {
                        "model": d.CategoricalDistribution(["tree", "linear"]),
                        "depth": d.IntDistribution(1, 10),
                    },
                )
                value = abs(depth - 7) + 0.1 * rng.random()
            else:
                alpha = float(np.exp(rng.uniform(np.log(1e-4), 0.0)))
                params, space = (
                    {"model": "linear", "alpha": alpha},
                    {
                        "model": d.CategoricalDistribution(["tree", "linear"]),
                        "alpha": d.FloatDistribution(1e-4, 1.0, log=True),
                    },
                )
                value = 3.0 + 0.1 * rng.random()
            trials.append(lib.trial.create_trial(params=params, distributions=space, value=value))
        study.add_trials(trials)
        return _importances(lib, study, "ped_anova", normalize=False)

    assert run(tansaku) == pytest.approx(run(optuna), rel=1e-6)
