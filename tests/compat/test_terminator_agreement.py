"""Optuna's and tansaku's terminators on the same trials: the same stop for the evaluators
without a model, the same trend for the GP ones (each fits its own GP, so values differ)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import tansaku

# A plateauing history, fixed: a seeded random search of a bowl in 2-D whose best value
# improves early and then stalls. Both libraries get exactly these trials.
_N_TRIALS = 40
_POINTS = np.random.default_rng(0).uniform(-3.0, 3.0, size=(_N_TRIALS, 2))
_VALUES = (_POINTS[:, 0] - 0.5) ** 2 + (_POINTS[:, 1] + 0.5) ** 2
# Cross-validation scores around each value, as report_cross_validation_scores stores them.
_SCORES = [[v - 0.3, v - 0.1, v + 0.1, v + 0.3] for v in _VALUES.tolist()]


@pytest.fixture(autouse=True)
def _quiet(optuna: ModuleType) -> Iterator[None]:
    """Both libraries warn that the terminator is experimental (Optuna also that it is
    deprecated); that is not what is compared here. Optuna's package loads it on import only."""
    importlib.import_module("optuna.terminator")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        yield


def _study(library: ModuleType, n: int, direction: str = "minimize") -> Any:
    study = library.create_study(direction=direction)
    distribution = library.distributions.FloatDistribution(-3.0, 3.0)
    sign = 1.0 if direction == "minimize" else -1.0
    for (x, y), value, scores in zip(_POINTS[:n], _VALUES[:n], _SCORES[:n]):
        study.add_trial(
            library.trial.create_trial(
                params={"x": float(x), "y": float(y)},
                distributions={"x": distribution, "y": distribution},
                value=sign * float(value),
                system_attrs={"terminator:cv_scores": [sign * s for s in scores]},
            )
        )
    return study


def _first_stop(library: ModuleType, make_terminator: Any, direction: str) -> int | None:
    """The number of completed trials at which the terminator first says stop."""
    terminator = make_terminator(library.terminator)
    for n in range(1, _N_TRIALS + 1):
        if terminator.should_terminate(_study(library, n, direction)):
            return n
    return None


NON_GP_TERMINATORS = {
    "stagnation": lambda t: t.Terminator(t.BestValueStagnationEvaluator(15), min_n_trials=5),
    "stagnation_static": lambda t: t.Terminator(
        t.BestValueStagnationEvaluator(18), t.StaticErrorEvaluator(3), min_n_trials=5
    ),
    "stagnation_cross_validation": lambda t: t.Terminator(
        t.BestValueStagnationEvaluator(15), t.CrossValidationErrorEvaluator(), min_n_trials=5
    ),
    "stagnation_median": lambda t: _median_of_stagnation(t),
}


def _median_of_stagnation(t: ModuleType) -> Any:
    stagnation = t.BestValueStagnationEvaluator(15)
    median = t.MedianErrorEvaluator(stagnation, warm_up_trials=3, n_initial_trials=6)
    return t.Terminator(stagnation, median, min_n_trials=5)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("name", list(NON_GP_TERMINATORS))
def test_terminators_without_a_model_stop_at_the_same_trial(
    optuna: ModuleType, name: str, direction: str
) -> None:
    make = NON_GP_TERMINATORS[name]
    theirs = _first_stop(optuna, make, direction)
    ours = _first_stop(tansaku, make, direction)
    # The best value improves at trial 12 and then stalls: each stops after that.
    assert theirs is not None and theirs > 13
    assert ours == theirs


def test_the_error_evaluators_agree_on_every_prefix(optuna: ModuleType) -> None:
    for n in (1, 5, 20, _N_TRIALS):
        theirs = optuna.terminator.CrossValidationErrorEvaluator().evaluate(
            _study(optuna, n).trials, optuna.study.StudyDirection.MINIMIZE
        )
        ours = tansaku.terminator.CrossValidationErrorEvaluator().evaluate(
            _study(tansaku, n).trials, tansaku.study.StudyDirection.MINIMIZE
        )
        assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("evaluator", ["RegretBoundEvaluator", "EMMREvaluator"])
def test_gp_evaluators_fall_alike_as_the_history_plateaus(
    optuna: ModuleType, evaluator: str
) -> None:
    """Each library's value falls by a large factor from the early trials to the plateau, and
    the two stay within two orders of magnitude of each other."""
    checkpoints = (10, _N_TRIALS)
    values = {}
    for library in (optuna, tansaku):
        make = getattr(library.terminator, evaluator)
        direction = library.study.StudyDirection.MINIMIZE
        values[library.__name__] = [
            make(seed=0).evaluate(_study(library, n).trials, direction) for n in checkpoints
        ]
    for series in values.values():
        assert series[-1] < series[0] / 5
    ratios = np.array(values["tansaku"]) / np.array(values["optuna"])
    assert np.all((ratios > 1e-2) & (ratios < 1e2)), values
