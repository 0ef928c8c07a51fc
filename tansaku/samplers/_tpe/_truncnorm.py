"""Gaussians truncated to the unit interval: sampling and log-masses, vectorized.

Every kernel of the Parzen estimators lives in the unit cube (each param's range mapped to
[0, 1]), and every kernel mean lies inside it, so a kernel's truncation bounds in standard units
satisfy ``a <= 0 <= b``; the formulas below lean on that for accuracy in the tails.
"""

from __future__ import annotations

import numpy as np

# scipy.special is imported inside the functions that use it: importing it costs about a second,
# which `import tansaku` should not pay before a sampler first builds a model.

LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
# Phi(-z) for z beyond this is below 1e-16: a kernel farther than this many bandwidths from the
# cube's face loses no mass to it, and a bin that far from a kernel gets none of it.
_TAIL_Z = 8.3
# Arrays up to this size skip the search for entries that need no work.
_SMALL = 256


def log_unit_normalizer(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Return ``log(Phi((1 - mu) / sigma) - Phi(-mu / sigma))``: the log mass of [0, 1].

    Args:
        mu: Kernel means in [0, 1].
        sigma: Kernel bandwidths (> 0), broadcastable to ``mu``.

    Returns:
        The log normalizer of each kernel, shaped like ``mu``.
    """
    from scipy import special

    # Both tails are computed on their negative side, where ndtr is accurate: the mass is
    # 1 - Phi(-mu / sigma) - Phi(-(1 - mu) / sigma), at least about 0.19 for mu in [0, 1] and
    # sigma <= 1, so log1p never sees a value near -1. Kernels far from both faces lose nothing.
    if mu.size <= _SMALL:
        tails = special.ndtr(-mu / sigma) + special.ndtr((mu - 1.0) / sigma)
        log_mass: np.ndarray = np.log1p(-tails)
        return log_mass
    mu, sigma = np.broadcast_arrays(mu, sigma)
    near = np.minimum(mu, 1.0 - mu) < _TAIL_Z * sigma
    result = np.zeros(mu.shape)
    mu_near, sigma_near = mu[near], sigma[near]
    tails = special.ndtr(-mu_near / sigma_near) + special.ndtr((mu_near - 1.0) / sigma_near)
    result[near] = np.log1p(-tails)
    return result


def sample_unit_truncnorm(
    rng: np.random.Generator, mu: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """Draw one value from each Gaussian ``N(mu, sigma)`` truncated to [0, 1].

    Inverse-CDF sampling: ``Phi^-1(U(Phi(a), Phi(b)))`` with ``a = -mu / sigma`` and
    ``b = (1 - mu) / sigma``.

    Args:
        rng: The random generator.
        mu: Means in [0, 1].
        sigma: Bandwidths (> 0), shaped like ``mu``.

    Returns:
        Draws in [0, 1], shaped like ``mu``.
    """
    from scipy import special

    cdf_low = special.ndtr(-mu / sigma)
    cdf_high = special.ndtr((1.0 - mu) / sigma)
    uniform = rng.random(mu.shape)
    standard = special.ndtri(cdf_low + uniform * (cdf_high - cdf_low))
    draws: np.ndarray = np.clip(mu + sigma * standard, 0.0, 1.0)
    return draws


def log_interval_mass(z_low: np.ndarray, z_high: np.ndarray) -> np.ndarray:
    """Return ``log(Phi(z_high) - Phi(z_low))`` for ``z_low < z_high``, accurate in both tails.

    An interval entirely right of 0 is mirrored to the left, where Phi does not round to 1.
    An interval more than 8.3 standard deviations out (mass below 1e-16) gets ``-inf``: every
    mixture here has a prior kernel as wide as the range, so such a kernel's share is nil.
    """
    from scipy import special

    near = (z_low < _TAIL_Z) & (z_high > -_TAIL_Z)
    result = np.full(z_low.shape, -np.inf)
    low, high = z_low[near], z_high[near]
    mirror = low > 0.0
    low, high = np.where(mirror, -high, low), np.where(mirror, -low, high)
    # The floor keeps log finite where the two CDFs round to the same double.
    result[near] = np.log(np.maximum(special.ndtr(high) - special.ndtr(low), 1e-300))
    return result
