"""Stop ``Study.optimize`` when a terminator says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tansaku._internal.validation import invalid_type
from tansaku.logging import get_logger
from tansaku.terminator._terminator import BaseTerminator, Terminator

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

_logger = get_logger(__name__)


class TerminatorCallback:
    """A callback of :meth:`~tansaku.Study.optimize` that stops the study once its terminator
    says that more trials will not pay.

    It asks the terminator after every trial and calls :meth:`~tansaku.Study.stop` when it
    says so; the trials already running finish.

    Args:
        terminator: Decides when to stop (default: ``Terminator()``, the GP regret bound
            against the cross-validation error).

    Example:
        .. code-block:: python

            def objective(trial):
                scores = cross_val_score(make_model(trial), X, y, cv=5)
                tansaku.terminator.report_cross_validation_scores(trial, scores)
                return scores.mean()

            study = tansaku.create_study(direction="maximize")
            study.optimize(
                objective, n_trials=200, callbacks=[tansaku.terminator.TerminatorCallback()]
            )
    """

    def __init__(self, terminator: BaseTerminator | None = None) -> None:
        if terminator is not None and not isinstance(terminator, BaseTerminator):
            raise invalid_type("TerminatorCallback", "terminator", terminator, "a BaseTerminator")
        self._terminator = terminator or Terminator()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """Stop ``study`` if the terminator says so (called after each trial)."""
        if self._terminator.should_terminate(study=study):
            _logger.info("The study has been stopped by the terminator.")
            study.stop()
