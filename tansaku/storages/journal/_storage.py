"""JournalStorage: studies kept as an append-only log of operations, replayed into memory.

Every write appends one record (Optuna's journal format, so an Optuna journal opens here and
Optuna can read what tansaku appends) and then replays the records that other workers
appended meanwhile; the outcome of the worker's own record decides the call's result. Every
worker replays the same records in the same order, so they all agree on ids, numbers and on
which of two competing writes (two workers starting one enqueued trial) came first.

Heartbeats: with ``heartbeat_interval`` set, each running trial's worker appends a heartbeat
record every interval, and a trial whose heartbeats stop for ``grace_period`` is failed by the
next worker that checks (see ``_heartbeats.py`` for the record and the clock it is judged by).

Long journals: with a backend that keeps snapshots (both of tansaku's do), a worker starts
from the latest snapshot of the replayed state and replays only the records after it, and
writes a new snapshot when enough records have accumulated (see ``_snapshot.py``).
"""

from __future__ import annotations

import threading
import uuid
import warnings
from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
)
from tansaku.storages._base import (
    DEFAULT_STUDY_NAME_PREFIX,
    BaseStorage,
    check_name,
    check_template_names,
)
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.storages._heartbeat import (
    BaseHeartbeat,
    check_heartbeat_arguments,
    stale_trial_callback_argument,
)
from tansaku.storages._in_memory import LogReplayStorage
from tansaku.storages._stored_values import check_param_to_store
from tansaku.storages.journal._base import BaseJournalBackend
from tansaku.storages.journal._heartbeats import HEARTBEAT_KEY
from tansaku.storages.journal._replay import (
    JournalReplay,
    OpCode,
    malformed,
    now_text,
    utc_text,
)
from tansaku.storages.journal._snapshot import (
    BaseJournalSnapshot,
    dump_state,
    load_state,
    snapshot_due,
)
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.storages._callbacks import HeartbeatStaleTrialCallback


class JournalStorage(BaseStorage, BaseHeartbeat):
    """Keep studies in a journal that many processes (and machines) append to.

    Optuna's ``JournalStorage`` takes only ``log_storage``; the heartbeat arguments are
    tansaku's addition, with the meaning they have for ``RDBStorage``, so that a trial whose
    worker died ends FAIL (and may be retried) on a journal too.

    Args:
        log_storage: Where the records live: :class:`JournalFileBackend` or
            :class:`JournalRedisBackend`.
        heartbeat_interval: Seconds between a running trial's heartbeats (one journal record
            each); with it set, a trial whose heartbeats stop for ``grace_period`` is failed
            by the next ``Study.ask`` (each trial of ``Study.optimize``, the first included)
            of its study, in any process. Nothing else fails it: a dead worker's trial stays
            RUNNING until some process asks for a trial of the study after the grace period;
            a process started then for a single trial is enough.
        grace_period: Seconds without a new heartbeat after which a trial is stale (default
            ``2 * heartbeat_interval``): by the time written in the heartbeat against the
            checking process's clock (the machines' clocks must agree to well within
            ``grace_period - heartbeat_interval``), or by how long the checking process has
            itself seen no new heartbeat (see ``journal/_heartbeats.py``).
        heartbeat_stale_trial_callback: Called as ``callback(study, trial)`` for each trial
            failed because its heartbeat went stale, e.g.
            :class:`RetryHeartbeatStaleTrialCallback`.
        failed_trial_callback: Deprecated name of ``heartbeat_stale_trial_callback`` (a
            FutureWarning); give at most one of the two.

    Raises:
        ValueError: ``heartbeat_interval`` or ``grace_period`` is not > 0.

    Example:
        >>> storage = JournalStorage(JournalFileBackend("./journal.log"))
        >>> study = tansaku.create_study(storage=storage)  # doctest: +SKIP
    """

    def __init__(
        self,
        log_storage: BaseJournalBackend,
        *,
        heartbeat_interval: int | None = None,
        grace_period: int | None = None,
        heartbeat_stale_trial_callback: HeartbeatStaleTrialCallback | None = None,
        failed_trial_callback: HeartbeatStaleTrialCallback | None = None,
    ) -> None:
        check_heartbeat_arguments("JournalStorage", heartbeat_interval, grace_period)
        self._backend = log_storage
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.heartbeat_stale_trial_callback = stale_trial_callback_argument(
            "JournalStorage", heartbeat_stale_trial_callback, failed_trial_callback
        )
        self.failed_trial_callback = self.heartbeat_stale_trial_callback
        self._worker_prefix = str(uuid.uuid4()) + "-"
        self._worker_ids: dict[int, str] = {}
        self._lock = threading.RLock()
        self._replay = JournalReplay()
        self._n_applied = 0
        # Records this process replayed one by one (not taken from a snapshot).
        self.n_records_replayed = 0
        # Outcome of this worker's latest record: (result, error).
        self._outcome: tuple[Any, BaseException | None] = (None, None)
        self._n_at_snapshot = 0
        # Cache: the JSON text of each distribution this storage wrote, keyed by the
        # distribution when it is a Float/IntDistribution (equal ones have equal texts: bounds
        # are normalized) and by the repr of the choices when categorical (1 and 1.0 are equal
        # choices with different texts, and different reprs). Dropped with the storage, and
        # cleared at 1024 entries (a space whose ranges move every trial). Buys json.dumps
        # (~7 us) of every numeric param and, for a categorical one, also the parse that
        # checks the text reads back: ~7% of a journal-file trial with 10 params.
        self._distribution_texts: dict[BaseDistribution | str, str] = {}
        self._restore_snapshot()
        self._sync()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "log_storage": self._backend,
            "heartbeat_interval": self.heartbeat_interval,
            "grace_period": self.grace_period,
            "heartbeat_stale_trial_callback": self.heartbeat_stale_trial_callback,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Rebuilt from its arguments: open files, connections and locks do not travel.
        type(self).__init__(self, **state)

    @property
    def _state(self) -> LogReplayStorage:
        return self._replay.state

    # -- the log --------------------------------------------------------------------------------
    def _worker_id(self) -> str:
        ident = threading.get_ident()
        worker_id = self._worker_ids.get(ident)
        if worker_id is None:
            worker_id = self._worker_ids[ident] = self._worker_prefix + str(ident)
        return worker_id

    def _restore_snapshot(self) -> None:
        if not isinstance(self._backend, BaseJournalSnapshot):
            return
        snapshot = self._backend.load_snapshot()
        if snapshot is not None:
            self.restore_replay_result(snapshot)

    def restore_replay_result(self, snapshot: bytes) -> None:
        """Start over from ``snapshot``: the replayed state it holds, then the records after it.

        ``snapshot`` is what a backend's ``load_snapshot`` returns (this storage calls it when
        it opens the journal). The records the snapshot does not cover are replayed on the
        next read or write. A snapshot that cannot be read changes nothing and is reported
        with a RuntimeWarning.
        """
        try:
            state, n_records, beating = load_state(snapshot)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
            # A snapshot damaged on disk: any of these, from a value of the wrong shape.
            warnings.warn(
                f"JournalStorage: ignored an unreadable snapshot ({error!r}); replaying the "
                "whole journal",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        with self._lock:
            self._replay = JournalReplay(state)
            self._replay.heartbeats.restore(beating)
            self._n_applied, self._n_at_snapshot = n_records, n_records

    def _sync(self) -> None:
        with self._lock:
            records = self._backend.read_logs(self._n_applied)
            if not records:
                return
            for record in records:
                self._n_applied += 1
                self.n_records_replayed += 1
                self._apply(record)
            if isinstance(self._backend, BaseJournalSnapshot) and snapshot_due(
                self._n_applied, self._n_at_snapshot
            ):
                self._save_snapshot()

    def _save_snapshot(self) -> None:
        self._n_at_snapshot = self._n_applied
        try:
            snapshot = dump_state(
                self._state, self._n_applied, self._replay.heartbeats.trial_ids()
            )
            assert isinstance(self._backend, BaseJournalSnapshot)
            self._backend.save_snapshot(snapshot)
        except OSError as error:  # e.g. a reader on a read-only mount: not fatal
            warnings.warn(
                f"JournalStorage: could not save a snapshot ({error!r}); readers "
                "will replay the journal",
                RuntimeWarning,
                stacklevel=4,
            )

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
        problem = malformed(record)
        if problem is not None:
            # Record numbers count from 0 in the order every reader reads them.
            warnings.warn(
                f"JournalStorage: skipped the malformed journal record number "
                f"{self._n_applied - 1} ({problem})",
                RuntimeWarning,
                stacklevel=4,
            )
            return
        mine = record.get("worker_id") == self._worker_id()
        try:
            result = self._replay.apply(record)
        except Exception as error:  # the record was rejected: it changed nothing
            if mine:
                self._outcome = (None, error)
            return
        if mine:
            self._outcome = (result, None)

    # -- studies --------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        if study_name is None:
            study_name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
        check_name("JournalStorage", "study_name", study_name)
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
        check_name("JournalStorage", "key", key)
        self._append(OpCode.SET_STUDY_USER_ATTR, study_id=study_id, user_attr={key: value})

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        check_name("JournalStorage", "key", key)
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
            now = now_text()
            return int(
                self._append(
                    OpCode.CREATE_TRIAL,
                    study_id=study_id,
                    datetime_start=now,
                    **self._first_heartbeat(now),
                )
            )
        t = template_trial
        check_template_names("JournalStorage.create_new_trial", t)
        # Left out when there is none, never null: Optuna parses any datetime_complete it finds.
        complete = (
            {}
            if t.datetime_complete is None
            else {"datetime_complete": utc_text(t.datetime_complete)}
        )
        return int(
            self._append(
                OpCode.CREATE_TRIAL,
                study_id=study_id,
                datetime_start=None if t.datetime_start is None else utc_text(t.datetime_start),
                **complete,
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
        """Raise before appending a record that replay would reject anyway.

        Only the state this worker has replayed is consulted: a finished trial stays finished,
        and a trial another worker finished meanwhile is caught when the record is replayed.
        """
        with self._lock:
            state = self._state.trial_state(trial_id)
            if state is None:
                self._sync()
                state = self._state.trial_state(trial_id)
                if state is None:
                    raise KeyError(f"No trial with trial_id {trial_id} in the storage.")
        self.check_trial_is_updatable(trial_id, state)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        check_name("JournalStorage", "param_name", param_name)
        check_param_to_store(distribution, param_value_internal)
        self._check_updatable(trial_id)
        self._append(
            OpCode.SET_TRIAL_PARAM,
            trial_id=trial_id,
            param_name=param_name,
            param_value_internal=param_value_internal,
            distribution=self._distribution_text(distribution),
        )

    def _distribution_text(self, distribution: BaseDistribution) -> str:
        """``distribution_to_json(distribution)``, from the cache where it may be."""
        key: BaseDistribution | str
        if type(distribution) is FloatDistribution or type(distribution) is IntDistribution:
            key = distribution
        elif type(distribution) is CategoricalDistribution:
            key = repr(distribution.choices)
        else:  # the deprecated classes: rare
            return distribution_to_json(distribution)
        text = self._distribution_texts.get(key)
        if text is None:
            if len(self._distribution_texts) >= 1024:
                self._distribution_texts.clear()
            text = self._distribution_texts[key] = distribution_to_json(distribution)
        return text

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
            fields["datetime_start"] = now_text()
            fields.update(self._first_heartbeat(fields["datetime_start"]))
        elif state.is_finished():
            fields["datetime_complete"] = now_text()
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
        check_name("JournalStorage", "key", key)
        self._check_updatable(trial_id)
        self._append(OpCode.SET_TRIAL_USER_ATTR, trial_id=trial_id, user_attr={key: value})

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        check_name("JournalStorage", "key", key)
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

    def _get_trials_from(self, study_id: int, number: int) -> list[FrozenTrial]:
        self._sync()
        return self._state._get_trials_from(study_id, number)

    def _get_trials_numbered(
        self, study_id: int, numbers: Sequence[int], from_number: int
    ) -> list[FrozenTrial]:
        self._sync()
        return self._state._get_trials_numbered(study_id, numbers, from_number)

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        self._sync()
        return self._state.get_n_trials(study_id, state)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        self._sync()
        return self._state.get_best_trial(study_id)

    # -- heartbeats -----------------------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        self._append(
            OpCode.SET_TRIAL_SYSTEM_ATTR,
            trial_id=trial_id,
            system_attr={HEARTBEAT_KEY: now_text()},
        )

    def _first_heartbeat(self, now: str) -> dict[str, str]:
        """The field that makes a record starting a trial its first heartbeat too.

        With heartbeats on, a trial's creation (or the claim of a waiting trial) is its first
        heartbeat, in the same append: a worker that dies before its heartbeat thread beats
        leaves a trial that still goes stale, instead of one RUNNING forever.
        """
        return {} if self.heartbeat_interval is None else {HEARTBEAT_KEY: now}

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        assert self.heartbeat_interval is not None
        grace = self.grace_period or 2 * self.heartbeat_interval
        with self._lock:
            self._sync()
            running = self._state.running_trial_ids(study_id)
            return self._replay.heartbeats.stale(running, grace)

    def get_heartbeat_interval(self) -> int | None:
        return self.heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> HeartbeatStaleTrialCallback | None:
        return self.heartbeat_stale_trial_callback
