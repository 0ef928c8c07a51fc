"""Callbacks for ``Study.optimize`` that ship with tansaku."""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study._study import Study


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states``, counting every worker.

    Example:
        >>> study.optimize(objective, callbacks=[MaxTrialsCallback(100)])

    Args:
        n_trials: The number of trials at which to stop.
        states: The states that count; None counts every trial.
    """

    def __init__(
        self, n_trials: int, states: Container[TrialState] | None = (TrialState.COMPLETE,)
    ) -> None:
        self._n_trials = n_trials
        self._states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if self._states is None:
            count = study._storage.get_n_trials(study._study_id)
        else:
            states = tuple(s for s in TrialState if s in self._states)
            count = study._storage.get_n_trials(study._study_id, states)
        if count >= self._n_trials:
            study.stop()
