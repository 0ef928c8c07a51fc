"""Standardize observed values for a GP, robustly to huge and constant values."""

from __future__ import annotations

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
