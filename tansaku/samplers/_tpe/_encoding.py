"""Map a search space to the unit cube the Parzen estimators work in, and back.

Each numerical param is *transformed* first (log for ``log=True``), then scaled so its range is
[0, 1]. A param on a grid (ints, or floats with ``step``) owns a bin around each grid point: its
range is widened by half a bin at both ends, so every point gets a bin of the full width. For a
log-scaled int ``k`` the bin is ``[log(k - 0.5), log(k + 0.5)]``, narrower as ``k`` grows.
Categorical params keep their choice index.

The history keeps values *transformed but not scaled* (see :func:`transform`), because the
scaling depends on the range a trial suggests now, which may differ from the one in the past.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

# Discrete params with at most this many values keep, per kernel, a table of the log mass of
# every bin; larger ones compute the masses of the candidates' bins.
MAX_TABULATED_BINS = 64

# Kinds of numerical params.
CONTINUOUS = 0
GRID = 1  # ints and stepped floats: bins of width ``step`` on a linear scale
LOG_INT = 2  # log-scaled ints: bins [log(k - 0.5), log(k + 0.5)]


@dataclass(frozen=True)
class Points:
    """Points of a search space in the form the estimators score them.

    Attributes:
        unit: Numerical parts in the unit cube, (n, d_num).
        edge_low: Lower edge of each discrete value's bin in unit coordinates (the point
            itself for continuous params), (n, d_num).
        edge_high: Upper edge, likewise, (n, d_num).
        bins: Index of each discrete value among its param's values (0 for continuous
            params), (n, d_num).
        choices: Choice indices of the categorical params, (n, d_cat).
    """

    unit: np.ndarray
    edge_low: np.ndarray
    edge_high: np.ndarray
    bins: np.ndarray
    choices: np.ndarray


def transform(distribution: BaseDistribution, internal: float) -> float:
    """Return how the history keeps a param's internal value: its log when log-scaled."""
    if isinstance(distribution, FloatDistribution | IntDistribution) and distribution.log:
        return math.log(internal)
    return internal


def is_log(distribution: BaseDistribution) -> bool:
    """Whether the history keeps this param's values as logs."""
    return isinstance(distribution, FloatDistribution | IntDistribution) and distribution.log


class SpaceEncoding:
    """How the params of one search space map to the unit cube.

    Args:
        search_space: Param names to distributions (none of them single-valued).
    """

    def __init__(self, search_space: dict[str, BaseDistribution]) -> None:
        self.names = tuple(search_space)
        self.distributions = tuple(search_space.values())
        numerical = [
            i
            for i, d in enumerate(self.distributions)
            if not isinstance(d, CategoricalDistribution)
        ]
        categorical = [
            i for i, d in enumerate(self.distributions) if isinstance(d, CategoricalDistribution)
        ]
        self.numerical_index = np.array(numerical, dtype=np.intp)  # (d_num,)
        self.categorical_index = np.array(categorical, dtype=np.intp)  # (d_cat,)
        self.n_choices = tuple(
            len(d.choices) for d in self.distributions if isinstance(d, CategoricalDistribution)
        )
        kinds, lows, highs, steps, lo, hi = [], [], [], [], [], []
        for i in numerical:
            dist = self.distributions[i]
            assert isinstance(dist, FloatDistribution | IntDistribution)
            low, high = float(dist.low), float(dist.high)
            if isinstance(dist, IntDistribution) and dist.log:
                kind, step = LOG_INT, 1.0
                t_lo, t_hi = math.log(low - 0.5), math.log(high + 0.5)
            elif dist.step is not None:
                kind, step = GRID, float(dist.step)
                t_lo, t_hi = low - 0.5 * step, high + 0.5 * step
            else:
                kind, step = CONTINUOUS, 0.0
                t_lo, t_hi = (math.log(low), math.log(high)) if dist.log else (low, high)
            kinds.append(kind)
            lows.append(low)
            highs.append(high)
            steps.append(step)
            lo.append(t_lo)
            hi.append(t_hi)
        self.kinds = np.array(kinds, dtype=np.int8)  # (d_num,)
        self.low = np.array(lows)  # (d_num,) the distribution's own bounds
        self.high = np.array(highs)
        self.step = np.array(steps)
        self.log = np.array(
            [is_log(self.distributions[i]) for i in numerical], dtype=bool
        )  # (d_num,)
        self.t_low = np.array(lo)  # (d_num,) transformed bounds, widened by half a bin
        self.t_width = np.array(hi) - self.t_low
        self.discrete = self.kinds != CONTINUOUS  # (d_num,)
        self.has_discrete = bool(self.discrete.any())
        self.continuous_index = np.flatnonzero(~self.discrete)  # positions among d_num
        self._plain = not self.has_discrete and not self.log.any()
        self._log_float_index = np.flatnonzero(self.log & ~self.discrete)
        self._grid_index = np.flatnonzero(self.kinds == GRID)
        self._log_int_index = np.flatnonzero(self.kinds == LOG_INT)
        # Columns of ``parzen_estimator.kernel_features``.
        self.n_features = 2 * len(self.continuous_index) + 2 + self.n_numerical
        # How many values each discrete param has (0 for continuous ones): (d_num,)
        safe_step = np.where(self.kinds == GRID, self.step, 1.0)
        self.n_bins = np.where(
            self.discrete, np.round((self.high - self.low) / safe_step).astype(int) + 1, 0
        )
        small = self.discrete & (self.n_bins <= MAX_TABULATED_BINS)
        self.tabulated_index = np.flatnonzero(small)
        self.pairwise_index = np.flatnonzero(self.discrete & ~small)
        # Bin edges of the tabulated params in unit coordinates, (n_bins + 1,) each.
        self.bin_edges = [self._unit_edges(int(j)) for j in self.tabulated_index]

    def _unit_edges(self, j: int) -> np.ndarray:
        grid_values = self.low[j] + np.arange(self.n_bins[j] + 1) * self.step[j]
        if self.kinds[j] == LOG_INT:
            edges = np.log(grid_values - 0.5)
        else:
            edges = grid_values - 0.5 * self.step[j]
        unit_edges: np.ndarray = (edges - self.t_low[j]) / self.t_width[j]
        return unit_edges

    @property
    def n_numerical(self) -> int:
        """How many numerical params the space has."""
        return len(self.numerical_index)

    def to_unit(self, transformed: np.ndarray) -> np.ndarray:
        """Scale transformed numerical values (n, d_num) into the unit cube, clipping values
        from an older, wider range onto its faces."""
        unit: np.ndarray = (transformed - self.t_low) / self.t_width
        np.maximum(unit, 0.0, out=unit)
        np.minimum(unit, 1.0, out=unit)
        return unit

    def snap(self, unit: np.ndarray, choices: np.ndarray) -> tuple[np.ndarray, Points]:
        """Round points of the unit cube to valid param values.

        Args:
            unit: Numerical parts in the unit cube, (n, d_num).
            choices: Choice indices, (n, d_cat).

        Returns:
            The internal numerical values (n, d_num), and the points as estimators score them.
        """
        transformed = self.t_low + unit * self.t_width  # (n, d_num)
        bins = np.zeros(unit.shape, dtype=np.intp)
        if self._plain:
            np.maximum(transformed, self.low, out=transformed)
            values = np.minimum(transformed, self.high, out=transformed)
            return values, Points(unit, unit, unit, bins, choices)
        values = transformed.copy()
        log_float = self._log_float_index
        values[:, log_float] = np.exp(transformed[:, log_float])
        edge_low = unit.copy()
        edge_high = unit.copy()
        grid, log_int = self._grid_index, self._log_int_index
        if len(grid):
            low, step = self.low[grid], self.step[grid]
            index = np.round((transformed[:, grid] - low) / step)
            index = np.minimum(np.maximum(index, 0.0), self.n_bins[grid] - 1)
            on_grid = low + index * step
            values[:, grid] = on_grid
            bins[:, grid] = index
            edge_low[:, grid] = (on_grid - 0.5 * step - self.t_low[grid]) / self.t_width[grid]
            edge_high[:, grid] = (on_grid + 0.5 * step - self.t_low[grid]) / self.t_width[grid]
        if len(log_int):
            rounded = np.round(np.exp(transformed[:, log_int]))
            rounded = np.minimum(np.maximum(rounded, self.low[log_int]), self.high[log_int])
            values[:, log_int] = rounded
            bins[:, log_int] = rounded - self.low[log_int]
            t_low, t_width = self.t_low[log_int], self.t_width[log_int]
            edge_low[:, log_int] = (np.log(rounded - 0.5) - t_low) / t_width
            edge_high[:, log_int] = (np.log(rounded + 0.5) - t_low) / t_width
        np.maximum(values, self.low, out=values)
        np.minimum(values, self.high, out=values)
        return values, Points(unit, edge_low, edge_high, bins, choices)

    def to_params(self, numerical: np.ndarray, categorical: np.ndarray) -> dict[str, Any]:
        """Turn one point (internal numerical values (d_num,), choice indices (d_cat,)) into
        external param values by name."""
        params: dict[str, Any] = {}
        for j, i in enumerate(self.numerical_index):
            params[self.names[i]] = self.distributions[i].to_external_repr(float(numerical[j]))
        for j, i in enumerate(self.categorical_index):
            params[self.names[i]] = self.distributions[i].to_external_repr(int(categorical[j]))
        return params
