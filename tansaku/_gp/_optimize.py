"""Maximize an acquisition function over the GP's input cube.

1. Score scrambled Sobol points (scipy.stats.qmc) and the best observed rows.
2. From the best few, a local search that alternates, until no step improves:
   - L-BFGS-B over the continuous columns, all starts at once (their objectives are
     independent, so one problem over the stacked columns has a block-diagonal gradient);
   - for each gridded column, every grid point (an exhaustive line search along it);
   - for each categorical column, every choice.
   Gridded and categorical values are never rounded from a continuous optimum (as in Optuna
   5.0's mixed search), except for grids longer than ``_space.MAX_GRID_POINTS``.
3. Return the best row seen.

Every evaluation is vectorized over the candidates and starts; the loops run over columns and
rounds only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.optimize
from scipy.stats import qmc

from tansaku._gp._space import GPSpace

Values = Callable[[np.ndarray], np.ndarray]
ValuesAndGradients = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

N_CANDIDATES = 2048
N_LOCAL_STARTS = 10
_MAX_ROUNDS = 10
_MAX_LBFGS_ITERATIONS = 100
_TOLERANCE = 1e-8


def maximize(
    values: Values,
    with_gradient: ValuesAndGradients,
    space: GPSpace,
    rng: np.random.Generator,
    *,
    observed: np.ndarray | None = None,
    n_candidates: int = N_CANDIDATES,
    n_local_starts: int = N_LOCAL_STARTS,
) -> np.ndarray:
    """The row (d,) of the highest acquisition value found.

    Args:
        values: Acquisition values of rows (k, d), (k,).
        with_gradient: The values and their gradients with respect to the rows, (k, d).
        space: The columns' kinds, grids and choices.
        rng: Seeds the Sobol scrambling.
        observed: Rows of observed points worth starting from (e.g. the best ones), (p, d).
        n_candidates: Sobol points to score (rounded to a power of two).
        n_local_starts: Local searches to run from the best candidates.
    """
    d = space.n_columns
    m = max(int(np.ceil(np.log2(max(n_candidates, 2)))), 1)
    sobol = qmc.Sobol(d, scramble=True, seed=rng).random_base2(m)
    candidates = space.snap(sobol)
    if observed is not None and len(observed):
        candidates = np.vstack([candidates, observed])
    scores = _finite(values(candidates))
    n_starts = min(n_local_starts, len(candidates))
    starts = np.argsort(-scores, kind="stable")[:n_starts]
    rows, best = local_search(values, with_gradient, space, candidates[starts], scores[starts])
    winner = int(np.argmax(best))
    return rows[winner]


def local_search(
    values: Values,
    with_gradient: ValuesAndGradients,
    space: GPSpace,
    rows: np.ndarray,
    scores: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Improve each start (k, d) by coordinate-wise mixed search; return rows and scores."""
    rows, scores = rows.copy(), scores.copy()
    for _ in range(_MAX_ROUNDS):
        before = scores.copy()
        if space.continuous.any():
            rows, scores = _continuous_step(with_gradient, space.continuous, rows, scores)
        for column, grid in space.grids:
            rows, scores = _exhaustive_step(values, column, grid, rows, scores)
        for column, n_choices in space.n_choices:
            choices = np.arange(n_choices, dtype=float)
            rows, scores = _exhaustive_step(values, column, choices, rows, scores)
        if not np.any(scores > before + _TOLERANCE * np.maximum(1.0, np.abs(before))):
            break
        if not space.grids and not space.n_choices:
            break  # L-BFGS-B alone has converged already.
    return rows, scores


def _continuous_step(
    with_gradient: ValuesAndGradients,
    continuous: np.ndarray,
    rows: np.ndarray,
    scores: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """L-BFGS-B over the continuous columns of every row at once, in [0, 1]."""
    k, columns = len(rows), np.flatnonzero(continuous)

    def negative(flat: np.ndarray) -> tuple[float, np.ndarray]:
        trial = rows.copy()
        trial[:, columns] = flat.reshape(k, len(columns))
        value, grad = with_gradient(trial)
        # A degenerate point must not stop the search: a very low value, no slope.
        value = np.nan_to_num(value, nan=-1e300, neginf=-1e300)
        grad = np.nan_to_num(grad[:, columns], nan=0.0, posinf=0.0, neginf=0.0)
        return -float(value.sum()), -grad.ravel()

    x0 = rows[:, columns].ravel()
    result = scipy.optimize.minimize(
        negative,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * len(x0),
        options={"maxiter": _MAX_LBFGS_ITERATIONS},
    )
    moved = rows.copy()
    moved[:, columns] = np.clip(result.x, 0.0, 1.0).reshape(k, len(columns))
    new_scores, _ = with_gradient(moved)
    new_scores = _finite(new_scores)
    better = new_scores > scores
    rows[better], scores[better] = moved[better], new_scores[better]
    return rows, scores


def _exhaustive_step(
    values: Values, column: int, options: np.ndarray, rows: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Try every value of ``options`` in ``column`` of every row; keep the best per row."""
    k, n_options = len(rows), len(options)
    trial = np.repeat(rows, n_options, axis=0)  # (k * n_options, d), row-major by start
    trial[:, column] = np.tile(options, k)
    option_scores = _finite(values(trial)).reshape(k, n_options)
    best = np.argmax(option_scores, axis=1)
    best_scores = option_scores[np.arange(k), best]
    better = best_scores > scores
    rows[better, column] = options[best[better]]
    scores[better] = best_scores[better]
    return rows, scores


def _finite(values: np.ndarray) -> np.ndarray:
    """NaN (a degenerate posterior) counts as the worst possible value."""
    return np.where(np.isnan(values), -np.inf, values)
