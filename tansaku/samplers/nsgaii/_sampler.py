"""NSGAIISampler: the elitist non-dominated sorting genetic algorithm (Deb et al. 2002)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.deprecation import warn_deprecated, warn_experimental
from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import BaseDistribution
from tansaku.samplers._ga._base import BaseGASampler
from tansaku.samplers._ga._constraints import ConstraintsFunc, store_constraints
from tansaku.samplers._random import RandomSampler
from tansaku.samplers.nsgaii._child_generation import NSGAIIChildGenerationStrategy
from tansaku.samplers.nsgaii._crossovers import BaseCrossover, UniformCrossover
from tansaku.samplers.nsgaii._elite import NSGAIIElitePopulationSelectionStrategy
from tansaku.samplers.nsgaii._mutations import BaseMutation
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

EliteStrategy = Callable[["Study", list[FrozenTrial]], list[FrozenTrial]]
ChildStrategy = Callable[["Study", dict[str, BaseDistribution], list[FrozenTrial]], dict[str, Any]]
AfterTrialStrategy = Callable[["Study", FrozenTrial, TrialState, Sequence[float] | None], None]


def check_ga_arguments(
    where: str,
    population_size: Any,
    mutation: Any,
    mutation_prob: Any,
    crossover: Any,
    crossover_prob: Any,
    swapping_prob: Any,
) -> None:
    """Refuse bad arguments shared by NSGA-II and NSGA-III, naming the argument."""
    if isinstance(population_size, bool) or not isinstance(population_size, int | np.integer):
        raise invalid_type(where, "population_size", population_size, "an int")
    if population_size < 2:
        raise invalid(where, "population_size", population_size, "must be >= 2")
    for name, value, optional in (
        ("mutation_prob", mutation_prob, True),
        ("crossover_prob", crossover_prob, False),
        ("swapping_prob", swapping_prob, False),
    ):
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
            raise invalid_type(where, name, value, "a float in [0, 1]")
        if not 0.0 <= value <= 1.0:
            raise invalid(where, name, value, "must be in [0, 1]")
    # Not a ValueError's usual case, but the type Optuna raises here, which programs catch.
    if not isinstance(crossover, BaseCrossover):
        raise invalid(where, "crossover", crossover, "must be a BaseCrossover instance")
    if crossover.n_parents > population_size:
        raise invalid(
            where,
            "population_size",
            population_size,
            f"must be >= crossover.n_parents={crossover.n_parents} of {crossover}",
        )
    if mutation is not None and not isinstance(mutation, BaseMutation):
        raise invalid(where, "mutation", mutation, "must be a BaseMutation instance or None")


class _NSGASampler(BaseGASampler):
    """What NSGA-II and NSGA-III share: the arguments, breeding, and the trial hooks; they
    differ in survival (``elite_population_selection_strategy``)."""

    def _setup(
        self,
        where: str,
        *,
        population_size: int,
        mutation: BaseMutation | None,
        mutation_prob: float | None,
        crossover: BaseCrossover | None,
        crossover_prob: float,
        swapping_prob: float,
        seed: int | None,
        constraints_func: ConstraintsFunc | None,
        elite_population_selection_strategy: EliteStrategy | None,
        child_generation_strategy: ChildStrategy | None,
        after_trial_strategy: AfterTrialStrategy | None,
        default_elite: EliteStrategy,
        use_crowding: bool,
    ) -> None:
        """Validate and keep the arguments NSGA-II and NSGA-III share."""
        if crossover is None and isinstance(swapping_prob, int | float):
            crossover = UniformCrossover(swapping_prob) if 0 <= swapping_prob <= 1 else None
        check_ga_arguments(
            where,
            population_size,
            mutation,
            mutation_prob,
            crossover if crossover is not None else UniformCrossover(),
            crossover_prob,
            swapping_prob,
        )
        assert crossover is not None
        if constraints_func is not None:
            warn_deprecated(
                f"{where}(constraints_func=...)",
                "tansaku.trial.Trial.set_constraint",
                stacklevel=4,
            )
        for name, value in (
            ("elite_population_selection_strategy", elite_population_selection_strategy),
            ("child_generation_strategy", child_generation_strategy),
            ("after_trial_strategy", after_trial_strategy),
        ):
            if value is not None:
                warn_experimental(f"{where}({name}=...)", stacklevel=4)
        super().__init__(population_size)
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        self._random_sampler = RandomSampler(seed=seed)
        self._constraints_func = constraints_func
        self._elite_population_selection_strategy: EliteStrategy = (
            elite_population_selection_strategy or default_elite
        )
        self._child_generation_strategy: ChildStrategy = (
            child_generation_strategy
            or NSGAIIChildGenerationStrategy(
                crossover=crossover,
                crossover_prob=crossover_prob,
                swapping_prob=swapping_prob,
                mutation_prob=mutation_prob,
                mutation=mutation,
                constraints_func=constraints_func,
                rng=self._rng,
                use_crowding=use_crowding,
            )
        )
        self._after_trial_strategy = after_trial_strategy

    def reseed_rng(self) -> None:
        self._rng.seed()
        self._random_sampler.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        with self._lock, self._updating(study):
            state = self._state(study)
            state.refresh(study, trial.number)
            return state.search_space()

    def select_parent(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The survivors among generation ``generation - 1`` and its parents."""
        population = self.get_population(study, generation - 1)
        population += self.get_parent_population(study, generation - 1)
        return list(self._elite_population_selection_strategy(study, population))

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        generation = self.get_trial_generation(study, trial)
        parents = self.get_parent_population(study, generation)
        if not parents:
            return {}
        with self._lock:
            return self._child_generation_strategy(study, search_space, parents)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._random_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._after_trial_strategy is not None:
            self._after_trial_strategy(study, trial, state, values)
        elif self._constraints_func is not None and state == TrialState.COMPLETE:
            store_constraints(type(self).__name__, self._constraints_func, study, trial)


class NSGAIISampler(_NSGASampler):
    """Multi-objective genetic sampler: NSGA-II (Deb et al. 2002).

    The first generation (``population_size`` completed trials) is drawn at random. Each later
    generation breeds from parents chosen, once per generation, among the previous generation
    and its parents: the best ``population_size`` by non-domination rank, the last front that
    fits cut by crowding distance. A child takes params from parents that won binary
    tournaments, crossed with ``crossover_prob``, then mutated param by param. Params outside
    the relative search space (the params every completed trial had alike), and params chosen
    for mutation without a ``mutation``, are drawn at random.

    Constraints (``trial.set_constraint`` in the objective, or the deprecated
    ``constraints_func``) are handled by constrained domination: a feasible trial (every value
    <= 0) beats an infeasible one, of two infeasible trials the smaller total violation wins,
    and feasible trials compare by Pareto domination.

    Generations are stored in trial and study system attrs, so several processes on one
    storage run one population. Per-generation work (ranks, crowding, encoded parents) is done
    once per generation and process, so an ask costs about the same at any study size.

    Differences from Optuna 5.0, on purpose: survival breaks ties by trial number, so that
    workers choosing the same generation's parents agree; bad ``mutation``, ``crossover`` and
    probabilities raise errors that name them.

    Args:
        population_size: Completed trials per generation; >= 2 and >= ``crossover.n_parents``.
        mutation: Mutates numerical params (e.g.
            :class:`~tansaku.samplers.nsgaii.PolynomialMutation`); None draws a param chosen
            for mutation afresh at random.
        mutation_prob: Probability of mutating each param of a child, in [0, 1]; None: 1 over
            the number of params.
        crossover: Crosses numerical params (default
            :class:`~tansaku.samplers.nsgaii.UniformCrossover` with ``swapping_prob``);
            categorical params always cross uniformly.
        crossover_prob: Probability that a child's parents are crossed, in [0, 1]; otherwise
            the child copies its first parent.
        swapping_prob: Probability of taking a param from the second parent in a uniform
            crossover, in [0, 1].
        seed: Seed of the random generators: the same seed gives the same params in a run
            with ``n_jobs=1``.
        constraints_func: Deprecated: call ``trial.set_constraint`` in the objective instead.
            A function of a completed trial returning its constraint values (<= 0 feasible).
        elite_population_selection_strategy: ``(study, population) -> parents``: replaces the
            survival. Experimental.
        child_generation_strategy: ``(study, search_space, parent_population) -> params``:
            replaces the breeding. Experimental.
        after_trial_strategy: ``(study, trial, state, values) -> None``: called after each
            trial instead of the default (which stores ``constraints_func``'s values).
            Experimental.
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation: BaseMutation | None = None,
        mutation_prob: float | None = None,
        crossover: BaseCrossover | None = None,
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: ConstraintsFunc | None = None,
        elite_population_selection_strategy: EliteStrategy | None = None,
        child_generation_strategy: ChildStrategy | None = None,
        after_trial_strategy: AfterTrialStrategy | None = None,
    ) -> None:
        self._setup(
            type(self).__name__,
            population_size=population_size,
            mutation=mutation,
            mutation_prob=mutation_prob,
            crossover=crossover,
            crossover_prob=crossover_prob,
            swapping_prob=swapping_prob,
            seed=seed,
            constraints_func=constraints_func,
            elite_population_selection_strategy=elite_population_selection_strategy,
            child_generation_strategy=child_generation_strategy,
            after_trial_strategy=after_trial_strategy,
            default_elite=NSGAIIElitePopulationSelectionStrategy(
                population_size=population_size, constraints_func=constraints_func
            ),
            use_crowding=True,
        )
