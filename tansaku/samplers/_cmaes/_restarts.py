"""When a CMA-ES run has stagnated, and what the next run looks like (IPOP and BIPOP).

Optuna 5.0 accepts ``restart_strategy`` but ignores it; tansaku restarts. The stop criteria are
those of Hansen's tutorial (arXiv:1604.00772, App. B.3), re-tuned for hyperparameter budgets
(hundreds to a few thousand trials): the tutorial's constants (TolX = 1e-12 sigma0) suit runs of
1e5 evaluations and never fire within such a budget, so a run stuck in a local optimum kept its
whole budget there. Everything is measured in the unit box (each param's range is 1). A run
stops, in this order, when:

- every draw of the generation decoded to the same params (a discrete space has collapsed), or
  all values of the generation are equal (a flat objective);
- TolFun: over the last ``10 + ceil(30 n / popsize)`` generations (the tutorial's length) the
  best values, and every value of this generation, lie within ``TOL_FUN + TOL_FUN_REL * |f|``.
  Relative because objectives come in any unit; 1e-11 of |f| is still below the 1e-8 regret
  that COCO asks on BBOB, whose optimum values are offset by up to ~1e3;
- Stagnation: over twice that many generations, the median of the most recent 30% of the best
  values is no better than the median of the oldest 30% (the tutorial's test, on a window an
  HPO budget can fill). Medians, not minima: on rugged functions (Rastrigin-like, f19, f24) the
  best of a generation scatters, and comparing minima cut runs that were still descending;
- TolX: ``sigma * sqrt(max diag C)`` and ``sigma * max |p_c|`` are below ``TOL_X`` = 3e-6 of the
  range. No param needs resolving finer than ~1e-6 of its range (on BBOB's [-5, 5] that is a
  sphere regret of ~1e-9); at 1e-5 the sphere at d=5 stops at a regret of ~1e-8 and loses its
  last digit, at 3e-6 it stops below 1e-9;
- ConditionCov: the condition number of C exceeds 1e14;
- NoEffectCoord / NoEffectAxis: a step of 0.2 sigma along a coordinate, or of 0.1 sigma along a
  principal axis, no longer changes the mean in floating point.

- IPOP (Auger & Hansen, CEC 2005): each restart multiplies the population by ``inc_popsize``
  (2 when not given, the paper's factor) and starts from a uniformly drawn mean.
- BIPOP (Hansen, GECCO 2009): restarts alternate between a large-population regime (as IPOP)
  and a small one, whose population ``popsize0 * (large / (2 * popsize0)) ** (u^2)`` and step
  size ``sigma0 * 10 ** (-2u)`` (u uniform in [0, 1)) are drawn anew; the small regime runs
  whenever it has used fewer evaluations than the large one.

The random draws of a restart come from a generator seeded by the closing generation's values,
so every worker that closes the same generation decides the same restart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tansaku.samplers._cmaes._core import CmaState, Constants, Eigen

# Stop tolerances (see the module docstring for why these values).
TOL_X = 3e-6  # of each param's range
TOL_FUN = 1e-12  # absolute part of TolFun
TOL_FUN_REL = 1e-11  # part of TolFun relative to the best value
MAX_CONDITION = 1e14


@dataclass(frozen=True)
class RestartState:
    """The bookkeeping of the restarts of one study: which run, its regime and budgets."""

    n_restarts: int = 0
    n_large: int = 0  # large-population runs after the first
    evals_small: int = 0  # evaluations used by small-regime runs (BIPOP)
    evals_large: int = 0  # evaluations used by the first and the large-regime runs
    small: bool = False  # the current run is in BIPOP's small regime
    evals_run: int = 0  # evaluations of the current run
    best_history: tuple[float, ...] = ()  # best value of each recent generation of the run


def history_length(n: int, popsize: int) -> int:
    """Generations over which TolFun looks at the best values (10 + 30 n / popsize)."""
    return 10 + math.ceil(30 * n / popsize)


def stagnation_window(n: int, popsize: int) -> int:
    """Generations over which the stagnation test compares the best values (twice TolFun's)."""
    return 2 * history_length(n, popsize)


def record(restart: RestartState, ranked_values: np.ndarray, n: int) -> RestartState:
    """``restart`` after one more generation of the current run."""
    keep = stagnation_window(n, ranked_values.size)
    history = (*restart.best_history, float(ranked_values[0]))[-keep:]
    return RestartState(
        restart.n_restarts,
        restart.n_large,
        restart.evals_small,
        restart.evals_large,
        restart.small,
        restart.evals_run + ranked_values.size,
        history,
    )


def stagnation(
    state: CmaState,
    eigen: Eigen,
    consts: Constants,
    ranked_values: np.ndarray,
    restart: RestartState,
    same_params: bool,
) -> str | None:
    """The criterion by which the run that produced ``state`` should stop, or None."""
    if same_params:
        return "every point of the generation has the same params"
    if ranked_values[0] == ranked_values[-1]:
        return "flat values"
    window = restart.best_history
    recent = window[-history_length(consts.n, consts.popsize) :]
    if len(window) >= history_length(consts.n, consts.popsize):
        best = min(recent)
        spread = max(max(recent), float(ranked_values[-1])) - best
        if spread <= TOL_FUN + TOL_FUN_REL * abs(best):
            return "TolFun"
    if len(window) >= stagnation_window(consts.n, consts.popsize):
        third = math.ceil(0.3 * len(window))
        if np.median(window[-third:]) >= np.median(window[:third]):
            return "Stagnation"
    variances = state.cov if state.separable else np.diag(state.cov)
    sd = state.sigma * state.scale * np.sqrt(variances)
    if sd.max() < TOL_X and state.sigma * np.abs(state.p_c).max() < TOL_X:
        return "TolX"
    if eigen.condition() > MAX_CONDITION:
        return "ConditionCov"
    coordinate_steps = 0.2 * state.sigma * state.scale * np.sqrt(variances)
    if np.any(state.mean == state.mean + coordinate_steps):
        return "NoEffectCoord"
    if eigen.basis is not None:
        axis = state.t % consts.n
        step = 0.1 * state.sigma * eigen.sqrt_eigenvalues[axis] * eigen.basis[:, axis]
        if np.all(state.mean == state.mean + state.scale * step):
            return "NoEffectAxis"
    return None


def restart_rng(generation: int, ranked_values: np.ndarray) -> np.random.Generator:
    """A generator that every worker closing this generation builds alike."""
    bits = np.ascontiguousarray(ranked_values, dtype=np.float64).view(np.uint64)
    return np.random.default_rng([generation, *(int(b) & 0xFFFFFFFF for b in bits)])


def next_run(
    strategy: str,
    restart: RestartState,
    popsize0: int,
    inc_popsize: int,
    rng: np.random.Generator,
) -> tuple[RestartState, int, float]:
    """The bookkeeping, population size and step-size factor of the run after a restart."""
    if restart.small:
        evals_small, evals_large = restart.evals_small + restart.evals_run, restart.evals_large
    else:
        evals_small, evals_large = restart.evals_small, restart.evals_large + restart.evals_run
    n_large = restart.n_large
    sigma_factor = 1.0
    small = strategy == "bipop" and restart.n_restarts > 0 and evals_small < evals_large
    if small:
        u = float(rng.random())
        large_popsize = popsize0 * inc_popsize**n_large
        popsize = max(2, math.floor(popsize0 * (large_popsize / (2 * popsize0)) ** (u * u)))
        sigma_factor = 10 ** (-2 * u)
    else:
        n_large += 1
        popsize = popsize0 * inc_popsize**n_large
    bookkeeping = RestartState(
        n_restarts=restart.n_restarts + 1,
        n_large=n_large,
        evals_small=evals_small,
        evals_large=evals_large,
        small=small,
    )
    return bookkeeping, popsize, sigma_factor
