"""Acquisition functions on posterior means and variances, in log space, with gradients.

Every acquisition here has the shape of ``_ehvi.log_ehvi``: it takes the posterior means and
variances of the models it reads at k points, (k, m) each, and returns the log acquisition
value (k,) and its gradients with respect to those means and variances, (k, m) each. The
optimizer (``_optimize``) chains them with the models' gradients with respect to the points,
so any such function can be optimized; several are combined by adding their logs
(``combine``): e.g. constrained log-EI = log EI of the objective + the log probabilities that
each constraint is <= 0 (Gardner et al. 2014), and constrained log-EHVI alike.

Losses are minimized: the expected improvement below ``best`` is

    EI = sigma h(z),   z = (best - mu) / sigma,   h(z) = phi(z) + z Phi(z),

and ``log h`` is computed so that it stays accurate far in the lower tail, where ``h``
underflows (LogEI, Ament et al., NeurIPS 2023): for z > -1 directly; below, as
``log phi(z) + log1p(z sqrt(pi/2) erfcx(-z / sqrt(2)))`` (erfcx keeps ``Phi/phi`` finite);
below -100, by the asymptotic series ``h(z) ~ phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - ...)``
(truncated after a term below 1e-13), where the log1p form would lose digits to cancellation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import erfcx, log_ndtr

from tansaku._gp._model import GaussianProcess

# log_acquisition(mean (k, m), var (k, m)) -> (value (k,), d value/d mean, d value/d var)
LogAcquisition = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_ASYMPTOTIC_BELOW = -100.0


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))``, accurate for every finite z."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _LOG_SQRT_2PI) + zu * np.exp(log_ndtr(zu)))
    middle = ~upper & (z >= _ASYMPTOTIC_BELOW)
    zm = z[middle]
    out[middle] = (
        -0.5 * zm * zm - _LOG_SQRT_2PI + np.log1p(zm * _SQRT_HALF_PI * erfcx(-zm / math.sqrt(2.0)))
    )
    tail = z < _ASYMPTOTIC_BELOW
    zt = z[tail]
    inv2 = 1.0 / (zt * zt)
    series = 1.0 - 3.0 * inv2 + 15.0 * inv2**2 - 105.0 * inv2**3 + 945.0 * inv2**4
    out[tail] = -0.5 * zt * zt - _LOG_SQRT_2PI + np.log(inv2) + np.log(series)
    return out


def d_log_h(z: np.ndarray, log_h_z: np.ndarray) -> np.ndarray:
    """``d log h / dz = Phi(z) / h(z)`` (h' = Phi), from ``log_h_z = log_h(z)``.

    Below z = -1 it is ``R / (1 + z R)`` with ``R = Phi / phi``, computed from erfcx, and
    in the far tail from the same asymptotic series as ``log_h``, so it stays accurate where
    ``log Phi`` and ``log h`` are both huge and their difference would lose every digit.
    """
    z = np.asarray(z, dtype=float)
    out = np.exp(log_ndtr(z) - log_h_z)
    middle = (z <= -1.0) & (z >= _ASYMPTOTIC_BELOW)
    zm = z[middle]
    ratio = _SQRT_HALF_PI * erfcx(-zm / math.sqrt(2.0))
    out[middle] = ratio / (1.0 + zm * ratio)
    tail = z < _ASYMPTOTIC_BELOW
    zt = z[tail]
    inv2 = 1.0 / (zt * zt)
    ratio_series = 1.0 - inv2 + 3.0 * inv2**2 - 15.0 * inv2**3 + 105.0 * inv2**4
    h_series = 1.0 - 3.0 * inv2 + 15.0 * inv2**2 - 105.0 * inv2**3 + 945.0 * inv2**4
    out[tail] = -zt * ratio_series / h_series
    return out


def log_ei(
    mean: np.ndarray, var: np.ndarray, best: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log expected improvement below ``best`` of a loss with posterior (mean, var), (k, 1).

    Returns:
        The value (k,) and its gradients with respect to mean and var, (k, 1) each.
    """
    sigma = np.sqrt(var[:, 0])
    z = (best - mean[:, 0]) / sigma
    value_h = log_h(z)
    slope = d_log_h(z, value_h)
    d_mean = -slope / sigma
    # d/d sigma of log(sigma h(z)) = (1 - z h'/h) / sigma; d sigma / d var = 1 / (2 sigma).
    d_var = (1.0 - z * slope) / (2.0 * var[:, 0])
    return np.log(sigma) + value_h, d_mean[:, None], d_var[:, None]


def log_pof(
    mean: np.ndarray, var: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log probability that every one of m independent constraints is <= its threshold.

    Args:
        mean: Posterior means of the constraints, (k, m).
        var: Posterior variances, (k, m).
        thresholds: Feasible when the constraint is <= this (0 for raw values; the
            standardized image of 0 for standardized ones), (m,).

    Returns:
        The summed log probabilities (k,) and the gradients with respect to mean and var,
        (k, m) each.
    """
    sigma = np.sqrt(var)
    z = (thresholds - mean) / sigma
    log_cdf = log_ndtr(z)
    # d log Phi(z) / dz = phi(z) / Phi(z), computed in log space for the lower tail.
    ratio = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - log_cdf)
    d_mean = -ratio / sigma
    d_var = -ratio * z / (2.0 * var)
    return log_cdf.sum(1), d_mean, d_var


def combine(
    parts: Sequence[tuple[LogAcquisition, slice]],
) -> LogAcquisition:
    """Add log acquisitions that each read some of the models' columns (a slice of m)."""

    def combined(mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        value = np.zeros(len(mean))
        d_mean, d_var = np.zeros_like(mean), np.zeros_like(var)
        for function, columns in parts:
            v, dm, dv = function(mean[:, columns], var[:, columns])
            value += v
            d_mean[:, columns] += dm
            d_var[:, columns] += dv
        return value, d_mean, d_var

    return combined


class ModelAcquisition:
    """A log acquisition over the posteriors of several GPs, as a function of input rows.

    Args:
        models: The GPs whose posterior means and variances the acquisition reads, in the
            order of its columns (e.g. the objectives, then the constraints).
        log_acquisition: ``(mean (k, m), var (k, m)) -> (value, d value/d mean, d value/d var)``.
    """

    def __init__(self, models: Sequence[GaussianProcess], log_acquisition: LogAcquisition) -> None:
        self.models = tuple(models)
        self.log_acquisition = log_acquisition

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """The acquisition values at rows (k, d), (k,)."""
        posteriors = [model.posterior(rows) for model in self.models]
        mean = np.stack([p[0] for p in posteriors], axis=1)
        var = np.stack([p[1] for p in posteriors], axis=1)
        return self.log_acquisition(mean, var)[0]

    def with_gradient(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The acquisition values at rows (k, d), (k,), and their gradients, (k, d)."""
        posteriors = [model.posterior_with_gradient(rows) for model in self.models]
        mean = np.stack([p[0] for p in posteriors], axis=1)
        var = np.stack([p[1] for p in posteriors], axis=1)
        value, d_mean, d_var = self.log_acquisition(mean, var)
        grad = np.zeros_like(rows, dtype=float)
        for j, (_, _, grad_mean, grad_var) in enumerate(posteriors):
            grad += d_mean[:, j : j + 1] * grad_mean + d_var[:, j : j + 1] * grad_var
        return value, grad
