"""Improvement evaluators: how much room for improvement a study has left."""

from __future__ import annotations

import abc
import numbers
from typing import TYPE_CHECKING

import numpy as np

from tansaku._gp import fit_gp, standardize
from tansaku._gp._threads import single_threaded_blas
from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid, invalid_type
from tansaku.terminator._regret_bound import gp_inputs, standardized_regret_bound
from tansaku.terminator._trials import complete_trials

if TYPE_CHECKING:
    from tansaku.trial import FrozenTrial

DEFAULT_TOP_TRIALS_RATIO = 0.5
DEFAULT_MIN_N_TRIALS = 20
# The probability 1 - delta with which the regret bound holds (Makarova et al. 2022).
_DELTA = 0.1


class BaseImprovementEvaluator(metaclass=abc.ABCMeta):
    """The room for improvement left in a study, which the terminator compares with the
    objective's error (see :class:`~tansaku.terminator.Terminator`)."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The room for improvement, in the objective's units, given the study's trials."""


def check_count(where: str, argument: str, value: object, minimum: int) -> None:
    """Reject a count that is not an int of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise invalid_type(where, argument, value, "an int")
    if value < minimum:
        raise invalid(where, argument, value, f"must be >= {minimum}")


class RegretBoundEvaluator(BaseImprovementEvaluator):
    """An upper bound on how much better than the best trial the optimum can be.

    A GP is fitted to the best ``top_trials_ratio`` of the completed trials (at least
    ``min_n_trials`` of them, or all when there are fewer), and the bound is the gap between
    the lowest upper confidence bound at those trials and the lowest lower confidence bound
    over the search space, which holds with probability 0.9 under the model (Makarova et al.
    2022, "Automatic termination for hyperparameter optimization"). It is in the objective's
    units, so it compares directly with an error such as
    :class:`~tansaku.terminator.CrossValidationErrorEvaluator`'s.

    The model is tansaku's GP (the one :class:`~tansaku.samplers.GPSampler` uses, without
    torch), and the lowest lower bound is found by its acquisition search (Sobol candidates,
    then local search), not by random samples alone. When the top trials all have the same
    value, the bound is 0.

    Args:
        top_trials_ratio: The share of the completed trials, best first, that the GP is
            fitted to; in (0, 1].
        min_n_trials: The fewest trials the GP is fitted to (>= 1).
        seed: Seeds the search for the lowest lower bound.
    """

    def __init__(
        self,
        top_trials_ratio: float = DEFAULT_TOP_TRIALS_RATIO,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
        seed: int | None = None,
    ) -> None:
        warn_experimental("RegretBoundEvaluator")
        where = "RegretBoundEvaluator"
        if isinstance(top_trials_ratio, bool) or not isinstance(top_trials_ratio, numbers.Real):
            raise invalid_type(where, "top_trials_ratio", top_trials_ratio, "a float")
        if not 0.0 < top_trials_ratio <= 1.0:
            raise invalid(where, "top_trials_ratio", top_trials_ratio, "must be in (0, 1]")
        check_count(where, "min_n_trials", min_n_trials, 1)
        self._top_trials_ratio: float = float(top_trials_ratio)
        self._min_n_trials: int = int(min_n_trials)
        self._rng: np.random.Generator = np.random.default_rng(seed)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The regret bound of the best completed trial, in the objective's units (>= 0).

        Raises:
            ValueError: No trial has completed, or the completed trials share no param.
        """
        where = "RegretBoundEvaluator"
        space, rows, losses = gp_inputs(complete_trials(trials, where), study_direction)
        if space.n_columns == 0:
            raise ValueError(
                f"{where}: the completed trials share no param, so there is no search space "
                "to bound the regret over"
            )
        n = len(losses)
        n_top = int(np.clip(int(n * self._top_trials_ratio), self._min_n_trials, n))
        threshold = np.partition(losses, n_top - 1)[n_top - 1]
        top = losses <= threshold  # ties at the threshold are all kept
        if np.ptp(losses[top]) == 0.0:
            return 0.0
        standardized = standardize(losses[top])
        with single_threaded_blas():  # small matrices: threads only wait for each other
            gp = fit_gp(rows[top], standardized.y, space.categorical)
            bound = standardized_regret_bound(gp, space, rows[top], self._rng, _DELTA)
        return bound * standardized.scale


class BestValueStagnationEvaluator(BaseImprovementEvaluator):
    """The number of trials left before the best value has stagnated for too long.

    It is ``max_stagnation_trials`` minus the number of completed trials since the best one:
    below 0 once the best value has not improved for more than ``max_stagnation_trials``
    completed trials. Paired with ``StaticErrorEvaluator(0)`` (the terminator's default for
    it), the study stops then.

    Args:
        max_stagnation_trials: How many completed trials may pass without a new best (>= 0).
    """

    def __init__(self, max_stagnation_trials: int = 30) -> None:
        warn_experimental("BestValueStagnationEvaluator")
        check_count(
            "BestValueStagnationEvaluator", "max_stagnation_trials", max_stagnation_trials, 0
        )
        self._max_stagnation_trials = int(max_stagnation_trials)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """``max_stagnation_trials`` minus the completed trials since the (first) best one.

        Raises:
            ValueError: No trial has completed.
        """
        complete = complete_trials(trials, "BestValueStagnationEvaluator")
        sign = -1.0 if study_direction == StudyDirection.MAXIMIZE else 1.0
        losses = sign * np.array([trial.value for trial in complete], dtype=float)
        since_best = len(losses) - 1 - int(np.argmin(losses))
        return self._max_stagnation_trials - since_best
