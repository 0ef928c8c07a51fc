"""Standardize observed values for a GP, robustly to huge and constant values; and warp the
values of one objective toward a normal shape."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Standardized:
    """Values mapped to mean 0 and variance 1: ``y = (value - center) / scale``.

    Attributes:
        y: The standardized values, (n,).
        center: The value that maps to 0.
        scale: The spread that maps to 1 (> 0).
    """

    y: np.ndarray
    center: float
    scale: float

    def apply(self, value: float | np.ndarray) -> np.ndarray:
        """Map a raw value (e.g. a constraint's threshold 0) into the standardized scale."""
        return (np.asarray(value, dtype=float) - self.center) / self.scale


def standardize(values: np.ndarray) -> Standardized:
    """Standardize finite values (n,) to mean 0 and variance 1.

    Values as large as 1e300 would overflow a plain variance, so the values are first divided
    by their largest deviation from the median; constant values map to 0 (scale 1).
    """
    values = np.asarray(values, dtype=float)
    median = float(np.median(values))
    spread = float(np.max(np.abs(values - median))) if len(values) else 0.0
    if not np.isfinite(spread) or spread == 0.0:
        return Standardized(np.zeros(len(values)), median, 1.0)
    unit = (values - median) / spread
    mean, std = float(unit.mean()), float(unit.std())
    if std == 0.0:
        return Standardized(np.zeros(len(values)), median, 1.0)
    return Standardized((unit - mean) / std, median + mean * spread, std * spread)


def power_warp(values: np.ndarray) -> np.ndarray:
    """Values (n,) mapped by an increasing function to a shape closer to a normal sample.

    A GP with a stationary kernel fits values whose spread comes from a few huge ones badly:
    the ill-conditioned objectives (an ellipsoid, a bent cigar, Rosenbrock's valley) span
    orders of magnitude, and the region of the good values looks flat next to the bad ones.
    The values are scaled to [0, 1] and passed through the Yeo-Johnson power transform with
    the exponent of highest likelihood (``scipy.stats.yeojohnson``), which compresses a long
    tail and keeps the order: the best values stay the best. Fewer than three values,
    constant ones or non-finite ones come back unchanged.
    """
    values = np.asarray(values, dtype=float)
    if len(values) < 3 or not np.all(np.isfinite(values)):
        return values
    # Scaled about the median first: values as large as 1e300 must not overflow.
    median = float(np.median(values))
    spread = float(np.max(np.abs(values - median)))
    if not np.isfinite(spread) or spread == 0.0:
        return values
    unit = (values - median) / spread
    low, high = float(unit.min()), float(unit.max())
    if high <= low:
        return values
    from scipy.stats import yeojohnson

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        warped, _ = yeojohnson((unit - low) / (high - low))
    return np.asarray(warped) if np.all(np.isfinite(warped)) else values
