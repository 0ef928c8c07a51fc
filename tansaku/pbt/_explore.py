"""Explore: move a donor's hyperparameters a little (perturb) or draw them anew (resample).

This is the explore step of population-based training (Jaderberg et al. 2017, section 3.1) with
the rules of Ray Tune's ``PopulationBasedTraining``: each mutated hyperparameter is resampled
from its distribution with probability ``resample_probability``; otherwise a number is
multiplied by one of ``perturbation_factors`` (drawn with equal chance) and a categorical value
moves to a neighbouring choice. Unlike Ray Tune, a perturbed number is clipped into its
distribution's range and put on its step grid, because a tansaku param must lie in the
distribution it is suggested with.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


def explore(
    params: Mapping[str, Any],
    mutations: Mapping[str, BaseDistribution],
    rng: random.Random,
    resample_probability: float,
    perturbation_factors: Sequence[float],
) -> dict[str, Any]:
    """The params of a child: ``params`` with each name of ``mutations`` explored.

    Names of ``params`` not in ``mutations`` are copied unchanged; names of ``mutations`` not
    in ``params`` are drawn from their distribution.
    """
    child = dict(params)
    for name in sorted(mutations):  # sorted: the draws do not depend on dict order
        distribution = mutations[name]
        if name not in params or rng.random() < resample_probability:
            child[name] = resample(distribution, rng)
        else:
            child[name] = perturb(params[name], distribution, rng, perturbation_factors)
    return child


def resample(distribution: BaseDistribution, rng: random.Random) -> Any:
    """A value drawn from ``distribution`` (log-uniform on a log scale), in external form."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[rng.randrange(len(distribution.choices))]
    assert isinstance(distribution, FloatDistribution | IntDistribution)
    low, high = float(distribution.low), float(distribution.high)
    if distribution.log:
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
    elif isinstance(distribution, IntDistribution):
        value = rng.uniform(low - 0.5, high + 0.5)  # every integer equally likely
    else:
        value = rng.uniform(low, high)
    return fit(value, distribution)


def perturb(
    value: Any,
    distribution: BaseDistribution,
    rng: random.Random,
    perturbation_factors: Sequence[float],
) -> Any:
    """``value`` times a factor drawn from ``perturbation_factors``, or a neighbouring choice."""
    if isinstance(distribution, CategoricalDistribution):
        choices = distribution.choices
        if value not in choices:
            return resample(distribution, rng)
        # A factor below 1 moves one choice down the list, above 1 one choice up (as Ray Tune).
        shift = -1 if rng.random() < 0.5 else 1
        index = min(max(choices.index(value) + shift, 0), len(choices) - 1)
        return choices[index]
    assert isinstance(distribution, FloatDistribution | IntDistribution)
    factor = perturbation_factors[rng.randrange(len(perturbation_factors))]
    return fit(float(value) * factor, distribution)


def fit(value: float, distribution: FloatDistribution | IntDistribution) -> Any:
    """``value`` clipped into ``distribution`` and rounded to its step, in external form."""
    low, high = distribution.low, distribution.high
    step = distribution.step
    if step is not None:
        value = low + round((value - low) / step) * step
    value = min(max(value, low), high)
    if isinstance(distribution, IntDistribution):
        return int(round(value))
    return float(value)


def as_distribution(where: str, name: str, spec: Any) -> BaseDistribution:
    """A mutation spec as a distribution: a distribution as it is, a list as its choices."""
    from tansaku._internal.validation import invalid_type

    if isinstance(spec, BaseDistribution):
        return spec
    if isinstance(spec, list | tuple) and len(spec) > 0:
        return CategoricalDistribution(tuple(spec))
    raise invalid_type(
        where,
        f"hyperparam_mutations[{name!r}]",
        spec,
        "a distribution or a non-empty list of choices",
    )
