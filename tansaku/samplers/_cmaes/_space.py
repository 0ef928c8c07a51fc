"""The map between a trial's params and CMA-ES's unit box, one coordinate per param.

A float param maps linearly (or its log, for ``log=True``) onto ``[0, 1]``. A discrete param
(an int, or a float with a step) maps the same way after widening its range by half a step on
each side, so every value owns a cell of the same width (the same log-width for log ints), and
a point decodes to the value of its cell. Categorical params are not in the box: CMA-ES leaves
them to the independent sampler.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from tansaku.distributions import (
    BaseDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
)


def supported(distribution: BaseDistribution) -> bool:
    """Whether CMA-ES models this param (a float or int range with more than one value)."""
    return isinstance(distribution, (FloatDistribution, IntDistribution)) and not (
        distribution.single()
    )


class UnitBox:
    """The unit box of one search space (params in name order)."""

    def __init__(self, space: Mapping[str, BaseDistribution]) -> None:
        self.names = sorted(space)
        self.distributions = [space[name] for name in self.names]
        n = len(self.names)
        self.low = np.empty(n)  # the param's range
        self.high = np.empty(n)
        self.step = np.zeros(n)  # 0: continuous
        self.log = np.zeros(n, dtype=bool)
        self.is_int = np.zeros(n, dtype=bool)
        for i, dist in enumerate(self.distributions):
            assert isinstance(dist, (FloatDistribution, IntDistribution))
            self.low[i], self.high[i], self.log[i] = dist.low, dist.high, dist.log
            self.is_int[i] = isinstance(dist, IntDistribution)
            if isinstance(dist, IntDistribution):
                self.step[i] = 1.0 if dist.log else dist.step
            elif dist.step is not None:
                self.step[i] = dist.step
        self.discrete = self.step > 0
        half = self.step / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            self.box_low = np.where(self.log, np.log(self.low - half), self.low - half)
            self.box_high = np.where(self.log, np.log(self.high + half), self.high + half)
        self.width = self.box_high - self.box_low
        self.signature = _signature(self.names, self.distributions)
        # Every param a plain float range: decoding is one affine map (the common case).
        self._plain = not self.discrete.any() and not self.log.any()
        self._plain_maps = list(
            zip(
                self.names,
                self.box_low.tolist(),
                self.width.tolist(),
                self.low.tolist(),
                self.high.tolist(),
            )
        )

        self._box_lows = self.box_low.tolist()
        self._widths = self.width.tolist()
        self._log_indices = np.flatnonzero(self.log).tolist()
        self._maps = list(
            zip(
                self.names,
                self.low.tolist(),
                self.high.tolist(),
                self.step.tolist(),
                self.is_int.tolist(),
            )
        )

    @property
    def n(self) -> int:
        return len(self.names)

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """The point of the unit box whose cell holds ``params`` (external values)."""
        values = np.array([float(params[name]) for name in self.names])
        return self._to_box(values)

    def decode(self, x: np.ndarray) -> dict[str, Any]:
        """The params (external values) of the point ``x`` of the box."""
        if self._plain:
            # ``values`` in Python floats: the same IEEE operations in the same order, and
            # clip as numpy's (NaN kept, ``a > low`` else low, then ``a < high`` else high,
            # so even -0.0 comes out alike), without numpy's cost per call on a few numbers.
            params = {}
            for (name, box_low, width, low, high), unit in zip(self._plain_maps, x.tolist()):
                unit = unit if unit > 0.0 or unit != unit else 0.0
                unit = unit if unit < 1.0 or unit != unit else 1.0
                value = box_low + unit * width
                value = value if value > low or value != value else low
                params[name] = value if value < high or value != value else high
            return params
        # values() step by step in Python floats, each the same IEEE operation as numpy's
        # (np.round rounds half to even, as round() does); exp by numpy, whose result differs
        # from math.exp's in the last bit for some values.
        raws = []
        for box_low, width, unit in zip(self._box_lows, self._widths, x.tolist()):
            unit = unit if unit > 0.0 or unit != unit else 0.0
            unit = unit if unit < 1.0 or unit != unit else 1.0
            raws.append(box_low + unit * width)
        if self._log_indices:
            exps = np.exp([raws[i] for i in self._log_indices]).tolist()
            for i, value in zip(self._log_indices, exps):
                raws[i] = value
        params = {}
        for (name, low, high, step, is_int), value in zip(self._maps, raws):
            if step and value == value:
                value = low + round((value - low) / step) * step
            value = value if value > low or value != value else low
            value = value if value < high or value != value else high
            params[name] = int(round(value)) if is_int else value
        return params

    def values(self, x: np.ndarray) -> np.ndarray:
        """The param values (as floats, on their grids and inside their ranges) of ``x``."""
        raw = self.box_low + np.clip(x, 0.0, 1.0) * self.width
        if self._plain:
            return np.clip(raw, self.low, self.high)
        raw = np.where(self.log, np.exp(raw), raw)
        step = np.where(self.discrete, self.step, 1)
        stepped = self.low + np.round((raw - self.low) / step) * step
        return np.clip(np.where(self.discrete, stepped, raw), self.low, self.high)

    def cells(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For each coordinate of ``x``: the edges of its value's cell in the box, and whether
        a value exists below and above it (``-inf``/``inf`` edges for continuous params)."""
        values = self.values(x)
        half = self.step / 2
        edges_low = self._to_box(values - half, raw=True)
        edges_high = self._to_box(values + half, raw=True)
        has_below = self.discrete & (values - self.step >= self.low - 1e-12 * self.step)
        has_above = self.discrete & (values + self.step <= self.high + 1e-12 * self.step)
        return edges_low, edges_high, has_below, has_above

    def _to_box(self, values: np.ndarray, raw: bool = False) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            transformed = np.where(self.log, np.log(np.maximum(values, 1e-300)), values)
        x = (transformed - self.box_low) / self.width
        return x if raw else np.clip(x, 0.0, 1.0)


def _signature(names: list[str], distributions: list[BaseDistribution]) -> str:
    """A short fingerprint of the space: a stored run continues only on the same space."""
    text = "\n".join(f"{n}={distribution_to_json(d)}" for n, d in zip(names, distributions))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def user_sigma(box: UnitBox, sigma0: float) -> tuple[float, np.ndarray]:
    """A ``sigma0`` given in param units (log units for log params) as a step size and a
    diagonal covariance in the box: the same spread ``sigma0`` along every param."""
    min_width = float(box.width.min())
    return sigma0 / min_width, np.diag((min_width / box.width) ** 2)
