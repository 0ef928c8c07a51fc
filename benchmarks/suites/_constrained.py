"""Small single-objective problems with inequality constraints, from the constrained-BO literature.

Each is minimized over a box subject to ``c_k(x) <= 0`` for every constraint; its score is the
log10 regret of the best feasible value found (floored at ``REGRET_FLOOR``), or None (stored as
JSON null) when no trial was feasible; the moo suite ranks such a run last (as +inf).

- ``gardner``: Gardner, Kusner, Xu, Weinberger and Cunningham, "Bayesian Optimization with
  Inequality Constraints", ICML 2014, the 2-D simulation: ``f = cos(2 x1) cos(x2) + sin(x1)``
  subject to ``cos(x1) cos(x2) - sin(x1) sin(x2) <= 0.5`` on [0, 6]^2. Minimum -2 at
  (3 pi / 2, 0), on the box's edge.
- ``gramacy``: Gramacy, Gray, Le Digabel, Lee, Ranjan, Wells and Wild, "Modeling an Augmented
  Lagrangian for Blackbox Constrained Optimization", Technometrics 2016, the toy problem:
  ``f = x1 + x2`` subject to ``1.5 - x1 - 2 x2 - 0.5 sin(2 pi (x1^2 - 2 x2)) <= 0`` and
  ``x1^2 + x2^2 - 1.5 <= 0`` on [0, 1]^2; both constraints shape the minimum (about 0.5998 at
  (0.1951, 0.4047)), which lies on the first one's boundary.
- ``hartmann6``: the 6-D Hartmann function on [0, 1]^6 subject to ``sum(x) - 3 <= 0``, as in
  BoTorch's closed-loop constrained tutorial (Balandat et al., "BoTorch", NeurIPS 2020). The
  constraint cuts away half of the box but not the minimum (-3.32237; sum(x*) = 2.07).

The minima were computed by multi-start SLSQP (scipy) to about 1e-10; regrets under
``REGRET_FLOOR`` count as solved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

REGRET_FLOOR = 1e-8
METRIC = "log10 regret"


@dataclass(frozen=True)
class Problem:
    low: tuple[float, ...]
    high: tuple[float, ...]
    objective: Callable[[np.ndarray], float]
    constraints: Callable[[np.ndarray], list[float]]
    minimum: float


def _gardner(x: np.ndarray) -> float:
    return float(math.cos(2 * x[0]) * math.cos(x[1]) + math.sin(x[0]))


def _gardner_constraints(x: np.ndarray) -> list[float]:
    return [math.cos(x[0]) * math.cos(x[1]) - math.sin(x[0]) * math.sin(x[1]) - 0.5]


def _gramacy(x: np.ndarray) -> float:
    return float(x[0] + x[1])


def _gramacy_constraints(x: np.ndarray) -> list[float]:
    wave = 0.5 * math.sin(2 * math.pi * (x[0] ** 2 - 2 * x[1]))
    return [1.5 - x[0] - 2 * x[1] - wave, x[0] ** 2 + x[1] ** 2 - 1.5]


_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_HARTMANN_A = np.array(
    [
        [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
    ]
)
_HARTMANN_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def _hartmann6(x: np.ndarray) -> float:
    inner = np.sum(_HARTMANN_A * (x - _HARTMANN_P) ** 2, axis=1)
    return float(-np.sum(_HARTMANN_ALPHA * np.exp(-inner)))


def _hartmann6_constraints(x: np.ndarray) -> list[float]:
    return [float(np.sum(x)) - 3.0]


PROBLEMS: dict[str, Problem] = {
    "gardner": Problem((0.0, 0.0), (6.0, 6.0), _gardner, _gardner_constraints, -2.0),
    "gramacy": Problem((0.0, 0.0), (1.0, 1.0), _gramacy, _gramacy_constraints, 0.5997880520),
    "hartmann6": Problem(
        (0.0,) * 6, (1.0,) * 6, _hartmann6, _hartmann6_constraints, -3.3223680114
    ),
}


def log_regret(value: float | None, minimum: float) -> float | None:
    """log10 of ``value - minimum`` floored at ``REGRET_FLOOR``; None for no feasible value."""
    if value is None:
        return None
    return math.log10(max(value - minimum, REGRET_FLOOR))


def run(impl: Any, kind: str, name: str, seeds: list[int], budgets: list[int]) -> dict[str, Any]:
    """One study per seed to the largest budget; the score at each budget, per seed."""
    problem = PROBLEMS[name]
    box = [(f"x{i}", low, high) for i, (low, high) in enumerate(zip(problem.low, problem.high))]
    results = []
    for seed in seeds:
        sampler = impl.sampler(kind, seed=seed, constraints_func=stored_constraints)
        study = impl.create_study(sampler=sampler, direction="minimize")
        best: float | None = None
        at_budget = {}
        for n in range(1, max(budgets) + 1):
            trial = study.ask()
            x = np.array([trial.suggest_float(name, low, high) for name, low, high in box])
            value, constraints = problem.objective(x), problem.constraints(x)
            trial.set_user_attr("constraints", constraints)
            study.tell(trial, value)
            if all(c <= 0.0 for c in constraints) and (best is None or value < best):
                best = value
            if n in budgets:
                at_budget[str(n)] = log_regret(best, problem.minimum)
        results.append({"seed": seed, "value": at_budget})
    return {"metric": METRIC, "results": results}


def stored_constraints(trial: Any) -> list[float]:
    """The constraint values the trial stored (<= 0: satisfied)."""
    return list(trial.user_attrs["constraints"])
