"""Search spaces as rows of the GP's input cube, built on ``SearchSpaceTransform``.

Numerical params take one column in [0, 1] (log params in log space; a gridded param, int or
float with a step, owns an interval of one step around each grid point, as the transform
does); categorical params take one column holding the index of the choice, which the kernel
compares by equality (a Hamming term). The acquisition search needs to know, per column,
whether it is continuous, which values a gridded column may take, and how many choices a
categorical one has: ``GPSpace`` says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.search_space._transform import SearchSpaceTransform

# A gridded param with more points than this is searched as a continuous one and its optimum
# rounded to the grid: enumerating it would cost more than it gains.
MAX_GRID_POINTS = 256


class GPSpace:
    """The columns of a search space for the GP: numerical ones first, then categorical ones.

    Args:
        search_space: Param names to distributions.

    Attributes:
        names: Param names, in column order.
        categorical: Which columns are categorical, (d,) bool.
        continuous: Which columns are continuous (floats without a step), (d,) bool.
        grids: For each gridded numerical column, its index and the unit coordinates of its
            grid points, sorted.
        n_choices: For each categorical column, its index and its number of choices.
    """

    def __init__(self, search_space: Mapping[str, BaseDistribution]) -> None:
        numerical = {
            name: dist
            for name, dist in search_space.items()
            if not isinstance(dist, CategoricalDistribution)
        }
        self._categoricals = {
            name: dist
            for name, dist in search_space.items()
            if isinstance(dist, CategoricalDistribution)
        }
        self._transform = SearchSpaceTransform(numerical, transform_0_1=True, one_hot=False)
        self.names = (*numerical, *self._categoricals)
        n_numerical = len(numerical)
        d = len(self.names)
        self.categorical = np.arange(d) >= n_numerical
        self.continuous = np.zeros(d, dtype=bool)
        self.grids: list[tuple[int, np.ndarray]] = []
        for column, dist in enumerate(numerical.values()):
            assert isinstance(dist, (FloatDistribution, IntDistribution))
            n_points = 0 if dist.step is None else round((dist.high - dist.low) / dist.step) + 1
            if n_points == 0 or n_points > MAX_GRID_POINTS:
                self.continuous[column] = True
            else:
                self.grids.append((column, self._grid(column, dist)))
        self.n_choices = [
            (n_numerical + i, len(dist.choices))
            for i, dist in enumerate(self._categoricals.values())
        ]

    @property
    def n_columns(self) -> int:
        """The number of columns d."""
        return len(self.names)

    def encode(self, params_list: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The rows (n, d) of the params of n trials (each with every param of the space)."""
        rows = np.empty((len(params_list), self.n_columns))
        n_numerical = self._transform.n_columns
        for i, params in enumerate(params_list):
            rows[i, :n_numerical] = self._transform.transform(params)
            for j, (name, dist) in enumerate(self._categoricals.items()):
                rows[i, n_numerical + j] = dist.to_internal_repr(params[name])
        return rows

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """The params of a row (numerical values clipped to their range, grid values rounded
        to the grid)."""
        n_numerical = self._transform.n_columns
        params = self._transform.untransform(np.clip(row[:n_numerical], 0.0, 1.0))
        for j, (name, dist) in enumerate(self._categoricals.items()):
            index = int(np.clip(round(float(row[n_numerical + j])), 0, len(dist.choices) - 1))
            params[name] = dist.choices[index]
        return params

    def snap(self, rows: np.ndarray) -> np.ndarray:
        """Rows (k, d) with gridded columns moved to their nearest grid point and
        categorical columns (unit values) turned into choice indices."""
        rows = rows.copy()
        for column, grid in self.grids:
            rows[:, column] = nearest(grid, rows[:, column])
        for column, n_choices in self.n_choices:
            rows[:, column] = np.minimum(np.floor(rows[:, column] * n_choices), n_choices - 1)
        return rows

    def _grid(self, column: int, dist: FloatDistribution | IntDistribution) -> np.ndarray:
        assert dist.step is not None
        n_points = int(round((dist.high - dist.low) / dist.step)) + 1
        values = dist.low + dist.step * np.arange(n_points, dtype=float)
        if dist.log:
            values = np.log(values)
        low, high = self._transform.bounds[column]
        return (values - low) / (high - low) if high > low else np.full(n_points, 0.5)


def nearest(grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The grid points (sorted grid) nearest to each value."""
    right = np.clip(np.searchsorted(grid, values), 1, max(len(grid) - 1, 1))
    left = right - 1
    if len(grid) == 1:
        return np.full_like(values, grid[0])
    pick_left = np.abs(values - grid[left]) <= np.abs(grid[right] - values)
    return np.where(pick_left, grid[left], grid[right])
