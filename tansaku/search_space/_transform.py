"""Map the params of a search space to and from rows of floats, for samplers that search in R^d.

Samplers that work on vectors (QMC, CMA-ES, NSGA's crossovers) need the same three things: the
bounds of each coordinate, the row of a trial's params, and the params of a row. Log-scaled
params are searched in log space; a param on a grid (ints, floats with a step) owns an interval
of width ``step`` around each grid point, so that every grid point is equally likely under a
uniform draw over the bounds; a categorical param takes one coordinate per choice (one-hot),
and the largest coordinate picks the choice, unless the caller handles categoricals itself
(``one_hot=False``: they take no coordinate).

Logs and exponentials are Python's ``math`` ones, one param at a time: numpy's vectorised
``log``/``exp`` round differently on CPUs with AVX-512 than on others, which would make the
params a seeded sampler draws depend on the machine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


class SearchSpaceTransform:
    """Turn params into rows of floats (:meth:`transform`) and rows back into params.

    Args:
        search_space: Param names to distributions; the columns follow its order.
        transform_log: Search log-scaled params in log space.
        transform_step: Widen the bounds of a gridded param by half a step on each side, so
            each grid point owns an interval of one step.
        transform_0_1: Scale every column to [0, 1], e.g. for a point of the unit cube.
        one_hot: Give each categorical param one column per choice. False leaves categoricals
            out of the rows: :meth:`transform` ignores them and :meth:`untransform` returns
            the numerical params only (for a sampler that crosses choices by itself).

    Attributes:
        names: The param names, in the space's order (a column's: ``names[column_to_param[c]]``).
        bounds: ``(n_columns, 2)`` lower and upper bound of each column.
        column_to_param: ``(n_columns,)`` index into ``names`` of each column's param.
        categorical_names: The categorical param names, in ``names`` order.

    Example:
        >>> space = {"lr": FloatDistribution(1e-5, 1e-1, log=True), "n": IntDistribution(8, 64)}
        >>> transform = SearchSpaceTransform(space, transform_0_1=True)
        >>> transform.untransform(np.array([0.5, 0.0]))
        {'lr': 0.0010000000000000002, 'n': 8}
    """

    def __init__(
        self,
        search_space: Mapping[str, BaseDistribution],
        *,
        transform_log: bool = True,
        transform_step: bool = True,
        transform_0_1: bool = False,
        one_hot: bool = True,
    ) -> None:
        self.names = tuple(search_space)
        self.distributions = tuple(search_space.values())
        self._transform_0_1 = transform_0_1
        bounds: list[tuple[float, float]] = []
        column_to_param: list[int] = []
        numeric_columns: list[int] = []
        numeric: list[tuple[float, float, float, bool, bool]] = []  # low, high, step, log, int
        self._choices: list[tuple[int, int, int]] = []  # param, first column, n_choices
        for index, distribution in enumerate(self.distributions):
            if isinstance(distribution, CategoricalDistribution):
                if not one_hot:
                    continue
                n_choices = len(distribution.choices)
                self._choices.append((index, len(bounds), n_choices))
                bounds.extend([(0.0, 1.0)] * n_choices)
                column_to_param.extend([index] * n_choices)
                continue
            if not isinstance(distribution, (FloatDistribution, IntDistribution)):
                raise TypeError(f"SearchSpaceTransform cannot encode {distribution!r}")
            low, high = float(distribution.low), float(distribution.high)
            step = float(distribution.step) if distribution.step is not None else 0.0
            is_int = isinstance(distribution, IntDistribution)
            log = distribution.log and transform_log
            half = 0.5 * step if transform_step else 0.0
            if log:
                bounds.append((math.log(low - half), math.log(high + half)))
            else:
                bounds.append((low - half, high + half))
            numeric_columns.append(len(column_to_param))
            column_to_param.append(index)
            numeric.append((low, high, step, log, is_int))
        self.categorical_names = tuple(
            name
            for name, distribution in zip(self.names, self.distributions)
            if isinstance(distribution, CategoricalDistribution)
        )
        self.bounds = np.array(bounds, dtype=float).reshape(-1, 2)
        self.column_to_param = np.array(column_to_param, dtype=np.intp)
        self._numeric_columns = np.array(numeric_columns, dtype=np.intp)
        self._numeric_params = [int(self.column_to_param[c]) for c in numeric_columns]
        table = np.array(numeric, dtype=float).reshape(-1, 5)
        self._low, self._high, self._step = table[:, 0], table[:, 1], table[:, 2]
        self._log, self._is_int = table[:, 3].astype(bool), table[:, 4].astype(bool)
        self._log_positions = np.flatnonzero(self._log).tolist()
        self._stepped = self._step > 0
        self._width = self.bounds[:, 1] - self.bounds[:, 0]

    @property
    def n_columns(self) -> int:
        """The number of coordinates of a row."""
        return len(self.bounds)

    def transform(self, params: Mapping[str, Any]) -> np.ndarray:
        """Return the ``(n_columns,)`` row of ``params`` (every param with a column needed)."""
        row = np.zeros(self.n_columns)
        names = self.names
        if len(self._numeric_columns):
            numeric = [float(params[names[i]]) for i in self._numeric_params]
            for position in self._log_positions:
                numeric[position] = math.log(numeric[position])
            row[self._numeric_columns] = numeric
        for index, first, _ in self._choices:
            distribution = self.distributions[index]
            assert isinstance(distribution, CategoricalDistribution)
            row[first + int(distribution.to_internal_repr(params[names[index]]))] = 1.0
        if self._transform_0_1:
            width = np.where(self._width > 0, self._width, 1.0)
            row = (row - self.bounds[:, 0]) / width
        return row

    def untransform(self, row: np.ndarray) -> dict[str, Any]:
        """Return the params of ``row``: values outside the bounds are clipped, grid values
        rounded to the nearest grid point, a categorical takes the choice of its largest
        coordinate."""
        row = np.asarray(row, dtype=float).reshape(self.n_columns)
        if self._transform_0_1:
            row = self.bounds[:, 0] + row * self._width
        params: dict[str, Any] = {}
        if len(self._numeric_columns):
            numeric = row[self._numeric_columns]
            for position in self._log_positions:
                numeric[position] = _exp(float(numeric[position]))
            stepped = self._stepped
            low, step = self._low[stepped], self._step[stepped]
            numeric[stepped] = low + np.round((numeric[stepped] - low) / step) * step
            numeric = np.clip(numeric, self._low, self._high)
            is_int = self._is_int
            for index, value, integral in zip(self._numeric_params, numeric.tolist(), is_int):
                params[self.names[index]] = int(round(value)) if integral else value
        for index, first, n_choices in self._choices:
            distribution = self.distributions[index]
            assert isinstance(distribution, CategoricalDistribution)
            chosen = int(np.argmax(row[first : first + n_choices]))
            params[self.names[index]] = distribution.choices[chosen]
        return {name: params[name] for name in self.names if name in params}


def _exp(value: float) -> float:
    """``math.exp``, but ``inf`` past the largest float (as numpy), not an OverflowError."""
    try:
        return math.exp(value)
    except OverflowError:
        return math.inf
