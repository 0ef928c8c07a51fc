"""Mutations: how NSGAIISampler perturbs one numerical param of a child."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

import numpy as np

from tansaku._internal.deprecation import warn_experimental
from tansaku.samplers.nsgaii._crossovers import distribution_index

if TYPE_CHECKING:
    from tansaku.study import Study


class BaseMutation(abc.ABC):
    """Perturbs one numerical param, in the transformed space (log for log-scaled params).

    Without a mutation, NSGAIISampler draws a param chosen for mutation afresh at random.
    """

    def __str__(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def mutation(
        self,
        param: float,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> float:
        """Return the mutated value of ``param``.

        Args:
            param: The value, in the transformed space.
            rng: The sampler's random state.
            study: The study.
            search_space_bounds: The param's lower and upper bound, (2,).
        """


class PolynomialMutation(BaseMutation):
    """Polynomial mutation, bounded (Deb & Goyal 1996, in the form of Deb's NSGA-II code,
    revision 1.1.6): a move whose size follows a polynomial law that shrinks near the bounds,
    so the result always lies inside them. Experimental.

    Args:
        eta: Distribution index (>= 0); larger keeps the value closer to the original.
    """

    def __init__(self, eta: float = 20.0) -> None:
        warn_experimental("PolynomialMutation")
        self._eta = distribution_index("PolynomialMutation", eta)

    def mutation(
        self,
        param: float,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> float:
        low, high = float(search_space_bounds[0]), float(search_space_bounds[1])
        if not high > low:
            return param
        width = high - low
        delta1 = (param - low) / width
        delta2 = (high - param) / width
        power = 1.0 / (self._eta + 1.0)
        u = rng.rand()
        if u <= 0.5:
            value = 2.0 * u + (1.0 - 2.0 * u) * (1.0 - delta1) ** (self._eta + 1.0)
            deltaq = value**power - 1.0
        else:
            value = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * (1.0 - delta2) ** (self._eta + 1.0)
            deltaq = 1.0 - value**power
        return min(high, max(low, param + deltaq * width))
