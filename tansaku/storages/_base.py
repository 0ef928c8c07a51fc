"""BaseStorage: the contract every storage backend keeps (Optuna's, so third-party ones work).

A backend stores studies and their trials. Ids are assigned by the backend; trial numbers are
dense from 0 within a study. A trial in a finished state (COMPLETE, PRUNED, FAIL) never changes,
so callers and backends may cache finished trials freely.
"""

from __future__ import annotations

import abc
import bisect
from collections.abc import Container, Sequence
from typing import Any

from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid_type
from tansaku.distributions import BaseDistribution
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.storages._trial_cursor import TrialCursor
from tansaku.trial import FrozenTrial, TrialState

DEFAULT_STUDY_NAME_PREFIX = "no-name-"


def check_name(where: str, argument: str, name: object) -> None:
    """Raise TypeError when a study name, param name or attr key is not a str.

    Every backend refuses the same names: a database keeps them as text, so an int would come
    back as a str there (``7`` and ``"7"`` one param) and as an int in memory.
    """
    if not isinstance(name, str):
        raise invalid_type(where, argument, name, "a str")


def check_template_names(where: str, trial: FrozenTrial) -> None:
    """``check_name`` for the param names and attr keys of a trial to be copied."""
    for argument, names in (
        ("a param name", trial.distributions),
        ("a user attr key", trial.user_attrs),
        ("a system attr key", trial.system_attrs),
    ):
        for name in names:
            check_name(where, f"template_trial: {argument}", name)


class BaseStorage(abc.ABC):
    """Where studies and trials live. Subclass it to add a backend.

    The abstract methods are required; the others have implementations in terms of them that a
    backend may override with faster ones.
    """

    # -- studies --------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        """Create a study and return its id.

        Raises:
            DuplicatedStudyError: a study named ``study_name`` exists already.
        """

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials. Raises KeyError when there is no such study."""

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a user attr of a study."""

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a system attr of a study."""

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """Return the id of the study named ``study_name``. Raises KeyError if there is none."""

    @abc.abstractmethod
    def get_study_name_from_id(self, study_id: int) -> str:
        """Return the name of a study. Raises KeyError if there is none."""

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        """Return the directions of a study."""

    @abc.abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        """Return the user attrs of a study."""

    @abc.abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        """Return the system attrs of a study."""

    @abc.abstractmethod
    def get_all_studies(self) -> list[FrozenStudy]:
        """Return every study of the storage."""

    # -- trials ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        """Create a trial (RUNNING, or a copy of ``template_trial``) and return its id."""

    @abc.abstractmethod
    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        """Set a param of a running trial.

        Raises:
            ValueError: the distribution is incompatible with the one the study already has
                for this name.
            UpdateFinishedTrialError: the trial has finished.
        """

    @abc.abstractmethod
    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        """Return the id of the trial ``trial_number`` of a study. Raises KeyError if none."""

    @abc.abstractmethod
    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """Set the state (and values) of a trial.

        Returns:
            False when ``state`` is RUNNING and the trial is not WAITING any more (another worker
            claimed it first); True otherwise.

        Raises:
            UpdateFinishedTrialError: the trial has finished.
        """

    @abc.abstractmethod
    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        """Record an intermediate value of a running trial."""

    @abc.abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a user attr of a running trial."""

    @abc.abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a system attr of a running trial."""

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """Return a trial. Raises KeyError if there is none."""

    @abc.abstractmethod
    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        """Return the trials of a study ordered by number, optionally only those in ``states``.

        With ``deepcopy=False`` the returned trials may be shared with the storage's cache and
        must not be modified.
        """

    # -- derived, overridable -------------------------------------------------------------------
    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        """Count the trials of a study, optionally only those in ``state``."""
        if isinstance(state, TrialState):
            state = (state,)
        return len(self.get_all_trials(study_id, deepcopy=False, states=state))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        """Return the best COMPLETE trial of a single-objective study.

        Raises:
            RuntimeError: the study has several objectives.
            ValueError: no trial has completed yet.
        """
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            raise RuntimeError(
                "get_best_trial is for single-objective studies; use Study.best_trials"
            )
        completed = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,))
        if not completed:
            raise ValueError("No trials are completed yet.")
        maximize = directions[0] == StudyDirection.MAXIMIZE
        pick = max if maximize else min
        return pick(completed, key=_first_value)

    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        """Return the params of a trial."""
        return self.get_trial(trial_id).params

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        """Return the user attrs of a trial."""
        return self.get_trial(trial_id).user_attrs

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        """Return the system attrs of a trial."""
        return self.get_trial(trial_id).system_attrs

    def get_trial_number_from_id(self, trial_id: int) -> int:
        """Return the number of a trial."""
        return self.get_trial(trial_id).number

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        """Return one param of a trial in its internal representation."""
        trial = self.get_trial(trial_id)
        return trial.distributions[param_name].to_internal_repr(trial.params[param_name])

    def _get_trials_from(self, study_id: int, number: int) -> list[FrozenTrial]:
        """The trials of a study numbered ``number`` or more, ordered by number, as
        ``get_all_trials(study_id, deepcopy=False)`` has them (shared: do not modify).

        For a reader that folds the history as it grows (``search_space._FinishedTrialCursor``)
        and has folded everything below ``number``: a backend that keeps its trials in memory
        hands out that part alone, so such a read costs O(new and live trials), not O(history).
        This default reads the whole history and cuts it, so a storage that filters
        ``get_all_trials`` (a Hyperband bracket's) filters this read too.
        """
        trials = self.get_all_trials(study_id, deepcopy=False)
        return trials[bisect.bisect_left(trials, number, key=_number_of) :]

    def get_trials_changed_since(
        self,
        study_id: int,
        cursor: TrialCursor | None = None,
        *,
        intermediate_values: bool = True,
    ) -> tuple[list[FrozenTrial], TrialCursor]:
        """Return the trials of a study that may have changed since ``cursor``, and a new cursor.

        For a reader that keeps a study's trials and follows it as other processes add and
        finish trials (the dashboard): the trials returned are those numbered
        ``cursor.next_number`` or more and those of ``cursor.live_numbers`` (re-read whatever
        their state now), ordered by number. Finished trials never change, so replacing the
        kept trials by these keeps the reader's copy exact, and a backend that caches finished
        trials answers in O(new + live trials). The trials may be shared with the storage's
        cache: do not modify them.

        Args:
            study_id: The study's id.
            cursor: What the reader has seen; None (or ``TrialCursor()``) reads every trial.
            intermediate_values: False lets a backend that reads from a database leave out
                the intermediate values of the trials that were finished when it first read
                the study for such readers (their ``intermediate_values`` are then empty):
                they are most of a large study's rows, and a reader that shows them for one
                trial at a time reads that trial with ``get_trial``. Every other field, and
                every trial read live or later, is complete.

        Returns:
            The changed trials, and the cursor to pass next time.

        Raises:
            KeyError: there is no such study.
        """
        if cursor is None:
            cursor = TrialCursor()
        read = self._get_trials_numbered if intermediate_values else self._get_light_numbered
        changed = read(study_id, cursor.live_numbers, cursor.next_number)
        return changed, cursor.advanced(changed)

    def _get_light_numbered(
        self, study_id: int, numbers: Sequence[int], from_number: int
    ) -> list[FrozenTrial]:
        """``_get_trials_numbered`` for ``get_trials_changed_since(intermediate_values=False)``;
        a backend holding its trials in memory has nothing to spare and reads them whole."""
        return self._get_trials_numbered(study_id, numbers, from_number)

    def _get_trials_changed_since_without_params(
        self, study_id: int, cursor: TrialCursor | None = None
    ) -> tuple[list[FrozenTrial], TrialCursor]:
        """``get_trials_changed_since(study_id, cursor, intermediate_values=False)``, where a
        backend that reads from a database may also leave out the params and distributions of
        the trials finished at its first read of the study for such readers (they are then
        empty: a trial without params looks the same). Every other field, and every trial read
        live or later, is as ``get_trials_changed_since`` has it.

        For a reader that shows params for a page of trials at a time (the dashboard's study
        page): it reads those with ``_get_params_of_trials`` and the names with
        ``_get_param_names``. Params are a third of the rows of a study of ten params and
        twenty steps a trial. This default leaves nothing more out.
        """
        return self.get_trials_changed_since(study_id, cursor, intermediate_values=False)

    def _get_params_of_trials(
        self, study_id: int, trial_ids: Sequence[int] | None = None
    ) -> dict[int, tuple[dict[str, Any], dict[str, BaseDistribution]]]:
        """The params and distributions of trials of a study, by trial id: those of
        ``trial_ids`` (ids of other studies, or of no trial, left out), or all the study's.

        Dicts shared with the storage's trials: do not modify them. This default reads the
        trials whole.
        """
        trials = self.get_all_trials(study_id, deepcopy=False)
        if trial_ids is not None:
            wanted = set(trial_ids)
            trials = [t for t in trials if t._trial_id in wanted]
        return {t._trial_id: (t.params, t.distributions) for t in trials}

    def _get_param_names(self, study_id: int, states: Container[TrialState]) -> set[str]:
        """The names of the params of the study's trials in ``states``."""
        names: set[str] = set()
        for trial in self.get_all_trials(study_id, deepcopy=False, states=states):
            names.update(trial.distributions)
        return names

    def _get_trials_numbered(
        self, study_id: int, numbers: Sequence[int], from_number: int
    ) -> list[FrozenTrial]:
        """The trials of a study numbered in ``numbers`` (all below ``from_number``) or
        ``from_number`` and above, ordered by number, shared as ``get_all_trials(study_id,
        deepcopy=False)`` has them. The read behind ``get_trials_changed_since``; this default
        reads the whole history (or its tail, where ``_get_trials_from`` is fast).
        """
        if not numbers:
            return self._get_trials_from(study_id, from_number)
        trials = self.get_all_trials(study_id, deepcopy=False)
        first = bisect.bisect_left(trials, from_number, key=_number_of)
        wanted = set(numbers)
        return [trial for trial in trials[:first] if trial.number in wanted] + trials[first:]

    def remove_session(self) -> None:
        """Release connections held for the current thread (nothing to do by default)."""

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        """Raise UpdateFinishedTrialError when ``trial_state`` is a finished state."""
        if trial_state.is_finished():
            number = self.get_trial(trial_id).number
            raise UpdateFinishedTrialError(
                f"Trial#{number} has already finished and can not be updated."
            )


def _number_of(trial: FrozenTrial) -> int:
    return trial.number


def _first_value(trial: FrozenTrial) -> float:
    values = trial.values
    assert values is not None
    return values[0]
