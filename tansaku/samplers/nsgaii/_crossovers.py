"""Crossovers: how NSGAIISampler makes one child's numerical params from its parents'.

Each works in the transformed space (see ``search_space._transform``): ``parents_params`` is
(n_parents, n_params) and ``search_space_bounds`` (n_params, 2). A child may fall outside the
bounds; the sampler draws again (rejection keeps the operator's distribution) and clips only
after many misses. Every operator cites its paper; the equations are the paper's.
"""

from __future__ import annotations

import abc
import math
from typing import TYPE_CHECKING

import numpy as np

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid, invalid_type

if TYPE_CHECKING:
    from tansaku.study import Study


class BaseCrossover(abc.ABC):
    """Makes one child from ``n_parents`` parents' numerical params.

    Subclasses set :attr:`n_parents` and implement :meth:`crossover`; categorical params never
    reach them (NSGAIISampler crosses those uniformly).
    """

    def __str__(self) -> str:
        return type(self).__name__

    @property
    @abc.abstractmethod
    def n_parents(self) -> int:
        """How many parents one child needs."""

    @abc.abstractmethod
    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        """Return the child's params, (n_params,).

        Args:
            parents_params: The parents' params in the transformed space, (n_parents, n_params).
            rng: The sampler's random state.
            study: The study.
            search_space_bounds: Lower and upper bound of each param, (n_params, 2).
        """


def _number(where: str, argument: str, value: object) -> float:
    """``value`` as a float; a TypeError naming ``argument`` when it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise invalid_type(where, argument, value, "a float")
    return float(value)


def _probability(where: str, argument: str, value: float, low_open: bool = False) -> float:
    number = _number(where, argument, value)
    if not (0.0 < number <= 1.0 if low_open else 0.0 <= number <= 1.0):
        rule = "must be in (0, 1]" if low_open else "must be in [0, 1]"
        raise invalid(where, argument, value, rule)
    return number


def _positive(where: str, argument: str, value: float | None) -> float | None:
    if value is None:
        return None
    if not _number(where, argument, value) > 0:
        raise invalid(where, argument, value, "must be a float > 0")
    if not math.isfinite(value):
        raise invalid(where, argument, value, "must be finite")
    return float(value)


def distribution_index(where: str, value: float) -> float:
    """A distribution index ``eta`` of SBX or polynomial mutation: finite and >= 0 (Deb &
    Agrawal 1995 allow any non-negative number; 0 spreads children the widest)."""
    eta = _number(where, "eta", value)
    if not 0.0 <= eta < math.inf:
        raise invalid(where, "eta", value, "must be a finite float >= 0")
    return eta


class UniformCrossover(BaseCrossover):
    """Take each param from one of two parents (Syswerda 1989).

    Args:
        swapping_prob: Probability of taking a param from the second parent. In [0, 1].
    """

    n_parents = 2

    def __init__(self, swapping_prob: float = 0.5) -> None:
        self._swapping_prob = _probability("UniformCrossover", "swapping_prob", swapping_prob)

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        swap = rng.rand(parents_params.shape[1]) < self._swapping_prob
        return np.where(swap, parents_params[1], parents_params[0])  # type: ignore[no-any-return]


class BLXAlphaCrossover(BaseCrossover):
    """Draw each param uniformly from the parents' interval widened by ``alpha`` times its
    length at both ends (BLX-alpha, Eshelman & Schaffer 1993). Experimental.

    Args:
        alpha: The widening. Must be >= 0.
    """

    n_parents = 2

    def __init__(self, alpha: float = 0.5) -> None:
        warn_experimental("BLXAlphaCrossover")
        if not _number("BLXAlphaCrossover", "alpha", alpha) >= 0:
            raise invalid("BLXAlphaCrossover", "alpha", alpha, "must be a float >= 0")
        self._alpha = float(alpha)

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        low = parents_params.min(axis=0)
        high = parents_params.max(axis=0)
        spread = self._alpha * (high - low)
        return rng.uniform(low - spread, high + spread)  # type: ignore[no-any-return]


def _default_eta(eta: float | None, study: Study) -> float:
    # Deb & Agrawal 1995 suggest small indices for one objective; 20 is NSGA-II's usual one.
    if eta is not None:
        return eta
    return 20.0 if len(study.directions) > 1 else 2.0


def _one_child(
    parents_params: np.ndarray,
    children: tuple[np.ndarray, np.ndarray],
    rng: np.random.RandomState,
    uniform_crossover_prob: float,
    use_child_gene_prob: float,
) -> np.ndarray:
    """Merge the two children of an SBX-type crossover into one: swap them per param with
    ``uniform_crossover_prob``, keep the first, then take each param from it with
    ``use_child_gene_prob`` (from the first parent otherwise)."""
    n = parents_params.shape[1]
    swap = rng.rand(n) < uniform_crossover_prob
    child = np.where(swap, children[1], children[0])
    use_child = rng.rand(n) < use_child_gene_prob
    return np.where(use_child, child, parents_params[0])  # type: ignore[no-any-return]


class SBXCrossover(BaseCrossover):
    """Simulated binary crossover (Deb & Agrawal 1995), the bounded form of Deb's NSGA-II code:
    two children spread around the parents by a polynomial law, never past the bounds.
    Experimental.

    Args:
        eta: Distribution index (>= 0); larger keeps children closer to the parents. None: 2
            for one objective, 20 for several.
        uniform_crossover_prob: Probability of swapping the two children's values of a param
            before the first child is kept. In [0, 1].
        use_child_gene_prob: Probability of taking a param from the child rather than from the
            first parent. In (0, 1].
    """

    n_parents = 2

    def __init__(
        self,
        eta: float | None = None,
        uniform_crossover_prob: float = 0.5,
        use_child_gene_prob: float = 0.5,
    ) -> None:
        name = type(self).__name__
        warn_experimental(name)
        self._eta = None if eta is None else distribution_index(name, eta)
        self._uniform_crossover_prob = _probability(
            name, "uniform_crossover_prob", uniform_crossover_prob
        )
        self._use_child_gene_prob = _probability(
            name, "use_child_gene_prob", use_child_gene_prob, low_open=True
        )

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        eta = _default_eta(self._eta, study)
        children = self._children(parents_params, rng, search_space_bounds, eta)
        return _one_child(
            parents_params, children, rng, self._uniform_crossover_prob, self._use_child_gene_prob
        )

    def _children(
        self, parents: np.ndarray, rng: np.random.RandomState, bounds: np.ndarray, eta: float
    ) -> tuple[np.ndarray, np.ndarray]:
        y1 = parents.min(axis=0)
        y2 = parents.max(axis=0)
        low, high = bounds[:, 0], bounds[:, 1]
        gap = np.maximum(y2 - y1, 1e-14)
        u = rng.rand(len(y1))

        def spread(distance_to_bound: np.ndarray) -> np.ndarray:
            beta = 1.0 + 2.0 * distance_to_bound / gap
            alpha = 2.0 - beta ** -(eta + 1.0)
            return np.where(  # type: ignore[no-any-return]
                u <= 1.0 / alpha,
                (u * alpha) ** (1.0 / (eta + 1.0)),
                (1.0 / np.maximum(2.0 - u * alpha, 1e-300)) ** (1.0 / (eta + 1.0)),
            )

        c1 = 0.5 * (y1 + y2 - spread(np.maximum(y1 - low, 0.0)) * (y2 - y1))
        c2 = 0.5 * (y1 + y2 + spread(np.maximum(high - y2, 0.0)) * (y2 - y1))
        return np.clip(c1, low, high), np.clip(c2, low, high)


class VSBXCrossover(SBXCrossover):
    """vSBX (Ballester & Carter 2003): SBX whose children may land anywhere, between or
    beyond the parents, whatever the bounds. Experimental. Arguments as :class:`SBXCrossover`.
    """

    def _children(
        self, parents: np.ndarray, rng: np.random.RandomState, bounds: np.ndarray, eta: float
    ) -> tuple[np.ndarray, np.ndarray]:
        x1, x2 = parents[0], parents[1]
        n = len(x1)
        exponent = 1.0 / (eta + 1.0)
        u1 = np.clip(rng.rand(n), 1e-12, 1.0 - 1e-12)
        u2 = np.clip(rng.rand(n), 1e-12, 1.0 - 1e-12)
        # u <= 0.5 contracts towards the parents' middle, u > 0.5 expands beyond them.
        beta1 = np.where(u1 <= 0.5, (2.0 * u1) ** exponent, (0.5 / (1.0 - u1)) ** exponent)
        beta2 = np.where(u2 <= 0.5, (2.0 * u2) ** exponent, (0.5 / (1.0 - u2)) ** exponent)
        c1 = 0.5 * ((1.0 + beta1) * x1 + (1.0 - beta1) * x2)
        c2 = 0.5 * ((1.0 - beta2) * x1 + (1.0 + beta2) * x2)
        return c1, c2


class UNDXCrossover(BaseCrossover):
    """Unimodal normal distribution crossover (Ono & Kobayashi 1997; Kita et al. 1999): a
    child drawn from a normal distribution along the line through two parents, spread
    orthogonally to it by the third parent's distance from that line. Experimental.

    Args:
        sigma_xi: Standard deviation along the parents' line (> 0).
        sigma_eta: Standard deviation in each orthogonal direction (> 0); None: 0.35 /
            sqrt(n_params).
    """

    n_parents = 3

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        warn_experimental("UNDXCrossover")
        self._sigma_xi = _positive("UNDXCrossover", "sigma_xi", sigma_xi) or 0.5
        self._sigma_eta = _positive("UNDXCrossover", "sigma_eta", sigma_eta)

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        p1, p2, p3 = parents_params[0], parents_params[1], parents_params[2]
        n = len(p1)
        middle = 0.5 * (p1 + p2)
        d = p2 - p1
        length = float(np.linalg.norm(d))
        sigma_eta = self._sigma_eta or 0.35 / math.sqrt(n)
        child = middle + rng.normal(0.0, self._sigma_xi) * d
        if n == 1:
            return child  # type: ignore[no-any-return]
        if length > 0:
            e = d / length
            # Distance of the third parent from the line through the first two.
            offset = p3 - p1
            distance = float(np.linalg.norm(offset - (offset @ e) * e))
            # Orthonormal basis of the complement of ``e``: (n, n - 1).
            basis = np.linalg.qr(np.column_stack([e, np.eye(n)]))[0][:, 1:n]
        else:
            distance = float(np.linalg.norm(p3 - p1))
            basis = np.eye(n)
        etas = rng.normal(0.0, sigma_eta, basis.shape[1])
        return child + distance * (basis @ etas)  # type: ignore[no-any-return]


class SPXCrossover(BaseCrossover):
    """Simplex crossover (Tsutsui, Yamamura & Higuchi 1999): a child drawn uniformly from the
    parents' simplex expanded about its centroid by ``epsilon``. Experimental.

    Args:
        epsilon: Expansion rate (> 0); None: sqrt(n_params + 2).
    """

    n_parents = 3

    def __init__(self, epsilon: float | None = None) -> None:
        warn_experimental("SPXCrossover")
        self._epsilon = _positive("SPXCrossover", "epsilon", epsilon)

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        k, n = parents_params.shape
        epsilon = self._epsilon or math.sqrt(n + 2)
        centroid = parents_params.mean(axis=0)
        y = centroid + epsilon * (parents_params - centroid)  # the expanded vertices
        c = np.zeros(n)
        for i in range(1, k):
            r = rng.rand() ** (1.0 / i)
            c = r * (y[i - 1] - y[i] + c)
        return y[k - 1] + c  # type: ignore[no-any-return]
