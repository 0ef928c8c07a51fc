"""NSGA-II's breeding: tournament-selected parents, crossover, then mutation.

Per child (Deb et al. 2002, Sec. III-C): each parent wins a binary tournament among the
parent population (lower constrained rank wins, then the larger crowding distance); with
``crossover_prob`` the numerical params are crossed by the crossover and the categorical ones
uniformly, otherwise the first parent is copied; then each param mutates with
``mutation_prob``: a numerical one by the mutation if there is one, any other is left out of
the child so that it is drawn afresh at random.

What depends only on the parents (their ranks, crowding, encoded params) is computed once per
generation, so a child costs O(n_params) numpy work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku.distributions import BaseDistribution
from tansaku.samplers._ga._constraints import (
    ConstraintsFunc,
    constrained_ranks,
    losses,
    violations,
)
from tansaku.samplers.nsgaii._crossovers import BaseCrossover
from tansaku.samplers.nsgaii._elite import crowding_distance
from tansaku.samplers.nsgaii._mutations import BaseMutation
from tansaku.search_space import _SearchSpaceTransform
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study

# Draws of a crossover until its child lies inside the bounds, before clipping it there.
_MAX_CROSSOVER_DRAWS = 100


@dataclass
class _Parents:
    """One generation's parents as the breeding needs them."""

    trials: list[FrozenTrial]
    transform: _SearchSpaceTransform  # numerical params only: categoricals are crossed apart
    numerical_names: list[str]  # the param of each column
    numerical: np.ndarray  # (n_parents, n_columns) encoded params
    score: np.ndarray  # (n_parents,) tournament order: lower wins


class NSGAIIChildGenerationStrategy:
    """NSGA-II's default ``child_generation_strategy``.

    Args:
        crossover: Crosses the numerical params.
        crossover_prob: Probability of crossing a child's parents at all.
        swapping_prob: Probability of taking a categorical param from the second parent.
        mutation_prob: Probability of mutating each param; None: 1 / n_params.
        mutation: Mutates numerical params; None draws them afresh at random.
        constraints_func: The sampler's ``constraints_func``, if any.
        rng: The sampler's random state.
        use_crowding: Break rank ties in tournaments by crowding distance (NSGA-II); False
            breaks them at random (NSGA-III, whose survival keeps no crowding distance).
    """

    def __init__(
        self,
        *,
        crossover: BaseCrossover,
        crossover_prob: float,
        swapping_prob: float,
        mutation_prob: float | None,
        mutation: BaseMutation | None,
        constraints_func: ConstraintsFunc | None,
        rng: np.random.RandomState,
        use_crowding: bool = True,
    ) -> None:
        self._crossover = crossover
        self._crossover_prob = crossover_prob
        self._swapping_prob = swapping_prob
        self._mutation_prob = mutation_prob
        self._mutation = mutation
        self._constraints_func = constraints_func
        self.rng = rng
        self._use_crowding = use_crowding
        # The last parent population seen and what was derived from it: a generation's
        # parents do not change, so this is computed once per generation.
        self._cached: tuple[list[FrozenTrial], tuple[Any, ...], _Parents] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cached": None}

    def __call__(
        self,
        study: Study,
        search_space: dict[str, BaseDistribution],
        parent_population: list[FrozenTrial],
    ) -> dict[str, Any]:
        parents = self._parents(study, search_space, parent_population)
        rng = self.rng
        chosen = self._tournaments(parents.score, self._crossover.n_parents)
        transform = parents.transform
        categorical = transform.categorical_names
        first = parents.trials[chosen[0]]
        if rng.rand() < self._crossover_prob:
            child = self._cross(study, parents.numerical[chosen], transform.bounds)
            second = parents.trials[chosen[1]] if len(chosen) > 1 else first
            swap = rng.rand(len(categorical)) < self._swapping_prob
            choices = {n: (second if s else first).params[n] for n, s in zip(categorical, swap)}
        else:
            child = parents.numerical[chosen[0]].copy()
            choices = {n: first.params[n] for n in categorical}

        mutation_prob = self._mutation_prob
        if mutation_prob is None:
            mutation_prob = 1.0 / max(1, len(search_space))
        mutate = rng.rand(transform.n_columns) < mutation_prob
        dropped = set()
        for i in np.flatnonzero(mutate):
            if self._mutation is None:
                dropped.add(parents.numerical_names[i])
            else:
                child[i] = self._mutation.mutation(
                    float(child[i]), rng, study, transform.bounds[i]
                )
        for name, drop in zip(categorical, rng.rand(len(categorical)) < mutation_prob):
            if drop:
                dropped.add(name)
        params = {**transform.untransform(child), **choices}
        return {n: v for n, v in params.items() if n not in dropped}

    def _parents(
        self,
        study: Study,
        search_space: dict[str, BaseDistribution],
        population: list[FrozenTrial],
    ) -> _Parents:
        space_key = tuple((n, id(d)) for n, d in search_space.items())
        cached = self._cached
        if cached is not None and cached[0] is population and cached[1] == space_key:
            return cached[2]
        trials = sorted(population, key=lambda t: t.number)
        transform = _SearchSpaceTransform(search_space, one_hot=False)
        numerical_names = [transform.names[i] for i in transform.column_to_param]
        numerical = np.array([transform.transform(t.params) for t in trials]).reshape(
            len(trials), transform.n_columns
        )
        loss = losses(study, trials)
        ranks = constrained_ranks(loss, violations(trials, self._constraints_func is not None))
        second_key = np.zeros(len(trials))
        if self._use_crowding:
            for rank in np.unique(ranks):
                front = np.flatnonzero(ranks == rank)
                second_key[front] = -crowding_distance(loss[front])
        order = np.lexsort((second_key, ranks))
        score = np.empty(len(trials))
        score[order] = np.arange(len(trials))
        if not self._use_crowding:
            score = ranks.astype(float)
        parents = _Parents(trials, transform, numerical_names, numerical, score)
        self._cached = (population, space_key, parents)
        return parents

    def _tournaments(self, score: np.ndarray, n_parents: int) -> list[int]:
        """Indices of ``n_parents`` distinct parents, each the winner of a binary tournament
        among the parents not chosen yet (ties go to either at random)."""
        available = list(range(len(score)))
        chosen: list[int] = []
        randint = self.rng.randint
        for _ in range(n_parents):
            n = len(available)
            if n == 1:
                winner = available[0]
            else:
                i = randint(n)
                j = randint(n - 1)
                j += j >= i  # two distinct contestants
                a, b = available[i], available[j]
                winner = a if score[a] <= score[b] else b
            chosen.append(winner)
            available.remove(winner)
        return chosen

    def _cross(self, study: Study, rows: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """The crossover's child of ``rows``, drawn until it lies inside ``bounds``."""
        if rows.shape[1] == 0:
            return rows[0].copy()
        child = rows[0]
        for _ in range(_MAX_CROSSOVER_DRAWS):
            child = np.asarray(self._crossover.crossover(rows, self.rng, study, bounds), float)
            if child.shape != (rows.shape[1],):
                raise ValueError(
                    f"{self._crossover}.crossover returned shape {child.shape}; it must return "
                    f"one child of shape ({rows.shape[1]},)"
                )
            if np.all((bounds[:, 0] <= child) & (child <= bounds[:, 1])):
                return child
        return np.clip(child, bounds[:, 0], bounds[:, 1])  # type: ignore[no-any-return]
