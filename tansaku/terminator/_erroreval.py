"""Error evaluators: how much of a difference between two objective values is noise.

The terminator stops a study once the room left for improvement is smaller than this error:
below it, a "better" trial could as well be luck.
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid, invalid_type
from tansaku.terminator._trials import best_trial, complete_trials

if TYPE_CHECKING:
    from tansaku._internal.study_direction import StudyDirection
    from tansaku.trial import FixedTrial, FrozenTrial, Trial

# The system attr that holds a trial's cross-validation scores; Optuna's key, so that a study
# shared with Optuna programs reads the same.
CROSS_VALIDATION_SCORES_KEY = "terminator:cv_scores"


class BaseErrorEvaluator(metaclass=abc.ABCMeta):
    """The statistical error of a study's objective, against which the terminator compares the
    room left for improvement (see :class:`~tansaku.terminator.Terminator`)."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The error of the objective, given the study's trials and direction."""


class CrossValidationErrorEvaluator(BaseErrorEvaluator):
    """The error of an objective that is the mean of k cross-validation scores.

    The error is the standard deviation of that mean, corrected for the overlap of the k
    training sets (Nadeau & Bengio 2003, "Inference for the generalization error": the
    variance of the k scores times ``1/k + 1/(k-1)``), for the scores of the best completed
    trial, as reported by :func:`report_cross_validation_scores`.
    """

    # The warning is given on creation without an ``__init__`` of its own, so that the
    # constructor's signature is object's, as Optuna's.
    def __new__(cls, *args: Any, **kwargs: Any) -> CrossValidationErrorEvaluator:
        if args or kwargs:
            raise TypeError("CrossValidationErrorEvaluator() takes no arguments")
        warn_experimental("CrossValidationErrorEvaluator")
        return super().__new__(cls)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The corrected standard deviation of the best completed trial's mean score.

        Args:
            trials: The trials of the study; the best completed one is read.
            study_direction: Whether higher or lower values are better.

        Raises:
            ValueError: No trial has completed, or the best one has no reported scores.
        """
        best = best_trial(
            complete_trials(trials, "CrossValidationErrorEvaluator"), study_direction
        )
        scores = best.system_attrs.get(CROSS_VALIDATION_SCORES_KEY)
        if scores is None:
            raise ValueError(
                f"CrossValidationErrorEvaluator: the best trial (number {best.number}) has no "
                "cross-validation scores; call report_cross_validation_scores(trial, scores) "
                "in the objective"
            )
        k = len(scores)
        variance = float(np.var(scores)) * (1.0 / k + 1.0 / (k - 1))
        return math.sqrt(variance)


def report_cross_validation_scores(trial: Trial | FixedTrial, scores: Sequence[float]) -> None:
    """Store the k cross-validation scores whose mean a trial returns, for
    :class:`CrossValidationErrorEvaluator`.

    Call it in the objective, before returning the mean of ``scores``.

    Args:
        trial: The running trial.
        scores: Its k >= 2 finite scores (e.g. what ``cross_val_score`` returns).

    Raises:
        ValueError: Fewer than two scores, or one is not finite.
        TypeError: A score is not a number.
    """
    where = "report_cross_validation_scores"
    try:
        values = [float(score) for score in scores]
    except (TypeError, ValueError):
        raise invalid_type(where, "scores", scores, "a sequence of numbers") from None
    if len(values) < 2:
        raise invalid(where, "scores", list(scores), "must hold at least two scores")
    if not all(math.isfinite(value) for value in values):
        raise invalid(where, "scores", values, "must all be finite")
    trial.set_system_attr(CROSS_VALIDATION_SCORES_KEY, values)


class StaticErrorEvaluator(BaseErrorEvaluator):
    """An error that is always ``constant``: the study stops once the room for improvement
    falls below it (with :class:`~tansaku.terminator.BestValueStagnationEvaluator`, 0 stops
    once the best value has not moved for the allowed number of trials).

    Args:
        constant: The error to return.
    """

    def __init__(self, constant: float) -> None:
        warn_experimental("StaticErrorEvaluator")
        if isinstance(constant, bool) or not isinstance(constant, numbers.Real):
            raise invalid_type("StaticErrorEvaluator", "constant", constant, "a number")
        if math.isnan(float(constant)):
            raise invalid("StaticErrorEvaluator", "constant", constant, "must not be NaN")
        self._constant: float = constant

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The constant, whatever the trials."""
        return self._constant
