"""JournalStorage: studies kept as an append-only log of operations, replayed into memory.

Every write appends one record (Optuna's journal format, so an Optuna journal opens here and
Optuna can read what tansaku appends) and then replays the records that other workers
appended meanwhile; the outcome of the worker's own record decides the call's result. Every
worker replays the same records in the same order, so they all agree on ids, numbers and on
which of two competing writes (two workers starting one enqueued trial) came first.

Long journals: with a backend that keeps snapshots (both of tansaku's do), a worker starts
from the latest snapshot of the replayed state and replays only the records after it, and
writes a new snapshot when enough records have accumulated (see ``_snapshot.py``).
"""

from __future__ import annotations

import datetime
import threading
import uuid
import warnings
from collections.abc import Container, Sequence
from typing import Any

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.storages._base import DEFAULT_STUDY_NAME_PREFIX, BaseStorage
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.storages._in_memory import InMemoryStorage
from tansaku.storages.journal._base import BaseJournalBackend
from tansaku.storages.journal._snapshot import (
    BaseJournalSnapshot,
    dump_state,
    load_state,
    snapshot_due,
)
from tansaku.trial import FrozenTrial, TrialState


class OpCode:
    """The operation codes of journal records (Optuna's numbering)."""

    CREATE_STUDY = 0
    DELETE_STUDY = 1
    SET_STUDY_USER_ATTR = 2
    SET_STUDY_SYSTEM_ATTR = 3
    CREATE_TRIAL = 4
    SET_TRIAL_PARAM = 5
    SET_TRIAL_STATE_VALUES = 6
    SET_TRIAL_INTERMEDIATE_VALUE = 7
    SET_TRIAL_USER_ATTR = 8
    SET_TRIAL_SYSTEM_ATTR = 9


def _now_text() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _parse_time(text: str | None) -> datetime.datetime | None:
    """A record's time as a naive local datetime, like the other storages hand out."""
    if text is None:
        return None
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment


class JournalStorage(BaseStorage):
    """Keep studies in a journal that many processes (and machines) append to.

    Args:
        log_storage: Where the records live: :class:`JournalFileBackend` or
            :class:`JournalRedisBackend`.

    Example:
        >>> storage = JournalStorage(JournalFileBackend("./journal.log"))
        >>> study = tansaku.create_study(storage=storage)  # doctest: +SKIP
    """

    def __init__(self, log_storage: BaseJournalBackend) -> None:
        self._backend = log_storage
        self._worker_prefix = str(uuid.uuid4()) + "-"
        self._lock = threading.RLock()
        self._state = InMemoryStorage()
        self._n_applied = 0
        # Records this process replayed one by one (not taken from a snapshot).
        self.n_records_replayed = 0
        # Outcome of this worker's latest record: (result, error).
        self._outcome: tuple[Any, BaseException | None] = (None, None)
        self._n_at_snapshot = 0
        # Distributions by JSON text: a study has a handful, each record repeats one.
        self._distributions: dict[str, BaseDistribution] = {}
        self._restore_snapshot()
        self._sync()

    def __getstate__(self) -> dict[str, Any]:
        return {"_backend": self._backend}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["_backend"])  # type: ignore[misc]

    # -- the log --------------------------------------------------------------------------------
    def _worker_id(self) -> str:
        return self._worker_prefix + str(threading.get_ident())

    def _restore_snapshot(self) -> None:
        if not isinstance(self._backend, BaseJournalSnapshot):
            return
        snapshot = self._backend.load_snapshot()
        if snapshot is None:
            return
        try:
            state, n_records = load_state(snapshot)
        except (ValueError, KeyError, TypeError) as error:
            warnings.warn(
                f"JournalStorage: ignored an unreadable snapshot ({error!r}); replaying the "
                "whole journal",
                RuntimeWarning,
                stacklevel=3,
            )
            return
        self._state, self._n_applied, self._n_at_snapshot = state, n_records, n_records

    def _sync(self) -> None:
        with self._lock:
            for record in self._backend.read_logs(self._n_applied):
                self._n_applied += 1
                self.n_records_replayed += 1
                self._apply(record)
            if isinstance(self._backend, BaseJournalSnapshot) and snapshot_due(
                self._n_applied, self._n_at_snapshot
            ):
                self._backend.save_snapshot(dump_state(self._state, self._n_applied))
                self._n_at_snapshot = self._n_applied

    def _append(self, op_code: int, **fields: Any) -> Any:
        """Append a record, replay up to it, and return its outcome (or raise its error)."""
        record = {"op_code": op_code, "worker_id": self._worker_id(), **fields}
        with self._lock:
            self._backend.append_logs([record])
            self._outcome = (None, None)
            self._sync()
            result, error = self._outcome
        if error is not None:
            raise error
        return result

    def _apply(self, record: dict[str, Any]) -> None:
        mine = record.get("worker_id") == self._worker_id()
        try:
            result = self._replay(record)
        except (KeyError, ValueError, UpdateFinishedTrialError, Exception) as error:
            if mine:
                self._outcome = (None, error)
            return
        if mine:
            self._outcome = (result, None)

    def _replay(self, record: dict[str, Any]) -> Any:
        state = self._state
        op = record["op_code"]
        if op == OpCode.CREATE_STUDY:
            return state.create_new_study(
                [StudyDirection(d) for d in record["directions"]], record["study_name"]
            )
        if op == OpCode.DELETE_STUDY:
            return state.delete_study(record["study_id"])
        if op == OpCode.SET_STUDY_USER_ATTR:
            for key, value in record["user_attr"].items():
                state.set_study_user_attr(record["study_id"], key, value)
            return None
        if op == OpCode.SET_STUDY_SYSTEM_ATTR:
            for key, value in record["system_attr"].items():
                state.set_study_system_attr(record["study_id"], key, value)
            return None
        if op == OpCode.CREATE_TRIAL:
            return self._replay_create_trial(record)
        trial_id = record["trial_id"]
        if op == OpCode.SET_TRIAL_PARAM:
            return state.set_trial_param(
                trial_id,
                record["param_name"],
                record["param_value_internal"],
                self._distribution(record["distribution"]),
            )
        if op == OpCode.SET_TRIAL_STATE_VALUES:
            changed = state.set_trial_state_values(
                trial_id, TrialState(record["state"]), record.get("values")
            )
            if changed:
                trial = self._live(trial_id)
                if record.get("datetime_start") is not None:
                    trial.datetime_start = _parse_time(record["datetime_start"])
                if record.get("datetime_complete") is not None:
                    trial.datetime_complete = _parse_time(record["datetime_complete"])
            return changed
        if op == OpCode.SET_TRIAL_INTERMEDIATE_VALUE:
            return state.set_trial_intermediate_value(
                trial_id, record["step"], record["intermediate_value"]
            )
        if op == OpCode.SET_TRIAL_USER_ATTR:
            for key, value in record["user_attr"].items():
                state.set_trial_user_attr(trial_id, key, value)
            return None
        if op == OpCode.SET_TRIAL_SYSTEM_ATTR:
            for key, value in record["system_attr"].items():
                state.set_trial_system_attr(trial_id, key, value)
            return None
        raise ValueError(f"unknown journal op_code {op!r}")

    def _distribution(self, text: str) -> BaseDistribution:
        distribution = self._distributions.get(text)
        if distribution is None:
            distribution = self._distributions[text] = json_to_distribution(text)
        return distribution

    def _live(self, trial_id: int) -> FrozenTrial:
        # The stored record itself (not a copy), to set the times the journal recorded.
        record, number = self._state._trial_index[trial_id]
        return record.trials[number]

    def _replay_create_trial(self, record: dict[str, Any]) -> int:
        study_id = record["study_id"]
        if "state" not in record:
            trial_id = self._state.create_new_trial(study_id)
            self._live(trial_id).datetime_start = _parse_time(record.get("datetime_start"))
            return trial_id
        distributions = {
            name: self._distribution(text) for name, text in record["distributions"].items()
        }
        values = record.get("values")
        if values is None and record.get("value") is not None:
            values = [record["value"]]
        template = FrozenTrial(
            number=-1,
            state=TrialState(record["state"]),
            value=None,
            values=values,
            datetime_start=_parse_time(record.get("datetime_start")),
            datetime_complete=_parse_time(record.get("datetime_complete")),
            params={
                name: distributions[name].to_external_repr(internal)
                for name, internal in record["params"].items()
            },
            distributions=distributions,
            user_attrs=record["user_attrs"],
            system_attrs=record["system_attrs"],
            intermediate_values={int(k): v for k, v in record["intermediate_values"].items()},
            trial_id=-1,
        )
        return self._state.create_new_trial(study_id, template_trial=template)

    # -- studies --------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        if study_name is None:
            study_name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
        return int(
            self._append(
                OpCode.CREATE_STUDY,
                study_name=study_name,
                directions=[int(d) for d in directions],
            )
        )

    def delete_study(self, study_id: int) -> None:
        self._sync()
        self._state.get_study_name_from_id(study_id)  # KeyError before anything is written
        self._append(OpCode.DELETE_STUDY, study_id=study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._append(OpCode.SET_STUDY_USER_ATTR, study_id=study_id, user_attr={key: value})

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._append(OpCode.SET_STUDY_SYSTEM_ATTR, study_id=study_id, system_attr={key: value})

    def get_study_id_from_name(self, study_name: str) -> int:
        self._sync()
        return self._state.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        self._sync()
        return self._state.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        self._sync()
        return self._state.get_study_directions(study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        self._sync()
        return self._state.get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        self._sync()
        return self._state.get_study_system_attrs(study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        self._sync()
        return self._state.get_all_studies()

    # -- trials ---------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if template_trial is None:
            return int(
                self._append(OpCode.CREATE_TRIAL, study_id=study_id, datetime_start=_now_text())
            )
        t = template_trial
        return int(
            self._append(
                OpCode.CREATE_TRIAL,
                study_id=study_id,
                datetime_start=None if t.datetime_start is None else _utc(t.datetime_start),
                datetime_complete=(
                    None if t.datetime_complete is None else _utc(t.datetime_complete)
                ),
                state=int(t.state),
                value=None,
                values=t.values,
                distributions={
                    name: distribution_to_json(d) for name, d in t.distributions.items()
                },
                params={
                    name: t.distributions[name].to_internal_repr(value)
                    for name, value in t.params.items()
                },
                user_attrs=t.user_attrs,
                system_attrs=t.system_attrs,
                intermediate_values={str(k): v for k, v in t.intermediate_values.items()},
            )
        )

    def _check_updatable(self, trial_id: int) -> None:
        """Raise before appending a record that replay would reject anyway."""
        self._sync()
        state = self._state.get_trial(trial_id).state
        self.check_trial_is_updatable(trial_id, state)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        self._check_updatable(trial_id)
        self._append(
            OpCode.SET_TRIAL_PARAM,
            trial_id=trial_id,
            param_name=param_name,
            param_value_internal=param_value_internal,
            distribution=distribution_to_json(distribution),
        )

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        self._sync()
        return self._state.get_trial_id_from_study_id_trial_number(study_id, trial_number)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        self._sync()
        return self._state.get_trial_number_from_id(trial_id)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        self._check_updatable(trial_id)
        fields: dict[str, Any] = {
            "trial_id": trial_id,
            "state": int(state),
            "values": None if values is None else list(values),
        }
        if state is TrialState.RUNNING:
            fields["datetime_start"] = _now_text()
        elif state.is_finished():
            fields["datetime_complete"] = _now_text()
        return bool(self._append(OpCode.SET_TRIAL_STATE_VALUES, **fields))

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        self._check_updatable(trial_id)
        self._append(
            OpCode.SET_TRIAL_INTERMEDIATE_VALUE,
            trial_id=trial_id,
            step=step,
            intermediate_value=intermediate_value,
        )

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._check_updatable(trial_id)
        self._append(OpCode.SET_TRIAL_USER_ATTR, trial_id=trial_id, user_attr={key: value})

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._check_updatable(trial_id)
        self._append(OpCode.SET_TRIAL_SYSTEM_ATTR, trial_id=trial_id, system_attr={key: value})

    def get_trial(self, trial_id: int) -> FrozenTrial:
        self._sync()
        return self._state.get_trial(trial_id)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        self._sync()
        return self._state.get_all_trials(study_id, deepcopy=deepcopy, states=states)

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        self._sync()
        return self._state.get_n_trials(study_id, state)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        self._sync()
        return self._state.get_best_trial(study_id)


def _utc(moment: datetime.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(datetime.timezone.utc).isoformat()
