"""Studies with a known answer for the importance tests: the params and the objective are
drawn from a seeded generator and added as finished trials, so every run sees the same data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.importance import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
)
from tansaku.trial import create_trial

MIXED_SPACE: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-5.0, 5.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 8),
    "kind": CategoricalDistribution(["a", "b", "c"]),
    "noise": FloatDistribution(0.0, 1.0),
}


def draw(space: dict[str, BaseDistribution], rng: np.random.Generator) -> dict[str, Any]:
    """One point drawn uniformly from ``space`` (log-uniformly for log params)."""
    params: dict[str, Any] = {}
    for name, distribution in space.items():
        if isinstance(distribution, CategoricalDistribution):
            params[name] = distribution.choices[int(rng.integers(len(distribution.choices)))]
        elif isinstance(distribution, IntDistribution):
            params[name] = int(rng.integers(distribution.low, distribution.high + 1))
        else:
            assert isinstance(distribution, FloatDistribution)
            low, high = distribution.low, distribution.high
            if distribution.log:
                params[name] = float(np.exp(rng.uniform(np.log(low), np.log(high))))
            else:
                params[name] = float(rng.uniform(low, high))
    return params


def make_study(
    objective: Callable[[dict[str, Any]], float | list[float]],
    space: dict[str, BaseDistribution],
    n_trials: int,
    seed: int = 0,
    directions: list[str] | None = None,
) -> tansaku.Study:
    """A study of ``n_trials`` COMPLETE trials at random points of ``space``."""
    rng = np.random.default_rng(seed)
    study = tansaku.create_study(directions=directions or ["minimize"])
    trials = []
    for _ in range(n_trials):
        params = draw(space, rng)
        result = objective(params)
        values = result if isinstance(result, list) else [result]
        trials.append(create_trial(params=params, distributions=space, values=values))
    study.add_trials(trials)
    return study


def dominated_by_x(params: dict[str, Any]) -> float:
    """``x`` matters far more than anything else; ``noise`` not at all."""
    kind_offset = {"a": 0.0, "b": 0.3, "c": 0.6}[params["kind"]]
    return (
        float(params["x"] ** 2 + 0.3 * np.log10(params["lr"]) ** 2 / 16 + 0.05 * params["n"])
        + kind_offset
    )


@pytest.fixture
def mixed_study() -> tansaku.Study:
    """300 trials on float, log-float, int and categorical params, dominated by ``x``."""
    return make_study(dominated_by_x, MIXED_SPACE, 300)


EVALUATORS: dict[str, Callable[[], BaseImportanceEvaluator]] = {
    "ped_anova": PedAnovaImportanceEvaluator,
    "fanova": lambda: FanovaImportanceEvaluator(seed=0),
    "mdi": lambda: MeanDecreaseImpurityImportanceEvaluator(seed=0),
}


@pytest.fixture(params=sorted(EVALUATORS))
def evaluator(request: pytest.FixtureRequest) -> BaseImportanceEvaluator:
    """Each evaluator in turn (the forest-based ones seeded)."""
    return EVALUATORS[request.param]()
