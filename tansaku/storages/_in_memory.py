"""InMemoryStorage: studies kept in this process, safe for threads (``n_jobs > 1``)."""

from __future__ import annotations

import bisect
import copy
import dataclasses
import datetime
import threading
import uuid
from collections.abc import Container, Sequence
from typing import Any, NoReturn

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution, check_distribution_compatibility
from tansaku.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from tansaku.storages._base import (
    DEFAULT_STUDY_NAME_PREFIX,
    BaseStorage,
    check_name,
    check_template_names,
)
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.storages._stored_values import SharedSpaces
from tansaku.trial import FrozenTrial, TrialState
from tansaku.trial._state import FINISHED_STATES

_N_STATES = len(TrialState)
_ALL_STATES = tuple(TrialState)
# A trial's (datetime_start, datetime_complete).
_Times = tuple[datetime.datetime | None, datetime.datetime | None]


def _number_of(trial: FrozenTrial) -> int:
    return trial.number


class _StudyRecord:
    """Everything kept about one study, with indexes kept up to date on every write."""

    __slots__ = (
        "study_id",
        "name",
        "directions",
        "user_attrs",
        "system_attrs",
        "trials",
        "param_distributions",
        "waiting",
        "running",
        "by_state",
        "best_number",
    )

    def __init__(self, study_id: int, name: str, directions: list[StudyDirection]) -> None:
        self.study_id = study_id
        self.name = name
        self.directions = directions
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.trials: list[FrozenTrial] = []
        self.param_distributions: dict[str, BaseDistribution] = {}
        # Numbers of live trials, in insertion order (dicts used as ordered sets).
        self.waiting: dict[int, None] = {}
        self.running: dict[int, None] = {}
        # Finished trials of each final state, ordered by number.
        self.by_state: list[list[FrozenTrial]] = [[] for _ in range(_N_STATES)]
        self.best_number: int | None = None


_SCALARS = (str, int, float, bool, type(None))
_SCALAR_TYPES = frozenset(_SCALARS)


def _owned(value: Any) -> Any:
    """A copy of an attr value that the caller cannot change afterwards by mutating theirs.

    JSON values (lists and str-keyed dicts of scalars, what samplers store: CMA-ES writes a
    dict of ~15 entries per generation) are copied directly, ~3x faster than ``deepcopy``;
    anything else goes through ``deepcopy``. (Unlike ``deepcopy``, a list held twice is
    copied twice, as every persistent storage reads it back.)
    """
    kind = type(value)
    if kind in _SCALAR_TYPES:
        return value
    if kind is list:
        return [_owned(item) for item in value]
    if kind is dict and all(type(key) is str for key in value):
        return {key: _owned(item) for key, item in value.items()}
    return value if isinstance(value, _SCALARS) else copy.deepcopy(value)


def _snapshot(trial: FrozenTrial) -> FrozenTrial:
    """Copy a live trial's record so later writes to it do not show in what was handed out."""
    return trial.__deepcopy__({})


class InMemoryStorage(BaseStorage):
    """Keeps studies in this process's memory; the default storage of ``create_study``.

    Threads of ``study.optimize(n_jobs=...)`` share it safely. Finished trials are stored once
    and shared with readers (``get_all_trials(deepcopy=False)`` hands out the stored objects);
    live trials are copied when read. Best trials, per-state lists and counts are kept as
    trials finish, so none of them rescans the history.

    Locking, the one rule: the records (studies, trials and their indexes) are read and
    written only by this class's own methods, public or in-package, and each of them holds
    ``self._lock`` (not reentrant) for its whole body; helpers named ``*_locked``, and the
    ``_study``/``_live_trial``/``_index_new_state`` helpers, expect it held and never take it.
    A caller holds no lock of this storage, and no method hands out the stored object of a
    live trial (finished trials never change, so sharing those is safe).
    """

    # Whether names are checked (off for a journal's replay, whose records were written by
    # any version of tansaku or Optuna and are taken as they are).
    _checks_names = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[int, _StudyRecord] = {}
        self._study_ids_by_name: dict[str, int] = {}
        # trial_id -> (study record, trial number)
        self._trial_index: dict[int, tuple[_StudyRecord, int]] = {}
        self._next_study_id = 0
        self._next_trial_id = 0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- studies --------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        if self._checks_names and study_name is not None:
            check_name("InMemoryStorage", "study_name", study_name)
        with self._lock:
            if study_name is None:
                study_name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
            if study_name in self._study_ids_by_name:
                raise DuplicatedStudyError(
                    f"Another study with name {study_name!r} already exists."
                )
            study_id = self._next_study_id
            self._next_study_id += 1
            self._studies[study_id] = _StudyRecord(study_id, study_name, list(directions))
            self._study_ids_by_name[study_name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            record = self._study(study_id)
            for trial in record.trials:
                del self._trial_index[trial._trial_id]
            del self._study_ids_by_name[record.name]
            del self._studies[study_id]

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        if self._checks_names:
            check_name("InMemoryStorage", "key", key)
        with self._lock:
            self._study(study_id).user_attrs[key] = _owned(value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        if self._checks_names:
            check_name("InMemoryStorage", "key", key)
        with self._lock:
            self._study(study_id).system_attrs[key] = _owned(value)

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            if study_name not in self._study_ids_by_name:
                raise KeyError(f"No study named {study_name!r} in the storage.")
            return self._study_ids_by_name[study_name]

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._lock:
            return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        with self._lock:
            return list(self._study(study_id).directions)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).user_attrs)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).system_attrs)

    def get_all_studies(self) -> list[FrozenStudy]:
        with self._lock:
            return [
                FrozenStudy(
                    study_name=record.name,
                    direction=None,
                    directions=record.directions,
                    user_attrs=dict(record.user_attrs),
                    system_attrs=dict(record.system_attrs),
                    study_id=record.study_id,
                )
                for record in self._studies.values()
            ]

    def _study(self, study_id: int) -> _StudyRecord:
        record = self._studies.get(study_id)
        if record is None:
            raise KeyError(f"No study with study_id {study_id} in the storage.")
        return record

    # -- trials ---------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if self._checks_names and template_trial is not None:
            check_template_names("InMemoryStorage.create_new_trial", template_trial)
        with self._lock:
            record = self._study(study_id)
            if template_trial is None:
                trial = FrozenTrial(
                    -1,
                    TrialState.RUNNING,
                    None,
                    datetime.datetime.now(),
                    None,
                    {},
                    {},
                    {},
                    {},
                    {},
                    -1,
                )
            else:
                trial = template_trial.__deepcopy__({})
            return self._append_trial_locked(record, trial, None)

    def _append_trial_locked(
        self, record: _StudyRecord, trial: FrozenTrial, trial_id: int | None
    ) -> int:
        """Store ``trial`` itself as the next trial of ``record``, under ``trial_id`` (by
        default the next unused id); number and id are set on it. Returns the id."""
        if trial_id is None:
            trial_id = self._next_trial_id
            self._next_trial_id += 1
        number = len(record.trials)
        trial.number = number
        trial._trial_id = trial_id
        for name, distribution in trial.distributions.items():
            self._check_param_distribution(record, name, distribution)
        record.trials.append(trial)
        self._trial_index[trial_id] = (record, number)
        self._index_new_state(record, trial)
        return trial_id

    def _check_param_distribution(
        self, record: _StudyRecord, name: str, distribution: BaseDistribution
    ) -> None:
        known = record.param_distributions.get(name)
        if known is None:
            record.param_distributions[name] = distribution
        elif known is not distribution:
            check_distribution_compatibility(known, distribution)
            record.param_distributions[name] = distribution

    def _index_new_state(self, record: _StudyRecord, trial: FrozenTrial) -> None:
        state = trial.state
        number = trial.number
        if state is TrialState.WAITING:
            record.waiting[number] = None
        elif state is TrialState.RUNNING:
            record.running[number] = None
        else:
            finished = record.by_state[state]
            if not finished or finished[-1].number < number:
                finished.append(trial)  # the usual case: trials finish in order
            else:
                bisect.insort(finished, trial, key=_number_of)
            if state is TrialState.COMPLETE and len(record.directions) == 1:
                self._update_best(record, trial)

    @staticmethod
    def _update_best(record: _StudyRecord, trial: FrozenTrial) -> None:
        if record.best_number is None:
            record.best_number = trial.number
            return
        best = record.trials[record.best_number]
        assert best.values is not None and trial.values is not None
        if record.directions[0] == StudyDirection.MAXIMIZE:
            better = trial.values[0] > best.values[0]
        else:
            better = trial.values[0] < best.values[0]
        if better:
            record.best_number = trial.number

    def _live_trial(self, trial_id: int) -> tuple[_StudyRecord, FrozenTrial]:
        entry = self._trial_index.get(trial_id)
        if entry is None or entry[0].trials[entry[1]].state in FINISHED_STATES:
            self._refuse_update(trial_id)
        record, number = entry
        return record, record.trials[number]

    def _refuse_update(self, trial_id: int) -> NoReturn:
        """Raise why the trial cannot be updated: there is none, or it has finished."""
        entry = self._trial_index.get(trial_id)
        if entry is None:
            raise KeyError(f"No trial with trial_id {trial_id} in the storage.")
        raise UpdateFinishedTrialError(
            f"Trial#{entry[1]} has already finished and can not be updated."
        )

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        if self._checks_names:
            check_name("InMemoryStorage", "param_name", param_name)
        with self._lock:
            # _live_trial's lines, inlined: a call more per param costs ~5% of an ask/tell.
            entry = self._trial_index.get(trial_id)
            if entry is None or entry[0].trials[entry[1]].state in FINISHED_STATES:
                self._refuse_update(trial_id)
            record, number = entry
            trial = record.trials[number]
            if record.param_distributions.get(param_name) is not distribution:
                self._check_param_distribution(record, param_name, distribution)
            trial.params[param_name] = distribution.to_external_repr(param_value_internal)
            trial.distributions[param_name] = distribution

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if not 0 <= trial_number < len(trials):
                raise KeyError(f"No trial with number {trial_number} in study {study_id}.")
            return trials[trial_number]._trial_id

    def get_trial_number_from_id(self, trial_id: int) -> int:
        with self._lock:
            entry = self._trial_index.get(trial_id)
            if entry is None:
                raise KeyError(f"No trial with trial_id {trial_id} in the storage.")
            return entry[1]

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        with self._lock:
            return self._set_state_locked(trial_id, state, values, (None, None))

    def _set_state_locked(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None, times: _Times
    ) -> bool:
        """``set_trial_state_values``; the (start, complete) ``times`` that are not None
        replace the ones it sets."""
        record, trial = self._live_trial(trial_id)
        previous = trial.state
        if state is TrialState.RUNNING and previous is not TrialState.WAITING:
            return False
        if previous is TrialState.WAITING:
            del record.waiting[trial.number]
        else:
            del record.running[trial.number]
        trial.state = state
        if values is not None:
            trial._values = list(values)
        now = datetime.datetime.now()
        if state is TrialState.RUNNING:
            trial.datetime_start = now
        elif state.is_finished():
            trial.datetime_complete = now
        datetime_start, datetime_complete = times
        if datetime_start is not None:
            trial.datetime_start = datetime_start
        if datetime_complete is not None:
            trial.datetime_complete = datetime_complete
        self._index_new_state(record, trial)
        return True

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        with self._lock:
            _, trial = self._live_trial(trial_id)
            trial.intermediate_values[step] = intermediate_value

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        if self._checks_names:
            check_name("InMemoryStorage", "key", key)
        with self._lock:
            _, trial = self._live_trial(trial_id)
            trial.user_attrs[key] = _owned(value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        if self._checks_names:
            check_name("InMemoryStorage", "key", key)
        with self._lock:
            _, trial = self._live_trial(trial_id)
            trial.system_attrs[key] = _owned(value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            entry = self._trial_index.get(trial_id)
            if entry is None:
                raise KeyError(f"No trial with trial_id {trial_id} in the storage.")
            record, number = entry
            trial = record.trials[number]
            return trial if trial.state in FINISHED_STATES else _snapshot(trial)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        with self._lock:
            record = self._study(study_id)
            trials = self._select(record, states)
            if deepcopy:
                return [trial.__deepcopy__({}) for trial in trials]
            return trials

    def _get_trials_from(self, study_id: int, number: int) -> list[FrozenTrial]:
        # A trial's number is its index: the tail alone is copied (a sampler reads the
        # history so before each trial; ~1 us at n = 1000 where the whole list costs ~10).
        with self._lock:
            record = self._study(study_id)
            start = max(number, 0)
            trials = record.trials[start:]
            for live in (record.running, record.waiting):
                for live_number in live:
                    if live_number >= start:
                        trials[live_number - start] = _snapshot(trials[live_number - start])
            return trials

    def _get_trials_numbered(
        self, study_id: int, numbers: Sequence[int], from_number: int
    ) -> list[FrozenTrial]:
        # Picked by index (a trial's number is its index): O(len(numbers) + new trials).
        with self._lock:
            record = self._study(study_id)
            picked = [record.trials[n] for n in numbers] + record.trials[max(from_number, 0) :]
            return [t if t.state in FINISHED_STATES else _snapshot(t) for t in picked]

    def _select(
        self, record: _StudyRecord, states: Container[TrialState] | None
    ) -> list[FrozenTrial]:
        """The trials in ``states`` by number; live ones copied, finished ones shared."""
        all_trials = record.trials
        if states is None:
            selected = list(all_trials)
            for number in record.running:
                selected[number] = _snapshot(all_trials[number])
            for number in record.waiting:
                selected[number] = _snapshot(all_trials[number])
            return selected
        if type(states) is tuple and len(states) == 1 and isinstance(states[0], TrialState):
            wanted = list(states)  # what samplers pass on every trial: no scan (~0.3 us)
        else:
            wanted = [state for state in _ALL_STATES if state in states]
        if not wanted:
            return []
        if len(wanted) == 1:
            (state,) = wanted
            if state is TrialState.RUNNING:
                return [_snapshot(all_trials[n]) for n in sorted(record.running)]
            if state is TrialState.WAITING:
                if not record.waiting:
                    return []
                return [_snapshot(all_trials[n]) for n in sorted(record.waiting)]
            return list(record.by_state[state])
        return [
            trial if trial.state.is_finished() else _snapshot(trial)
            for trial in all_trials
            if trial.state in wanted
        ]

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        with self._lock:
            record = self._study(study_id)
            if state is None:
                return len(record.trials)
            states = (state,) if isinstance(state, TrialState) else state
            return sum(self._count(record, s) for s in set(states))

    @staticmethod
    def _count(record: _StudyRecord, state: TrialState) -> int:
        if state is TrialState.RUNNING:
            return len(record.running)
        if state is TrialState.WAITING:
            return len(record.waiting)
        return len(record.by_state[state])

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        with self._lock:
            record = self._study(study_id)
            if len(record.directions) > 1:
                raise RuntimeError(
                    "get_best_trial is for single-objective studies; use Study.best_trials"
                )
            if record.best_number is None:
                raise ValueError("No trials are completed yet.")
            return record.trials[record.best_number]


@dataclasses.dataclass(frozen=True)
class StoredStudy:
    """One study of a :class:`LogReplayStorage`, as :meth:`LogReplayStorage.export` reads it.

    Attributes:
        study_id: The study's id.
        name: The study's name.
        directions: Its directions.
        user_attrs: Its user attrs (a copy of the dict; the values are shared).
        system_attrs: Its system attrs (likewise).
        trials: Its trials by number: finished ones shared, live ones copied.
        trial_ids: The id of each trial, in the same order.
    """

    study_id: int
    name: str
    directions: list[StudyDirection]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    trials: list[FrozenTrial]
    trial_ids: list[int]


@dataclasses.dataclass(frozen=True)
class StorageImage:
    """Everything a :class:`LogReplayStorage` holds, ids included (for snapshots of it).

    Attributes:
        studies: The studies, by id.
        next_study_id: The id the next new study gets.
        next_trial_id: The id the next new trial gets.
    """

    studies: list[StoredStudy]
    next_study_id: int
    next_trial_id: int


class LogReplayStorage(InMemoryStorage):
    """The in-memory storage that an operation log (the journal) is replayed into.

    It adds the in-package API the replay and its snapshots need, and takes names as the
    records hold them: any version of tansaku or Optuna wrote them, and the writer checked
    them. Its methods follow :class:`InMemoryStorage`'s locking rule: each takes the storage's
    lock itself; a caller may hold locks of its own (JournalStorage holds its lock while it
    replays), never this storage's.
    """

    _checks_names = False

    def __init__(self) -> None:
        super().__init__()
        # Finished trials share one distributions dict per search space: the replay parses
        # each distribution once per text, and a dict fewer per trial is a sixth fewer of the
        # objects the garbage collector walks again and again as a large replay fills the heap.
        self._spaces = SharedSpaces()

    def adopt_trial(self, study_id: int, trial: FrozenTrial) -> int:
        """Store ``trial`` itself, not a copy, as the next trial of the study; return its id.

        What ``create_new_trial(study_id, template)`` does minus the copy of the template:
        a replay builds a fresh trial for each record, and copying 100k of them costs a third
        of reading a journal. The caller hands ``trial`` over: it must not keep or change it.

        Raises:
            KeyError: there is no such study.
            ValueError: a param's distribution conflicts with the study's.
        """
        if trial.state.is_finished():
            trial.distributions = self._spaces.share(trial.distributions)
        with self._lock:
            return self._append_trial_locked(self._study(study_id), trial, None)

    def set_trial_state_values_at(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None,
        datetime_start: datetime.datetime | None,
        datetime_complete: datetime.datetime | None,
    ) -> bool:
        """``set_trial_state_values``, with the times the log recorded where it has them.

        A time that is None is set as ``set_trial_state_values`` sets it (now, for the start
        of a RUNNING trial or the completion of a finished one).
        """
        with self._lock:
            times = (datetime_start, datetime_complete)
            changed = self._set_state_locked(trial_id, state, values, times)
            if changed and state.is_finished():
                record, number = self._trial_index[trial_id]
                trial = record.trials[number]
                trial.distributions = self._spaces.share(trial.distributions)
            return changed

    def trial_state(self, trial_id: int) -> TrialState | None:
        """The trial's state, or None when there is no such trial (nothing is copied)."""
        with self._lock:
            entry = self._trial_index.get(trial_id)
            if entry is None:
                return None
            record, number = entry
            return record.trials[number].state

    def running_trial_ids(self, study_id: int) -> list[int]:
        """The ids of the study's RUNNING trials, by number.

        Raises:
            KeyError: there is no such study.
        """
        with self._lock:
            record = self._study(study_id)
            return [record.trials[number]._trial_id for number in sorted(record.running)]

    def export(self) -> StorageImage:
        """Everything this storage holds, ids included; later writes do not change it."""
        with self._lock:
            studies = []
            for study_id, record in sorted(self._studies.items()):
                trials = [
                    trial if trial.state in FINISHED_STATES else _snapshot(trial)
                    for trial in record.trials
                ]
                studies.append(
                    StoredStudy(
                        study_id,
                        record.name,
                        list(record.directions),
                        dict(record.user_attrs),
                        dict(record.system_attrs),
                        trials,
                        [trial._trial_id for trial in trials],
                    )
                )
            return StorageImage(studies, self._next_study_id, self._next_trial_id)

    @classmethod
    def from_image(cls, image: StorageImage) -> LogReplayStorage:
        """A storage holding what ``image`` holds, with its ids; the trials are taken over.

        Raises:
            ValueError: two studies of ``image`` have one name.
            KeyError, ValueError: as :meth:`adopt_trial` does for a trial.
        """
        storage = cls()
        with storage._lock:
            for study in image.studies:
                if study.name in storage._study_ids_by_name:
                    raise ValueError(f"two studies named {study.name!r} in one image")
                record = _StudyRecord(study.study_id, study.name, list(study.directions))
                record.user_attrs.update(study.user_attrs)
                record.system_attrs.update(study.system_attrs)
                storage._studies[study.study_id] = record
                storage._study_ids_by_name[study.name] = study.study_id
                for trial, trial_id in zip(study.trials, study.trial_ids):
                    storage._append_trial_locked(record, trial, trial_id)
            storage._next_study_id = image.next_study_id
            storage._next_trial_id = image.next_trial_id
        return storage
