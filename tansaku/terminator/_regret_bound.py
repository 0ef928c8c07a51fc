"""The regret bound of GP-UCB: how far the best trial may still be from the optimum.

With probability at least 1 - delta, a GP model's true function lies between its lower and
upper confidence bounds ``mu -+ sqrt(beta) sigma`` everywhere (Srinivas et al. 2010, "Gaussian
process optimization in the bandit setting", Theorem 1, with beta scaled down by 5 as in their
experiments). For a loss, the regret of the best trial is then at most

    min over the trials' rows of UCB  -  min over the whole space of LCB

(Makarova et al. 2022, "Automatic termination for hyperparameter optimization", eq. 6). Both
minima are taken in the GP's standardized units; callers scale the bound back.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tansaku._gp import GaussianProcess, GPSpace, maximize
from tansaku.search_space import intersection_search_space
from tansaku.terminator._trials import losses_of

if TYPE_CHECKING:
    from tansaku._internal.study_direction import StudyDirection
    from tansaku.trial import FrozenTrial

# Candidates scored before the local search for the lowest LCB; the default search's 2048
# would double the cost of a bound for a minimum that moves by less than the model's noise.
_N_CANDIDATES = 1024
_N_LOCAL_STARTS = 5


def beta(n_params: int, n_trials: int, delta: float) -> float:
    """The confidence parameter of GP-UCB for ``n_trials`` points in ``n_params`` dimensions,
    ``2 log(d t^2 pi^2 / (6 delta)) / 5``."""
    return 2.0 * math.log(n_params * n_trials**2 * math.pi**2 / (6.0 * delta)) / 5.0


def standardized_regret_bound(
    gp: GaussianProcess,
    space: GPSpace,
    rows: np.ndarray,
    rng: np.random.Generator,
    delta: float,
) -> float:
    """The regret bound (>= 0) of the best of ``rows`` (n, d) under ``gp``, a GP of losses."""
    root_beta = math.sqrt(beta(space.n_columns, len(rows), delta))
    mean, var = gp.posterior(rows)
    best_upper = float(np.min(mean + root_beta * np.sqrt(var)))

    def negative_lcb(queries: np.ndarray) -> np.ndarray:
        m, v = gp.posterior(queries)
        return root_beta * np.sqrt(v) - m

    def negative_lcb_with_gradient(queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m, v, d_m, d_v = gp.posterior_with_gradient(queries)
        sigma = np.sqrt(v)
        grad = root_beta * d_v / (2.0 * sigma[:, None]) - d_m
        return root_beta * sigma - m, grad

    lowest = maximize(
        negative_lcb,
        negative_lcb_with_gradient,
        space,
        rng,
        observed=rows,
        n_candidates=_N_CANDIDATES,
        n_local_starts=_N_LOCAL_STARTS,
    )
    lowest_lower = -float(negative_lcb(lowest[None, :])[0])
    # The trials' own rows are candidates of the search, so the bound is never negative; the
    # clip only removes rounding.
    return max(best_upper - min(lowest_lower, float(np.min(mean - root_beta * np.sqrt(var)))), 0.0)


def gp_inputs(
    complete: list[FrozenTrial], direction: StudyDirection
) -> tuple[GPSpace, np.ndarray, np.ndarray]:
    """The GP's view of completed trials: the space of the params they all share, their rows
    (n, d) in it and their losses (n,). The space has no column when they share no param."""
    space = GPSpace(intersection_search_space(complete))
    rows = space.encode([trial.params for trial in complete])
    return space, rows, losses_of(complete, direction)
