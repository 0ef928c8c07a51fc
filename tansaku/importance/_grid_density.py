"""The one-dimensional densities PED-ANOVA compares: Parzen estimators on a grid.

A numerical param's domain is cut into at most ``n_steps`` evenly spaced grid points (in log
space for a log param); each trial votes for its nearest grid point. The density is a mixture of
one discretized, truncated Gaussian kernel per occupied grid point, weighted by its votes, and a
wide prior kernel at the centre; bandwidths follow Scott's rule (Scott 1992), because the
bandwidth TPE uses is too wide for this analysis (Watanabe et al. 2023, Sec. 4). A categorical
param's density is the vote share of each choice, smoothed toward uniform by the prior.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

# Lower bound of a numerical kernel's bandwidth in grid steps: 1.64 sigma (90% of the mass)
# then spans at least one step, which keeps a single observed grid point from being a spike.
_MIN_BANDWIDTH = 0.5 / 1.64


def grid_size(distribution: BaseDistribution, n_steps: int) -> int:
    """How many grid points the domain of ``distribution`` is cut into (at most ``n_steps``).

    A discrete domain with fewer values than ``n_steps`` keeps one point per value; a log int
    domain one point per doubling.
    """
    if isinstance(distribution, CategoricalDistribution):
        return len(distribution.choices)
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    low, high = distribution.low, distribution.high
    if isinstance(distribution, IntDistribution) and distribution.log:
        return min(int(math.ceil(math.log2(high - low + 1))) + 1, n_steps)
    if distribution.step is not None:
        return min(int(round((high - low) / distribution.step)) + 1, n_steps)
    return n_steps


def grid_counts(distribution: BaseDistribution, values: np.ndarray, n_steps: int) -> np.ndarray:
    """Votes per grid point of the trials' values of one param.

    Args:
        distribution: The param's distribution.
        values: The param's internal representation in each trial (choice indices for a
            categorical), (n,).
        n_steps: The maximal number of grid points.

    Returns:
        The number of values nearest to each grid point, (grid_size,).
    """
    size = grid_size(distribution, n_steps)
    if isinstance(distribution, CategoricalDistribution):
        return np.bincount(values.astype(np.intp), minlength=size)
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    low, high = float(distribution.low), float(distribution.high)
    if distribution.log:
        values, low, high = np.log(values), math.log(low), math.log(high)
    spacing = (high - low) / (size - 1)
    # Nearest grid point; a value exactly half-way goes to the lower one.
    nearest = np.ceil((values - low) / spacing - 0.5).astype(np.intp)
    return np.bincount(np.clip(nearest, 0, size - 1), minlength=size)


def grid_density(counts: np.ndarray, categorical: bool, prior_weight: float) -> np.ndarray:
    """The Parzen estimator of the votes ``counts`` (size,), evaluated on its grid.

    Returns:
        The probability of each grid point (sums to 1), (size,).
    """
    size = len(counts)
    occupied = np.flatnonzero(counts)  # observed grid points: (k,)
    votes = counts[occupied].astype(float)
    mixture = np.append(votes, prior_weight)
    mixture /= mixture.sum()
    if len(occupied) == 0:
        return np.full(size, 1.0 / size)
    if categorical:
        kernels = _categorical_kernels(occupied, size, prior_weight)
    else:
        kernels = _gaussian_kernels(occupied, votes, size)
    density: np.ndarray = mixture @ kernels
    return density


def _categorical_kernels(occupied: np.ndarray, size: int, prior_weight: float) -> np.ndarray:
    """One row per observed choice (most mass on it, the prior's share spread evenly) and a
    uniform prior row: (k + 1, size)."""
    n_kernels = len(occupied) + 1
    kernels = np.full((n_kernels, size), prior_weight / n_kernels)
    kernels[np.arange(len(occupied)), occupied] += 1.0
    row_sums = kernels.sum(axis=1, keepdims=True)
    return kernels / np.where(row_sums == 0.0, 1.0, row_sums)


def _gaussian_kernels(occupied: np.ndarray, votes: np.ndarray, size: int) -> np.ndarray:
    """Discretized Gaussian kernels truncated to the grid, at each observed point with Scott's
    bandwidth, plus a prior kernel at the centre wider than the grid: (k + 1, size)."""
    total = votes.sum()
    mean = votes @ occupied / total
    std = math.sqrt(votes @ (occupied - mean) ** 2 / max(1.0, total - 1.0))
    # Quartiles of the votes: the first point whose cumulative count reaches floor(total / 4),
    # the first whose cumulative count exceeds floor(3 total / 4).
    cumulative = np.cumsum(votes)
    q1 = int(np.searchsorted(cumulative, total // 4, side="left"))
    q3 = int(np.searchsorted(cumulative, total * 3 // 4, side="right"))
    iqr = occupied[min(len(occupied) - 1, q3)] - occupied[q1]
    bandwidth = 1.059 * min(iqr / 1.34, std) * total**-0.2  # Scott's rule
    centres = np.append(occupied.astype(float), (size - 1) / 2.0)  # (k + 1,)
    widths = np.append(np.full(len(occupied), max(bandwidth, _MIN_BANDWIDTH)), float(size))
    edges = np.arange(size + 1) - 0.5  # cell boundaries of the grid points: (size + 1,)
    z = (edges[None, :] - centres[:, None]) / widths[:, None]  # (k + 1, size + 1)
    cells = _gauss_mass(z[:, :-1], z[:, 1:])  # (k + 1, size)
    kernels: np.ndarray = cells / _gauss_mass(z[:, :1], z[:, -1:])
    return kernels


def _gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Standard normal mass in [a, b] (a <= b), accurate in both tails."""
    right_tail = a > 0.0
    mass: np.ndarray = np.where(right_tail, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    return mass
