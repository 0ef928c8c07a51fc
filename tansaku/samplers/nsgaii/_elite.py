"""NSGA-II's survival: the best ``population_size`` of a population by rank, then crowding.

Deb et al. 2002, Sec. III: fill the next parents front by front (constrained non-domination
ranks); the front that does not fit whole keeps its members with the largest crowding distance,
the ones in the emptiest part of their front. Ties keep the earlier trial, so every worker that
selects from the same trials selects the same parents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tansaku.samplers._ga._constraints import (
    ConstraintsFunc,
    constrained_ranks,
    losses,
    violations,
)
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


def crowding_distance(loss: np.ndarray) -> np.ndarray:
    """Crowding distance of each row of one front ``loss`` (n, m) (Deb et al. 2002, Fig. 6):
    the sum over objectives of the normalized gap between a row's two neighbours; the rows at
    either end of any objective get infinity."""
    n, m = loss.shape
    distance = np.zeros(n)
    if n <= 2:
        distance[:] = np.inf
        return distance
    order = np.argsort(loss, axis=0, kind="stable")  # (n, m)
    sorted_loss = np.take_along_axis(loss, order, axis=0)
    span = sorted_loss[-1] - sorted_loss[0]  # (m,)
    with np.errstate(invalid="ignore", divide="ignore"):
        gaps = (sorted_loss[2:] - sorted_loss[:-2]) / np.where(span > 0, span, np.inf)
    gaps = np.where(np.isfinite(gaps), gaps, 0.0)
    contribution = np.zeros((n, m))
    contribution[1:-1] = gaps
    contribution[0] = contribution[-1] = np.inf
    np.add.at(distance, order.ravel(), contribution.ravel())
    return distance


def select_elites(loss: np.ndarray, violation: np.ndarray, k: int) -> np.ndarray:
    """Row indices of the ``k`` survivors of NSGA-II's selection, in row order."""
    n = len(loss)
    if k >= n:
        return np.arange(n)
    ranks = constrained_ranks(loss, violation, n_needed=k)
    counts = np.bincount(ranks)
    last = int(np.searchsorted(np.cumsum(counts), k))  # the front that does not fit whole
    chosen = ranks < last
    front = np.flatnonzero(ranks == last)
    n_more = k - int(chosen.sum())
    if n_more:
        distance = crowding_distance(loss[front])
        chosen[front[np.argsort(-distance, kind="stable")[:n_more]]] = True
    return np.flatnonzero(chosen)


class NSGAIIElitePopulationSelectionStrategy:
    """NSGA-II's default ``elite_population_selection_strategy``.

    Args:
        population_size: How many trials survive.
        constraints_func: The sampler's ``constraints_func``, if any: without it, trials
            without constraint values count as feasible.
    """

    def __init__(
        self, *, population_size: int, constraints_func: ConstraintsFunc | None = None
    ) -> None:
        self._population_size = population_size
        self._constraints_func = constraints_func

    def __call__(self, study: Study, population: list[FrozenTrial]) -> list[FrozenTrial]:
        population = sorted(population, key=lambda t: t.number)
        loss = losses(study, population)
        violation = violations(population, self._constraints_func is not None)
        return [population[i] for i in select_elites(loss, violation, self._population_size)]
