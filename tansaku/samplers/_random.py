"""RandomSampler: independent uniform sampling, on a log scale where the param asks for it."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.samplers._base import IndependentSampler
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


class RandomSampler(IndependentSampler):
    """Draw every param independently and uniformly (log-uniformly for ``log=True``).

    Args:
        seed: Seed of the random number generator; the same seed gives the same params in a
            run with ``n_jobs=1``.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = random.Random(seed)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if type(param_distribution) is FloatDistribution and param_distribution._plain:
            # The common case, inlined: a float range without log or step.
            low, high = param_distribution.low, param_distribution.high
            return min(high, low + (high - low) * self._rng.random())
        return sample_uniform(self._rng, param_distribution)


def sample_uniform(rng: random.Random, distribution: BaseDistribution) -> Any:
    """Draw one value of ``distribution`` uniformly (in log space for log distributions)."""
    if (
        type(distribution) is FloatDistribution
        and not distribution.log
        and distribution.step is None
    ):
        return min(distribution.high, rng.uniform(distribution.low, distribution.high))
    if isinstance(distribution, FloatDistribution):
        low, high = distribution.low, distribution.high
        if distribution.log:
            return min(high, max(low, math.exp(rng.uniform(math.log(low), math.log(high)))))
        step = distribution.step
        if step is not None:
            n_steps = round((high - low) / step)
            return min(high, low + step * rng.randint(0, n_steps))
        return min(high, rng.uniform(low, high))
    if isinstance(distribution, IntDistribution):
        low_int, high_int = distribution.low, distribution.high
        if distribution.log:
            # Each integer k owns [k - 0.5, k + 0.5) in log space.
            draw = math.exp(rng.uniform(math.log(low_int - 0.5), math.log(high_int + 0.5)))
            return min(high_int, max(low_int, round(draw)))
        return low_int + distribution.step * rng.randint(
            0, (high_int - low_int) // distribution.step
        )
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[rng.randrange(len(distribution.choices))]
    raise TypeError(f"RandomSampler cannot sample {distribution!r}")
