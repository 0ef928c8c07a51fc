"""The evaluator contract and what every evaluator does alike: check ``params``, read the
completed trials, turn them into target values and sort the answer."""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid_type
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study import Study

Target = Callable[[FrozenTrial], float]

# The hint every "several objectives" message ends with.
TARGET_HINT = "for example target=lambda t: t.values[0] for the first objective"


class BaseImportanceEvaluator(abc.ABC):
    """Abstract parameter importance evaluator.

    An evaluator turns the completed trials of a study into one non-negative number per param:
    the larger, the more the param matters. Use it through
    :func:`~tansaku.importance.get_param_importances`, which also normalizes the numbers.
    """

    @abc.abstractmethod
    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: Callable[[FrozenTrial], float] | None = None,
    ) -> dict[str, float]:
        """Assess the importance of params from the completed trials of ``study``.

        Not meant to be called directly: :func:`~tansaku.importance.get_param_importances`
        calls it and normalizes the answer.

        Args:
            study: An optimized study.
            params: Names of the params to assess; :obj:`None` for the evaluator's default
                set (see each evaluator).
            target: The value to explain, computed from each trial; :obj:`None` uses the
                objective value of a single-objective study. With several objectives pass
                one, e.g. ``target=lambda t: t.values[0]``.

        Returns:
            Param name to importance (non-negative), ordered from most to least important.
        """
        raise NotImplementedError


def check_params_argument(params: Any) -> None:
    """Reject a ``params`` that is not a list (or tuple) of names.

    Raises:
        TypeError: ``params`` is a string or some other non-list, or holds a non-string.
    """
    if params is None:
        return
    if not isinstance(params, (list, tuple)):
        raise invalid_type("get_param_importances", "params", params, "a list of param names")
    for name in params:
        if not isinstance(name, str):
            raise invalid_type("get_param_importances", "params", params, "a list of str")


def completed_trials(study: Study) -> list[FrozenTrial]:
    """The COMPLETE trials of ``study``, shared with the storage (read-only)."""
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def require_target_for_several_objectives(study: Study, target: Target | None, who: str) -> None:
    """Raise for a multi-objective study without a ``target``, which ``who`` needs.

    Raises:
        ValueError: ``study`` has several objectives and ``target`` is None.
    """
    if target is None and study._is_multi_objective():
        raise ValueError(
            f"{who}: the study has {len(study.directions)} objectives; pass the target to "
            f"explain, {TARGET_HINT}"
        )


def target_values(trials: Sequence[FrozenTrial], target: Target | None) -> np.ndarray:
    """One float per trial: ``target(trial)``, or the trial's single objective value.

    Raises:
        TypeError: ``target`` returned something other than one real number (e.g. the tuple of
            all objective values of a multi-objective study).
    """
    if target is None:
        return np.fromiter((trial.value for trial in trials), dtype=float, count=len(trials))
    values = np.empty(len(trials))
    for row, trial in enumerate(trials):
        value = target(trial)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"get_param_importances: target must return one float per trial, got {value!r} "
                f"of type {type(value).__name__} for trial {trial.number}; with several "
                f"objectives pick one, {TARGET_HINT}"
            )
        values[row] = value
    return values


def domain_key(distribution: BaseDistribution | None) -> object:
    """A key cheaper to hash than the distribution itself (this runs once per trial and param):
    unequal distributions never share a key; equal ones almost always do."""
    d = distribution
    if isinstance(d, (FloatDistribution, IntDistribution)):
        return (type(d), d.low, d.high, d.log, d.step)
    if isinstance(d, CategoricalDistribution):
        return (type(d), d.choices, tuple(map(type, d.choices)))
    return d


def all_values_finite(trial: FrozenTrial) -> bool:
    """Whether every objective value of ``trial`` is finite."""
    values = trial.values
    return values is not None and all(math.isfinite(v) for v in values)


def sorted_by_importance(importances: Mapping[str, float]) -> dict[str, float]:
    """``importances`` as plain floats, most important first; ties keep the names' order."""
    ranked = sorted(importances.items(), key=lambda item: -item[1])
    return {name: float(value) for name, value in ranked}


def zeros(names: Iterable[str]) -> dict[str, float]:
    """Importance 0 for every name, which :func:`get_param_importances` normalizes to equal
    shares: what is answered when there is too little data to tell params apart."""
    return dict.fromkeys(names, 0.0)


def warn_experimental_argument(option_name: str) -> None:
    """Warn that the argument ``option_name`` of an importance function is experimental."""
    warn_experimental(f"argument {option_name!r}", stacklevel=4)
