"""BracketStorage: a storage whose trial reads keep only the trials of one Hyperband bracket.

The storage half of :class:`~tansaku.pruners._bracket_study.BracketStudy`. Every method of
:class:`~tansaku.storages.BaseStorage` is written out: the reads that list or count a study's
trials keep the bracket's only, everything else (writes, reads of one trial or of the study's
attrs) goes to the wrapped storage unchanged. A backend's own extra methods are not forwarded,
so nothing can read the whole study through the view by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from typing import Any

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution
from tansaku.storages import BaseStorage, FrozenStudy
from tansaku.trial import FrozenTrial, TrialState


class BracketStorage(BaseStorage):
    """``storage`` restricted, for reads of a study's trials, to those ``in_bracket`` accepts.

    :meth:`get_n_trials` and :meth:`get_best_trial` are BaseStorage's, written in terms of
    the filtered :meth:`get_all_trials`. Its identity is the bracket's: samplers and pruners
    that keep a cache per storage keep one per bracket.

    Args:
        storage: The study's storage.
        in_bracket: Whether the trial with this number belongs to the bracket.
    """

    def __init__(self, storage: BaseStorage, in_bracket: Callable[[int], bool]) -> None:
        self._storage = storage
        self._in_bracket = in_bracket

    # -- the bracket's trials -------------------------------------------------------------------
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

    # -- studies: the wrapped storage's ---------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        return self._storage.create_new_study(directions, study_name)

    def delete_study(self, study_id: int) -> None:
        self._storage.delete_study(study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._storage.set_study_user_attr(study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._storage.set_study_system_attr(study_id, key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._storage.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._storage.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._storage.get_study_directions(study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._storage.get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._storage.get_study_system_attrs(study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        return self._storage.get_all_studies()

    # -- single trials and writes: the wrapped storage's ----------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        return self._storage.create_new_trial(study_id, template_trial)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        self._storage.set_trial_param(trial_id, param_name, param_value_internal, distribution)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._storage.get_trial_id_from_study_id_trial_number(study_id, trial_number)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        return self._storage.set_trial_state_values(trial_id, state, values)

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        self._storage.set_trial_intermediate_value(trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._storage.set_trial_user_attr(trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._storage.set_trial_system_attr(trial_id, key, value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._storage.get_trial(trial_id)

    # The wrapped storage may answer these faster than BaseStorage's defaults.
    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        return self._storage.get_trial_params(trial_id)

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        return self._storage.get_trial_user_attrs(trial_id)

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        return self._storage.get_trial_system_attrs(trial_id)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self._storage.get_trial_number_from_id(trial_id)

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        return self._storage.get_trial_param(trial_id, param_name)

    def remove_session(self) -> None:
        self._storage.remove_session()

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        self._storage.check_trial_is_updatable(trial_id, trial_state)
