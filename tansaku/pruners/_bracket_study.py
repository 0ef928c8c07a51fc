"""The view of a study that one Hyperband bracket sees: the same study, only its trials.

Imported on first use by :mod:`tansaku.pruners._hyperband` (a study sits above pruners).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any, cast

from tansaku._internal.study_direction import StudyDirection
from tansaku.storages import BaseStorage
from tansaku.study import Study
from tansaku.trial import FrozenTrial, TrialState


class BracketStorage:
    """A storage that reads like ``storage`` restricted to the trials ``in_bracket`` accepts;
    everything else, writes included, goes to ``storage`` unchanged.

    Its identity is the bracket's: samplers that keep a model per storage keep one per bracket.
    """

    def __init__(self, storage: BaseStorage, in_bracket: Callable[[int], bool]) -> None:
        self._storage = storage
        self._in_bracket = in_bracket

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        """The bracket's trials of the study, ordered by number."""
        in_bracket = self._in_bracket
        trials = self._storage.get_all_trials(study_id, deepcopy=deepcopy, states=states)
        return [trial for trial in trials if in_bracket(trial.number)]

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        """How many of the bracket's trials are in ``state``."""
        if isinstance(state, TrialState):
            state = (state,)
        return len(self.get_all_trials(study_id, deepcopy=False, states=state))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        """The bracket's best COMPLETE trial (ValueError when there is none)."""
        completed = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,))
        if not completed:
            raise ValueError("No trials are completed yet.")
        directions = self._storage.get_study_directions(study_id)
        pick = max if directions[0] == StudyDirection.MAXIMIZE else min
        return pick(completed, key=lambda t: t.values[0])  # type: ignore[index]


class BracketStudy(Study):
    """``study`` as one bracket sees it: trial reads see the bracket's trials only; writes,
    :meth:`stop` and :meth:`_unfiltered_study` go to ``study``.

    The view shares every attribute of ``study`` (sampler, pruner, caches, the per-thread state
    of a running :meth:`~tansaku.study.Study.optimize`) except its storage, so a sampler given
    the view knows whether it runs inside ``optimize`` and can stop it.
    """

    def __init__(self, study: Study, in_bracket: Callable[[int], bool]) -> None:
        # Not Study.__init__: the study exists already and its state is shared, not copied.
        self.__dict__.update(vars(study))
        self._storage = cast(BaseStorage, BracketStorage(study._storage, in_bracket))
        self.parent = study

    def _unfiltered_study(self) -> Study:
        """The whole study this view restricts."""
        return self.parent

    def stop(self) -> None:
        """Stop the study's running :meth:`~tansaku.study.Study.optimize`."""
        self.parent.stop()
