"""NSGAIIISampler: NSGA-II with survival by reference points (Deb & Jain 2014)."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid, invalid_type
from tansaku.samplers._ga._constraints import ConstraintsFunc, losses, violations
from tansaku.samplers._nsgaiii._reference_points import das_dennis, select_by_reference_points
from tansaku.samplers.nsgaii._crossovers import BaseCrossover
from tansaku.samplers.nsgaii._mutations import BaseMutation
from tansaku.samplers.nsgaii._sampler import (
    AfterTrialStrategy,
    ChildStrategy,
    EliteStrategy,
    _NSGASampler,
)
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


class NSGAIIIElitePopulationSelectionStrategy:
    """NSGA-III's default ``elite_population_selection_strategy``.

    The niching draws at random; its generator is seeded from the population's trial numbers,
    so every worker that selects from the same trials selects the same parents.

    Args:
        population_size: How many trials survive.
        reference_points: (r, n_objectives) points in the normalized objective space, or None
            for Das-Dennis points with ``dividing_parameter`` divisions.
        dividing_parameter: Divisions of each axis for the default points.
        constraints_func: The sampler's ``constraints_func``, if any.
    """

    def __init__(
        self,
        *,
        population_size: int,
        reference_points: np.ndarray | None = None,
        dividing_parameter: int = 3,
        constraints_func: ConstraintsFunc | None = None,
    ) -> None:
        self._population_size = population_size
        self._reference_points = reference_points
        self._dividing_parameter = dividing_parameter
        self._constraints_func = constraints_func

    def __call__(self, study: Study, population: list[FrozenTrial]) -> list[FrozenTrial]:
        population = sorted(population, key=lambda t: t.number)
        loss = losses(study, population)
        violation = violations(population, self._constraints_func is not None)
        reference = self._reference_points
        if reference is None:
            reference = das_dennis(loss.shape[1], self._dividing_parameter)
        numbers = np.array([t.number for t in population], dtype=np.int64)
        rng = np.random.RandomState(zlib.crc32(numbers.tobytes()))
        keep = select_by_reference_points(loss, violation, self._population_size, reference, rng)
        return [population[i] for i in keep]


def _checked_reference_points(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    where = "NSGAIIISampler"
    try:
        points = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise invalid_type(where, "reference_points", value, "a 2-D array of floats") from None
    if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] == 0:
        raise invalid(
            where,
            "reference_points",
            value,
            f"must be a 2-D array (n_points, n_objectives), got shape {points.shape}",
        )
    if not np.all(np.isfinite(points)):
        raise invalid(where, "reference_points", value, "must be finite")
    return points


class NSGAIIISampler(_NSGASampler):
    """Many-objective genetic sampler: NSGA-III (Deb & Jain 2014).

    As :class:`~tansaku.samplers.NSGAIISampler`, except for survival: the front that does not
    fit whole into the next parents keeps the members nearest to the reference points that the
    survivors cover least, which keeps many objectives' fronts spread out where crowding
    distance fails. Tournaments compare constrained non-domination ranks only (no crowding
    distance).

    Difference from Optuna 5.0, on purpose: the niching's draws are seeded by the trials
    selected from, so that workers choosing the same generation's parents agree; the width of
    ``reference_points`` is checked against the study's objectives at the first trial.

    The other arguments (``population_size``, ``mutation``, ``mutation_prob``, ``crossover``,
    ``crossover_prob``, ``swapping_prob``, ``seed``, ``constraints_func``,
    ``elite_population_selection_strategy``, ``child_generation_strategy`` and
    ``after_trial_strategy``) are those of :class:`~tansaku.samplers.NSGAIISampler`.

    Args:
        reference_points: (n_points, n_objectives) target points in the normalized objective
            space (each objective from 0 at the best trial to about 1 at the extreme of its
            axis); the search favours the parts of the front nearest them. None: Das-Dennis
            points, evenly spread on the unit simplex.
        dividing_parameter: Divisions per axis of the default points (>= 1): C(n_objectives +
            p - 1, p) points for p divisions. Ignored with ``reference_points``.
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
        reference_points: np.ndarray | None = None,
        dividing_parameter: int = 3,
        elite_population_selection_strategy: EliteStrategy | None = None,
        child_generation_strategy: ChildStrategy | None = None,
        after_trial_strategy: AfterTrialStrategy | None = None,
    ) -> None:
        warn_experimental("NSGAIIISampler")
        where = type(self).__name__
        self._reference_points = _checked_reference_points(reference_points)
        if isinstance(dividing_parameter, bool) or not isinstance(
            dividing_parameter, int | np.integer
        ):
            raise invalid_type(where, "dividing_parameter", dividing_parameter, "an int")
        if dividing_parameter < 1:
            raise invalid(where, "dividing_parameter", dividing_parameter, "must be >= 1")
        self._setup(
            where,
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
            default_elite=NSGAIIIElitePopulationSelectionStrategy(
                population_size=population_size,
                reference_points=self._reference_points,
                dividing_parameter=int(dividing_parameter),
                constraints_func=constraints_func,
            ),
            use_crowding=False,
        )

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        points = self._reference_points
        if points is not None and points.shape[1] != len(study.directions):
            raise invalid(
                "NSGAIIISampler",
                "reference_points",
                points.tolist(),
                f"must have one column per objective ({len(study.directions)}), got "
                f"{points.shape[1]}",
            )
        super().before_trial(study, trial)
