"""The continuous space the genetic operators work in, and the way back to params.

Numerical params are *transformed*: log-scaled ones to their log, and params on a grid (ints,
floats with ``step``) own a bin of one step around each grid point, so their range widens by
half a step at both ends (a log-scaled int ``k`` owns ``[log(k - 0.5), log(k + 0.5)]``). A
crossover or mutation then moves freely inside these bounds, and :meth:`SpaceTransform.params`
rounds back to the nearest valid value. Categorical params are handled apart (by index).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


class SpaceTransform:
    """The numerical params of ``search_space`` as columns of a continuous box.

    Attributes:
        numerical: Names of the numerical params, in column order.
        categorical: Names of the categorical params.
        bounds: (len(numerical), 2) lower and upper bound of each column.
    """

    def __init__(self, search_space: dict[str, BaseDistribution]) -> None:
        self._space = search_space
        self.numerical = [
            n for n, d in search_space.items() if not isinstance(d, CategoricalDistribution)
        ]
        self.categorical = [
            n for n, d in search_space.items() if isinstance(d, CategoricalDistribution)
        ]
        self.bounds = np.array(
            [_bounds(search_space[n]) for n in self.numerical], dtype=float
        ).reshape(len(self.numerical), 2)

    def encode(self, params: dict[str, Any]) -> np.ndarray:
        """One trial's numerical params as a row of the box, (len(numerical),)."""
        return np.array([_forward(self._space[n], params[n]) for n in self.numerical], dtype=float)

    def params(self, row: np.ndarray) -> dict[str, Any]:
        """The params (external form) nearest to the box point ``row``, all inside their ranges."""
        row = np.clip(row, self.bounds[:, 0], self.bounds[:, 1])
        return {n: _backward(self._space[n], float(v)) for n, v in zip(self.numerical, row)}


def _bounds(distribution: BaseDistribution) -> tuple[float, float]:
    if isinstance(distribution, IntDistribution):
        if distribution.log:
            return math.log(distribution.low - 0.5), math.log(distribution.high + 0.5)
        half = 0.5 * distribution.step
        return distribution.low - half, distribution.high + half
    assert isinstance(distribution, FloatDistribution)
    if distribution.log:
        return math.log(distribution.low), math.log(distribution.high)
    if distribution.step is not None:
        half = 0.5 * distribution.step
        return distribution.low - half, distribution.high + half
    return distribution.low, distribution.high


def _forward(distribution: BaseDistribution, value: Any) -> float:
    internal = distribution.to_internal_repr(value)
    if getattr(distribution, "log", False):
        return math.log(internal)
    return float(internal)


def _backward(distribution: BaseDistribution, value: float) -> Any:
    if isinstance(distribution, IntDistribution):
        low_int, high_int, step = distribution.low, distribution.high, distribution.step
        if distribution.log:
            return int(min(high_int, max(low_int, round(math.exp(value)))))
        k = round((value - low_int) / step)
        return int(min(high_int, max(low_int, low_int + k * step)))
    assert isinstance(distribution, FloatDistribution)
    low, high = distribution.low, distribution.high
    if distribution.log:
        return min(high, max(low, math.exp(value)))
    if distribution.step is not None:
        k = round((value - low) / distribution.step)
        return min(high, max(low, low + k * distribution.step))
    return min(high, max(low, value))
