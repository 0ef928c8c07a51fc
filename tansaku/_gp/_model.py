"""Gaussian-process regression: the MAP fit of the hyperparameters and the posterior.

``fit_gp`` maximizes the log marginal likelihood plus the log prior of the hyperparameters
(``theta``: log length scales, log kernel scale, log noise variance) with L-BFGS-B and its
analytic gradient (Rasmussen & Williams 2006, eq. 2.30 and 5.9):

    log p(y | theta) = -1/2 y^T K^-1 y - 1/2 log|K| - n/2 log(2 pi)
    d/d theta_j      =  1/2 tr((alpha alpha^T - K^-1) dK/d theta_j),   alpha = K^-1 y

and returns a ``GaussianProcess``, which keeps the Cholesky factor and ``K^-1`` so that the
many posterior evaluations of an acquisition search share one factorization. The next fit
starts from the previous hyperparameters (``warm_start``) and converges in a few steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from tansaku._gp._kernel import (
    cross_gradient,
    matern52,
    matern52_and_d_r2,
    pairwise_sum,
    scaled_sq_dist,
)
from tansaku._gp._prior import DEFAULT_PRIOR, GPPrior

# Bounds of the hyperparameters (outputs standardized, inputs in [0, 1]).
MIN_NOISE = 1e-6
_LOG_LENGTH_BOUNDS = (math.log(1e-2), math.log(1e3))
_LOG_SCALE_BOUNDS = (math.log(1e-2), math.log(1e2))
_LOG_NOISE_BOUNDS = (math.log(MIN_NOISE), math.log(10.0))
# Jitter added to the diagonal, relative to the kernel scale, when a Cholesky factorization
# fails (nearly duplicate rows with a tiny noise): tried in turn.
_JITTERS = (1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
# Variances below this (relative to the kernel scale) are rounding noise.
_MIN_VARIANCE = 1e-12
_MAX_FIT_ITERATIONS = 200
# A warm-started fit stops after this many steps: the data moved by a trial or so, most of the
# way back to the optimum is covered in a few steps, and the next trial's fit goes on from here
# (it halves the cost of a fit at n = 300, where a full one takes about 16 steps).
_MAX_WARM_FIT_ITERATIONS = 8


@dataclass(frozen=True)
class GPParams:
    """The hyperparameters of a GP.

    Attributes:
        length_scales: One length scale per input column, (d,).
        kernel_scale: The prior variance of the latent function.
        noise: The noise variance of the observations.
    """

    length_scales: np.ndarray
    kernel_scale: float
    noise: float

    @property
    def weights(self) -> np.ndarray:
        """The inverse squared length scales, (d,)."""
        return 1.0 / self.length_scales**2


class GaussianProcess:
    """The posterior of a zero-mean GP with the Matern 5/2 kernel given observations.

    Args:
        x: Observed rows, (n, d) (see ``_kernel`` for the encoding).
        y: Observed (standardized) values, (n,).
        categorical: Which columns are categorical, (d,) bool.
        params: The hyperparameters.

    Attributes:
        x, y, categorical, params: As given.
        cholesky: The lower Cholesky factor of ``K + noise I`` (with jitter if needed), (n, n).
        alpha: ``K^-1 y``, (n,).
        k_inv: ``K^-1``, (n, n).
    """

    def __init__(
        self, x: np.ndarray, y: np.ndarray, categorical: np.ndarray, params: GPParams
    ) -> None:
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.categorical = np.asarray(categorical, dtype=bool)
        self.params = params
        r2 = scaled_sq_dist(self.x, self.x, params.weights, self.categorical)
        gram = params.kernel_scale * matern52(r2)
        gram[np.diag_indices_from(gram)] += params.noise
        self.cholesky = _cholesky(gram, params.kernel_scale)
        self.k_inv = _inverse(self.cholesky)
        self.alpha = self.k_inv @ self.y

    def kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The kernel matrix between rows a (n_a, d) and b (n_b, d)."""
        r2 = scaled_sq_dist(a, b, self.params.weights, self.categorical)
        return self.params.kernel_scale * matern52(r2)

    def posterior(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The posterior mean and variance of the latent function at rows (k, d): (k,), (k,)."""
        cross = self.kernel(np.atleast_2d(queries), self.x)  # (k, n)
        mean = cross @ self.alpha
        var = self.params.kernel_scale - ((cross @ self.k_inv) * cross).sum(1)
        return mean, np.maximum(var, _MIN_VARIANCE * self.params.kernel_scale)

    def joint_posterior(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The posterior mean (k,) and covariance (k, k) of the latent function at rows (k, d)
        jointly (e.g. how correlated the values at two candidate optima are), with the
        diagonal floored as ``posterior`` floors the variance.

        ``cov = K(q, q) - k(q, X) K^-1 k(X, q)`` (Rasmussen & Williams 2006, eq. 2.24).
        """
        queries = np.atleast_2d(queries)
        cross = self.kernel(queries, self.x)  # (k, n)
        mean = cross @ self.alpha
        cov = self.kernel(queries, queries) - cross @ self.k_inv @ cross.T
        cov = 0.5 * (cov + cov.T)  # rounding leaves it slightly asymmetric
        diagonal = np.diag_indices_from(cov)
        cov[diagonal] = np.maximum(cov[diagonal], _MIN_VARIANCE * self.params.kernel_scale)
        return mean, cov

    def posterior_with_gradient(
        self, queries: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The posterior mean (k,) and variance (k,) at rows (k, d), and their gradients with
        respect to the rows, (k, d) each (0 for categorical columns, and for the variance
        where it is clipped at its floor)."""
        queries = np.atleast_2d(queries)
        weights, scale = self.params.weights, self.params.kernel_scale
        r2 = scaled_sq_dist(queries, self.x, weights, self.categorical)
        unit, d_unit = matern52_and_d_r2(r2)
        cross = scale * unit  # (k, n)
        d_cross = scale * d_unit  # d cross / d r^2, (k, n)
        solved = cross @ self.k_inv  # K^-1 k(x, q) for each query, (k, n)
        mean = cross @ self.alpha
        var = scale - (solved * cross).sum(1)
        d_mean = cross_gradient(d_cross * self.alpha, queries, self.x, weights, self.categorical)
        d_var = -2.0 * cross_gradient(d_cross * solved, queries, self.x, weights, self.categorical)
        floor = _MIN_VARIANCE * scale
        d_var[var < floor] = 0.0
        return mean, np.maximum(var, floor), d_mean, d_var

    def condition_on(self, x: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """This GP with r more observations (r, d), (r,) and the same hyperparameters (e.g.
        pseudo-observations at the points of running trials).

        The factor and the inverse grow by blocks (the Schur complement of the new rows) in
        O(n^2 r), instead of a new O(n^3) factorization.
        """
        x, y = np.atleast_2d(np.asarray(x, dtype=float)), np.asarray(y, dtype=float)
        if len(x) == 0:
            return self
        n, r = len(self.x), len(x)
        cross = self.kernel(self.x, x)  # (n, r)
        own = self.kernel(x, x)
        own[np.diag_indices_from(own)] += self.params.noise
        solved = self.k_inv @ cross  # (n, r)
        schur_chol = _cholesky(own - cross.T @ solved, self.params.kernel_scale)
        schur_inv = _inverse(schur_chol)
        upper_right = -solved @ schur_inv  # (n, r)
        grown = object.__new__(GaussianProcess)
        grown.x, grown.y = np.vstack([self.x, x]), np.concatenate([self.y, y])
        grown.categorical, grown.params = self.categorical, self.params
        grown.k_inv = np.block(
            [[self.k_inv - upper_right @ solved.T, upper_right], [upper_right.T, schur_inv]]
        )
        lower_left = scipy.linalg.solve_triangular(self.cholesky, cross, lower=True).T
        grown.cholesky = np.block([[self.cholesky, np.zeros((n, r))], [lower_left, schur_chol]])
        grown.alpha = grown.k_inv @ grown.y
        return grown


def fit_gp(
    x: np.ndarray,
    y: np.ndarray,
    categorical: np.ndarray,
    *,
    prior: GPPrior | None = None,
    deterministic: bool = False,
    warm_start: GPParams | None = None,
) -> GaussianProcess:
    """Fit the hyperparameters by MAP and return the posterior.

    Args:
        x: Observed rows, (n, d).
        y: Observed values, standardized (mean 0, variance 1), (n,).
        categorical: Which columns are categorical, (d,) bool.
        prior: The priors (default: ``DEFAULT_PRIOR`` for d columns).
        deterministic: Fix the noise variance at its minimum (noise-free observations).
        warm_start: Hyperparameters to start from (e.g. the previous fit's); ignored when
            their dimension differs.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    categorical = np.asarray(categorical, dtype=bool)
    d = x.shape[1]
    prior = prior or DEFAULT_PRIOR(d)
    theta0 = _start(prior, d, deterministic, warm_start)
    bounds = [_LOG_LENGTH_BOUNDS] * d + [_LOG_SCALE_BOUNDS]
    if not deterministic:
        bounds.append(_LOG_NOISE_BOUNDS)
    theta0 = np.clip(theta0, [b[0] for b in bounds], [b[1] for b in bounds])

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = log_posterior(theta, x, y, categorical, prior, deterministic)
        return -value, -grad

    warm = warm_start is not None and len(warm_start.length_scales) == d
    max_iterations = _MAX_WARM_FIT_ITERATIONS if warm else _MAX_FIT_ITERATIONS
    theta = theta0
    try:
        result = scipy.optimize.minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            # The log posterior is O(n) in size: a relative tolerance of 1e-7 is plenty for
            # hyperparameters, and stops a warm-started fit after a few steps.
            options={"maxiter": max_iterations, "ftol": 1e-7},
        )
        if np.all(np.isfinite(result.x)) and np.isfinite(result.fun):
            theta = result.x
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        pass  # Keep the starting point: a usable model beats none.
    return GaussianProcess(x, y, categorical, unpack(theta, d, deterministic))


def unpack(theta: np.ndarray, d: int, deterministic: bool) -> GPParams:
    """The hyperparameters of a vector ``theta`` of logs."""
    return GPParams(
        length_scales=np.exp(theta[:d]),
        kernel_scale=float(np.exp(theta[d])),
        noise=MIN_NOISE if deterministic else float(np.exp(theta[d + 1])),
    )


def log_posterior(
    theta: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    categorical: np.ndarray,
    prior: GPPrior,
    deterministic: bool,
) -> tuple[float, np.ndarray]:
    """The log marginal likelihood plus the log prior at ``theta`` and its gradient."""
    n, d = x.shape
    params = unpack(theta, d, deterministic)
    weights, scale = params.weights, params.kernel_scale
    r2 = scaled_sq_dist(x, x, weights, categorical)
    unit, d_unit = matern52_and_d_r2(r2)
    gram = scale * unit
    gram[np.diag_indices_from(gram)] += params.noise
    chol = _cholesky(gram, scale)
    k_inv = _inverse(chol)
    alpha = k_inv @ y
    value = -0.5 * y @ alpha - np.log(np.diag(chol)).sum() - 0.5 * n * math.log(2 * math.pi)
    inner = np.outer(alpha, alpha) - k_inv  # (n, n)
    grad = np.empty_like(theta)
    # dK/d log l_d = scale * matern' * (-2 w_d D_d)  (D_d the column's distance term)
    coefficients = inner * (scale * d_unit)
    grad[:d] = -weights * pairwise_sum(coefficients, x, categorical)
    grad[d] = 0.5 * (inner * gram).sum() - 0.5 * params.noise * np.trace(inner)
    prior_value, prior_grad = prior.length_scale(theta[:d])
    scale_value, scale_grad = prior.kernel_scale(theta[d : d + 1])
    grad[:d] += prior_grad
    grad[d] += scale_grad[0]
    value += prior_value + scale_value
    if not deterministic:
        grad[d + 1] = 0.5 * params.noise * np.trace(inner)
        noise_value, noise_grad = prior.noise(theta[d + 1 :])
        grad[d + 1] += noise_grad[0]
        value += noise_value
    return float(value), grad


def _start(prior: GPPrior, d: int, deterministic: bool, warm_start: GPParams | None) -> np.ndarray:
    if warm_start is not None and len(warm_start.length_scales) == d:
        theta = [*np.log(warm_start.length_scales), math.log(warm_start.kernel_scale)]
        noise = warm_start.noise
    else:
        theta = [prior.length_scale.mode()] * d + [prior.kernel_scale.mode()]
        noise = math.exp(prior.noise.mode())
    if not deterministic:
        theta.append(math.log(max(noise, MIN_NOISE)))
    return np.array(theta, dtype=float)


def _cholesky(gram: np.ndarray, scale: float) -> np.ndarray:
    """The lower Cholesky factor of ``gram``, adding jitter to the diagonal until it works."""
    try:
        return scipy.linalg.cholesky(gram, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        pass
    for jitter in _JITTERS:
        jittered = gram + jitter * scale * np.eye(len(gram))
        try:
            return scipy.linalg.cholesky(jittered, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            continue
    raise np.linalg.LinAlgError("the kernel matrix is not positive definite even with jitter")


def _inverse(chol: np.ndarray) -> np.ndarray:
    """``K^-1`` from the lower Cholesky factor of K (LAPACK potri), symmetric, (n, n)."""
    inverse, info = scipy.linalg.lapack.dpotri(chol, lower=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"potri failed with info={info}")
    # potri fills the lower triangle and leaves the upper one as in ``chol``: zeros.
    inverse += inverse.T
    inverse[np.diag_indices_from(inverse)] *= 0.5
    return inverse
