"""The terminator: stop a study once the room for improvement is below the objective's error."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from tansaku._internal.validation import invalid
from tansaku.terminator._erroreval import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
)
from tansaku.terminator._improvement import (
    DEFAULT_MIN_N_TRIALS,
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
    check_count,
)
from tansaku.trial import TrialState

if TYPE_CHECKING:
    from tansaku._internal.study_direction import StudyDirection
    from tansaku.study import Study


class BaseTerminator(metaclass=abc.ABCMeta):
    """Decides whether a study should stop; :class:`~tansaku.terminator.TerminatorCallback`
    stops it when this says so."""

    @abc.abstractmethod
    def should_terminate(self, study: Study) -> bool:
        """Whether ``study`` should stop now."""


def default_error_evaluator(improvement_evaluator: BaseImprovementEvaluator) -> BaseErrorEvaluator:
    """The error evaluator that goes with ``improvement_evaluator`` when none is given: 0 for
    a stagnation count, the cross-validation error otherwise."""
    if isinstance(improvement_evaluator, BestValueStagnationEvaluator):
        return StaticErrorEvaluator(constant=0)
    return CrossValidationErrorEvaluator()


def single_direction(study: Study, where: str) -> StudyDirection:
    """The direction of a single-objective study; a ValueError naming ``study`` otherwise."""
    directions = study.directions
    if len(directions) != 1:
        raise invalid(
            where,
            "study",
            study.study_name,
            f"must have one objective, not {len(directions)}: the terminator compares one "
            "value's room for improvement with its error",
        )
    return directions[0]


class Terminator(BaseTerminator):
    """Stop a study once the room left for improvement is smaller than the objective's error.

    Past that point a better value may be noise rather than a better configuration, so more
    trials are unlikely to pay (Makarova et al. 2022, "Automatic termination for
    hyperparameter optimization"). Both quantities are computed on the study's trials at each
    call: by default the room for improvement is the GP regret bound
    (:class:`~tansaku.terminator.RegretBoundEvaluator`) and the error the cross-validation
    error of the best trial (:class:`~tansaku.terminator.CrossValidationErrorEvaluator`,
    which needs :func:`~tansaku.terminator.report_cross_validation_scores` in the objective).

    Optuna 5.0 deprecates its terminator; tansaku supports it and does not warn.

    Args:
        improvement_evaluator: Evaluates the room for improvement (default:
            ``RegretBoundEvaluator()``).
        error_evaluator: Evaluates the error (default: ``StaticErrorEvaluator(0)`` with a
            :class:`~tansaku.terminator.BestValueStagnationEvaluator`,
            ``CrossValidationErrorEvaluator()`` otherwise).
        min_n_trials: The fewest completed trials before the study may be stopped (>= 1).

    Raises:
        ValueError: ``min_n_trials`` is below 1.

    Example:
        .. code-block:: python

            terminator = tansaku.terminator.Terminator()
            while True:
                trial = study.ask()
                scores = cross_val_score(make_model(trial), X, y, cv=5)
                tansaku.terminator.report_cross_validation_scores(trial, scores)
                study.tell(trial, scores.mean())
                if terminator.should_terminate(study):
                    break
    """

    def __init__(
        self,
        improvement_evaluator: BaseImprovementEvaluator | None = None,
        error_evaluator: BaseErrorEvaluator | None = None,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
    ) -> None:
        check_count("Terminator", "min_n_trials", min_n_trials, 1)
        self._improvement_evaluator = improvement_evaluator or RegretBoundEvaluator()
        self._error_evaluator = error_evaluator or default_error_evaluator(
            self._improvement_evaluator
        )
        self._min_n_trials = int(min_n_trials)

    def should_terminate(self, study: Study) -> bool:
        """Whether the room for improvement of ``study`` is below its error.

        False while fewer than ``min_n_trials`` trials have completed.

        Raises:
            ValueError: ``study`` has several objectives.
        """
        direction = single_direction(study, "Terminator.should_terminate")
        trials = study.get_trials(deepcopy=False)
        n_complete = sum(trial.state == TrialState.COMPLETE for trial in trials)
        if n_complete < self._min_n_trials:
            return False
        improvement = self._improvement_evaluator.evaluate(
            trials=trials, study_direction=direction
        )
        error = self._error_evaluator.evaluate(trials=trials, study_direction=direction)
        return bool(improvement < error)
