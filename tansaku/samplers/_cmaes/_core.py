"""The CMA-ES numerical core: a state as plain arrays, and pure functions that draw and update.

Written in numpy rather than on the ``cmaes`` package: the state must round-trip through JSON
exactly (shared by every worker of a study through system attrs), one generation's update must
be a pure function of the state and that generation's trials (so workers closing the same
generation at once write the same next state), and the margin, learning-rate adaptation and
restart bookkeeping must live in that same state. ``cmaes`` keeps its state in private
attributes and its random generator inside the optimizer, so none of that would hold without
reaching into it; the whole algorithm is a few dozen lines of linear algebra here.

Everything works in the unit box: each param is mapped to ``[0, 1]`` (see ``_space``), so the
default step size is the same fraction of every param's range. Notation and equation numbers
follow Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772); the separable
variant follows Ros & Hansen, "A Simple Modification in CMA-ES Achieving Linear Time and Space
Complexity" (PPSN 2008).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

# Draws before an out-of-box one is clipped into the box.
_MAX_DRAWS = 100
_TWO_PI = math.tau  # as random.gauss has it
# Eigenvalues are floored here so that C^(-1/2) stays finite.
_EIG_FLOOR = 1e-30


@dataclass(frozen=True)
class Constants:
    """The strategy parameters of one run, derived from the dimension and the population size."""

    n: int
    popsize: int
    mu: int
    weights: np.ndarray  # (popsize,), positive then negative, for the ranked solutions
    mu_eff: float
    c_sigma: float
    d_sigma: float
    c_c: float
    c_1: float
    c_mu: float
    chi_n: float  # E||N(0, I)||

    @classmethod
    def of(cls, n: int, popsize: int, separable: bool) -> Constants:
        """The default constants of the tutorial (Table 1), or of sep-CMA when ``separable``."""
        mu = popsize // 2
        raw = math.log((popsize + 1) / 2) - np.log(np.arange(1, popsize + 1))  # (eq. 49)
        positive, negative = raw[:mu], raw[mu:]
        mu_eff = float(positive.sum() ** 2 / (positive**2).sum())
        mu_eff_minus = float(negative.sum() ** 2 / (negative**2).sum()) if negative.size else 0.0
        alpha_cov = 2.0
        c_sigma = (mu_eff + 2) / (n + mu_eff + 5)  # (eq. 55)
        d_sigma = 1 + 2 * max(0.0, math.sqrt((mu_eff - 1) / (n + 1)) - 1) + c_sigma
        c_c = (4 + mu_eff / n) / (n + 4 + 2 * mu_eff / n)  # (eq. 56)
        c_1 = alpha_cov / ((n + 1.3) ** 2 + mu_eff)  # (eq. 57)
        c_mu = min(  # (eq. 58)
            1 - c_1,
            alpha_cov * (mu_eff - 2 + 1 / mu_eff) / ((n + 2) ** 2 + alpha_cov * mu_eff / 2),
        )
        if separable:
            # Sep-CMA learns n numbers instead of n^2, so it may learn them faster (Ros & Hansen).
            c_1 = min(1.0, c_1 * (n + 2) / 3)
            c_mu = min(1 - c_1, c_mu * (n + 2) / 3)
            weights = np.concatenate([positive / positive.sum(), np.zeros(negative.size)])
        else:
            # With one parent (popsize 2 or 3) mu_eff is 1 and the rank-mu update learns
            # nothing (c_mu = 0): eq. 50 and 52 then bound nothing.
            unbounded = c_mu == 0
            alpha_mu_minus = math.inf if unbounded else 1 + c_1 / c_mu  # (eq. 50)
            alpha_mu_eff_minus = 1 + 2 * mu_eff_minus / (mu_eff + 2)  # (eq. 51)
            alpha_posdef_minus = (
                math.inf if unbounded else (1 - c_1 - c_mu) / (n * c_mu)  # (eq. 52)
            )
            negative_scale = min(alpha_mu_minus, alpha_mu_eff_minus, alpha_posdef_minus)
            negative_sum = -negative.sum() if negative.size else 1.0
            weights = np.concatenate(  # (eq. 53)
                [positive / positive.sum(), negative_scale * negative / negative_sum]
            )
        chi_n = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
        return cls(n, popsize, mu, weights, mu_eff, c_sigma, d_sigma, c_c, c_1, c_mu, chi_n)


@dataclass(frozen=True)
class CmaState:
    """One CMA-ES distribution N(mean, sigma^2 * scale C scale) and its evolution paths.

    ``cov`` is (n, n), or (n,) for the separable variant (the diagonal of C). ``scale`` is the
    per-coordinate factor that the margin (``_margin``) raises for discrete params; ones
    otherwise. ``t`` counts the generations of the current run (it corrects the start-up bias
    of p_sigma in h_sigma).
    """

    mean: np.ndarray  # (n,)
    sigma: float
    cov: np.ndarray  # (n, n) or (n,)
    p_sigma: np.ndarray  # (n,)
    p_c: np.ndarray  # (n,)
    scale: np.ndarray  # (n,)
    t: int

    @property
    def separable(self) -> bool:
        return self.cov.ndim == 1

    @classmethod
    def initial(cls, mean: np.ndarray, sigma: float, cov: np.ndarray | None = None) -> CmaState:
        """A fresh run at ``mean`` with step size ``sigma`` and covariance ``cov`` (I)."""
        n = mean.size
        return cls(
            mean=np.array(mean, dtype=float),
            sigma=float(sigma),
            cov=np.eye(n) if cov is None else np.array(cov, dtype=float),
            p_sigma=np.zeros(n),
            p_c=np.zeros(n),
            scale=np.ones(n),
            t=0,
        )


class Eigen:
    """C = B diag(D^2) B^T of one state, computed once per generation and reused by each draw."""

    __slots__ = ("basis", "sqrt_eigenvalues")

    def __init__(self, cov: np.ndarray) -> None:
        if cov.ndim == 1:
            self.basis: np.ndarray | None = None
            self.sqrt_eigenvalues = np.sqrt(np.maximum(cov, _EIG_FLOOR))
            return
        eigenvalues, basis = np.linalg.eigh((cov + cov.T) / 2)
        self.basis = basis
        self.sqrt_eigenvalues = np.sqrt(np.maximum(eigenvalues, _EIG_FLOOR))

    def times_inv_sqrt(self, y: np.ndarray) -> np.ndarray:
        """C^(-1/2) y for each row y of ``y`` (B D^-1 B^T y)."""
        if self.basis is None:
            return y / self.sqrt_eigenvalues
        return ((y @ self.basis) / self.sqrt_eigenvalues) @ self.basis.T

    def condition(self) -> float:
        """The condition number of C."""
        return float((self.sqrt_eigenvalues.max() / self.sqrt_eigenvalues.min()) ** 2)


class Draws:
    """Draws of one generation: x = m + sigma * scale * B D z, with the matrix built once.

    A trial's normal deviates come from its own ``random.Random`` (seeded by the sampler's seed
    and the trial's number), so its point does not depend on which worker draws it or on what
    was drawn before. Drawing one point of ten params costs a few microseconds this way; numpy's
    generators cost tens of microseconds just to seed.
    """

    __slots__ = ("mean", "matrix", "separable")

    def __init__(self, state: CmaState, eigen: Eigen) -> None:
        self.mean = state.mean
        self.separable = eigen.basis is None
        if eigen.basis is None:
            self.matrix = state.sigma * state.scale * eigen.sqrt_eigenvalues  # (n,)
        else:
            factor = (state.sigma * state.scale)[:, None]
            self.matrix = factor * (eigen.basis * eigen.sqrt_eigenvalues)  # (n, n)

    def draw(self, rng: random.Random) -> np.ndarray:
        """One point of N(m, sigma^2 C) inside the unit box (eqs. 38-40), from a fresh ``rng``.

        Draws repeat until one falls inside; after ``_MAX_DRAWS`` (a mean far outside a
        corner) the first draw is clipped into the box instead.
        """
        n = self.mean.size
        deviates: list[float] = []
        first = None
        for attempt in range(_MAX_DRAWS):
            gauss_deviates(rng, deviates, (attempt + 1) * n)
            z = np.array(deviates[attempt * n : (attempt + 1) * n])
            x = self.mean + (self.matrix * z if self.separable else self.matrix @ z)
            coordinates = x.tolist()
            if min(coordinates) >= 0.0 and max(coordinates) <= 1.0:
                return x
            if first is None:
                first = x
        assert first is not None
        return np.clip(first, 0.0, 1.0)


def gauss_deviates(rng: random.Random, deviates: list[float], size: int) -> None:
    """Extend ``deviates`` to ``size`` or ``size + 1`` normal deviates, bit for bit those that
    ``rng.gauss(0.0, 1.0)`` returns from a fresh ``rng``.

    ``gauss`` makes them in pairs (Box-Muller: the cosine one first, then the sine one) and
    returns ``0.0 + z * 1.0``; one Python-level step per pair rather than a call per deviate
    costs a third as much (ten deviates per trial at ten params).
    """
    uniform, log, sqrt, cos, sin = rng.random, math.log, math.sqrt, math.cos, math.sin
    append = deviates.append
    while len(deviates) < size:
        x2pi = uniform() * _TWO_PI
        g2rad = sqrt(-2.0 * log(1.0 - uniform()))
        append(0.0 + cos(x2pi) * g2rad)
        append(0.0 + sin(x2pi) * g2rad)


def proposal(
    state: CmaState, eigen: Eigen, consts: Constants, ranked: np.ndarray
) -> tuple[CmaState, np.ndarray]:
    """One generation's CMA-ES update of ``state`` from its solutions ranked best first.

    Args:
        state: The distribution the solutions were drawn from.
        eigen: The eigendecomposition of ``state.cov``.
        consts: The constants of the run.
        ranked: (popsize, n) the generation's points in the unit box, best first.

    Returns:
        The next state, and the weighted mean step <y>_w (in C coordinates) for the caller.
    """
    y = (ranked - state.mean) / (state.sigma * state.scale)  # (popsize, n)  (eq. 41)
    n_positive = consts.mu
    y_w = consts.weights[:n_positive] @ y[:n_positive]  # (n,)  (eq. 41)
    mean = state.mean + state.sigma * state.scale * y_w  # (eq. 42, c_m = 1)

    c_sigma, c_c, c_1, c_mu = consts.c_sigma, consts.c_c, consts.c_1, consts.c_mu
    p_sigma = (1 - c_sigma) * state.p_sigma + math.sqrt(
        c_sigma * (2 - c_sigma) * consts.mu_eff
    ) * eigen.times_inv_sqrt(y_w)  # (eq. 43)
    norm_p_sigma = math.sqrt(float(p_sigma @ p_sigma))  # np.linalg.norm's sum, less overhead
    sigma = state.sigma * math.exp(
        min(1.0, (c_sigma / consts.d_sigma) * (norm_p_sigma / consts.chi_n - 1))
    )  # (eq. 44); the exponent capped at 1 as in the tutorial's footnote on large steps
    t = state.t + 1
    h_sigma = (
        norm_p_sigma / math.sqrt(1 - (1 - c_sigma) ** (2 * t))
        < (1.4 + 2 / (consts.n + 1)) * consts.chi_n
    )
    p_c = (1 - c_c) * state.p_c + h_sigma * math.sqrt(c_c * (2 - c_c) * consts.mu_eff) * y_w
    delta_h = (1 - h_sigma) * c_c * (2 - c_c)  # (eq. 45, below)

    weights = consts.weights
    if state.separable:
        rank_mu = weights @ (y * y)  # (n,)
        cov = (1 + c_1 * delta_h - c_1 - c_mu * weights.sum()) * state.cov
        cov = cov + c_1 * p_c * p_c + c_mu * rank_mu  # (eq. 47, diagonal)
    else:
        # Active CMA: negative weights are rescaled by n / ||C^-1/2 y||^2 (eq. 46).
        norms = np.sum(eigen.times_inv_sqrt(y) ** 2, axis=1)  # (popsize,)
        circle = np.where(weights >= 0, weights, weights * consts.n / np.maximum(norms, 1e-300))
        rank_mu = (y.T * circle) @ y  # (n, n)
        cov = (1 + c_1 * delta_h - c_1 - c_mu * weights.sum()) * state.cov
        cov = cov + c_1 * (p_c[:, None] * p_c) + c_mu * rank_mu  # (eq. 47)
        cov = (cov + cov.T) / 2
    return CmaState(mean, sigma, cov, p_sigma, p_c, state.scale, t), y_w
