"""RDBStorage: studies in a relational database (SQLite, PostgreSQL, MySQL) via SQLAlchemy 2."""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import (
    BaseDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from tansaku.exceptions import DuplicatedStudyError
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
from tansaku.storages._rdb import _schema
from tansaku.storages._rdb._cache import StudyTrials, same_trial_row
from tansaku.storages._rdb._codec import (
    HEARTBEATS,
    PARAMS,
    STUDIES,
    STUDY_SYSTEM_ATTRS,
    STUDY_USER_ATTRS,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIALS,
    dump_json,
    encode_intermediate,
)
from tansaku.storages._rdb._engine import make_engine
from tansaku.storages._rdb._models import MAX_INDEXED_STRING_LENGTH
from tansaku.storages._rdb._one_trial import MAX_LIVE_IDS_PER_STATEMENT, UnseenTrials, load_trial
from tansaku.storages._rdb._statements import Statement, TrialStatements
from tansaku.storages._rdb._study_read import (
    load_param_names,
    load_params_of_trials,
    load_study_trials,
)
from tansaku.storages._rdb._study_rows import (
    delete_study_rows,
    insert_study,
    read_all_studies,
    read_directions,
    read_study_attrs,
)
from tansaku.storages._rdb._text_limits import TextLimits
from tansaku.storages._rdb._transactions import Transactions
from tansaku.storages._rdb._trial_writes import TrialWrites
from tansaku.storages._stored_values import check_param_to_store
from tansaku.storages._trial_cursor import TrialCursor
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.storages._callbacks import HeartbeatStaleTrialCallback


class RDBStorage(BaseStorage, BaseHeartbeat):
    """Keeps studies in a relational database, shared by every process that opens the URL.

    ``sqlite:///path.db`` is the embedded default; ``postgresql://user:pw@host/db`` (psycopg 3)
    and ``mysql://user:pw@host/db`` (PyMySQL) share one study between machines. The tables
    are Optuna's (schema revision v3.2.0.a): a database that Optuna 3.2 to 5.0 wrote opens with
    the same URL and can be continued, and Optuna and its dashboard can open what tansaku
    writes.

    Each write is one short transaction, so a running trial's params are visible to the other
    workers as soon as they are suggested. Finished trials are read from the database once per
    process and then served from memory.

    Durability: a commit has returned only once the database holds it, so a trial that was
    told is never lost when a worker process is killed. By default commits are not synced to
    disk one by one (SQLite ``synchronous=NORMAL`` in WAL mode, PostgreSQL
    ``synchronous_commit=off``): a power loss or an OS crash can lose the last commits made
    before it (SQLite: those since the last WAL checkpoint; PostgreSQL: up to about 0.6 s), but
    never corrupts the database. ``durable_commits=True`` syncs every commit, at the cost of one
    fsync per write (about twelve per trial of ten params). MySQL keeps the server's setting
    (``innodb_flush_log_at_trx_commit``; its default, 1, syncs every commit).

    Args:
        url: The SQLAlchemy database URL. ``{SCHEMA_VERSION}`` in it is replaced by the
            schema version (``sqlite:///study-{SCHEMA_VERSION}.db`` opens ``study-12.db``).
        engine_kwargs: Passed to ``sqlalchemy.create_engine``. On SQLite,
            ``{"connect_args": {"timeout": seconds}}`` (default 60) bounds how long a write
            waits for another process's write, both on SQLite's lock and on the
            ``<database>-writer-lock`` file writers queue on; past it the write raises
            :class:`~tansaku.exceptions.StorageLockTimeoutError` naming the lock file and the
            holder's pid. A write interrupted at any point (KeyboardInterrupt) releases both
            locks, and the storage stays usable.
        skip_compatibility_check: Open a database of another schema version without raising
            (to call :meth:`upgrade`).
        heartbeat_interval: Seconds between a running trial's heartbeats; with it set, a trial
            whose heartbeat stops for ``grace_period`` is failed by the next ``Study.ask``
            (each trial of ``Study.optimize``, the first included) of its study, in any
            process. Nothing else fails it: a dead worker's trial stays RUNNING until some
            process asks for a trial of the study after the grace period; a process started
            then for a single trial is enough.
        grace_period: Seconds without heartbeat after which a trial is stale (default
            ``2 * heartbeat_interval``).
        heartbeat_stale_trial_callback: Called as ``callback(study, trial)`` for each trial
            failed because its heartbeat went stale, e.g.
            :class:`RetryHeartbeatStaleTrialCallback`.
        failed_trial_callback: Deprecated name of ``heartbeat_stale_trial_callback`` (a
            FutureWarning); give at most one of the two.
        skip_table_creation: Do not create the tables in a new database.
        durable_commits: Sync every commit to disk (see Durability above).

    Raises:
        ValueError: ``url`` is not a database URL, or an argument is out of range.
        RuntimeError: the database is at another schema version.
    """

    def __init__(
        self,
        url: str,
        engine_kwargs: dict[str, Any] | None = None,
        skip_compatibility_check: bool = False,
        *,
        heartbeat_interval: int | None = None,
        grace_period: int | None = None,
        heartbeat_stale_trial_callback: HeartbeatStaleTrialCallback | None = None,
        failed_trial_callback: HeartbeatStaleTrialCallback | None = None,
        skip_table_creation: bool = False,
        durable_commits: bool = False,
    ) -> None:
        check_heartbeat_arguments("RDBStorage", heartbeat_interval, grace_period)
        if heartbeat_interval is not None:
            # Optuna marks the argument experimental; its users filter this category.
            warn_experimental("RDBStorage(heartbeat_interval=...)")
        self.url = _schema.fill_url_template(url)
        self.engine_kwargs = dict(engine_kwargs or {})
        self.skip_compatibility_check = skip_compatibility_check
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.heartbeat_stale_trial_callback = stale_trial_callback_argument(
            "RDBStorage", heartbeat_stale_trial_callback, failed_trial_callback
        )
        self.failed_trial_callback = self.heartbeat_stale_trial_callback
        self.skip_table_creation = skip_table_creation
        self.durable_commits = durable_commits
        self._connect()

    def _connect(self) -> None:
        self.engine = make_engine(self.url, self.engine_kwargs, self.durable_commits)
        self._tx = Transactions(self.engine)
        self._text_limits = TextLimits(self.engine)
        self._lock_rows = self.engine.dialect.name != "sqlite"
        self._statements = TrialStatements(self.engine.dialect.name, self._lock_rows)
        self._writes = TrialWrites(
            self._tx,
            self._statements,
            heartbeats=self.heartbeat_interval is not None,
            check_distribution=self.check_param_distribution,
        )
        self._unseen = UnseenTrials()
        _schema.prepare(
            self.engine,
            self.url,
            create_tables=not self.skip_table_creation,
            check=not self.skip_compatibility_check,
        )
        # What this process keeps of the database, each held here only. Costs quoted are of
        # the reads each spares, measured on a SQLite file of 200 trials (2-core machine, under
        # load; a trial of ten params costs about 3.5 ms in all):
        # - study_id -> StudyTrials (``_cache.py``): a study's trials, finished ones read once.
        #   Dropped with the study (delete_study here, or a sync that finds it gone). A sync
        #   that finds nothing new takes about 1 ms; reading every trial again, 17 ms at 200
        #   trials and growing with the study, on every Study.ask.
        self._caches: dict[int, StudyTrials] = {}
        self._caches_lock = threading.Lock()
        # - study_id -> StudyTrials for ``get_trials_changed_since(intermediate_values=False)``
        #   (the dashboard): its first read leaves out finished trials' intermediate values
        #   (two thirds of the rows of a study of 20 steps a trial), so its trials are kept
        #   apart from those above and never served as whole trials.
        self._light_caches: dict[int, StudyTrials] = {}
        # - study_id -> StudyTrials for ``_get_trials_changed_since_without_params`` (the
        #   dashboard's study page): its first read leaves out finished trials' params too
        #   (a study of 50,000 trials of ten params: 0.9 s of a 1.3 s read); kept apart the same.
        self._lean_caches: dict[int, StudyTrials] = {}
        # - trial_id -> (study_id, number): both never change while the trial exists. An id
        #   may be reused once its study is deleted: each read of the row, a creation by this
        #   process and a sync that finds the study gone replace or drop the entry. Spares a
        #   read (about 1.7 ms) on each set_trial_param, which needs the trial's study.
        self._trial_keys: dict[int, tuple[int, int]] = {}
        # - trial_id -> finished trial this process has read or ended (they never change while
        #   they exist; replaced or dropped like the keys above, and served in place of a row
        #   read only when the row is still theirs). Spares the read of the trial that
        #   Study.tell returns (about 1.1 ms), and a sync's re-read of the trials it ended.
        self._finished: dict[int, FrozenTrial] = {}
        # The trials just created (``TrialWrites.created``) and the sync statements
        # (``UnseenTrials``) are held by the objects above, which say what they buy.

    def __getstate__(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in (
                "url",
                "engine_kwargs",
                "skip_compatibility_check",
                "heartbeat_interval",
                "grace_period",
                "heartbeat_stale_trial_callback",
                "skip_table_creation",
                "durable_commits",
            )
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.skip_table_creation = True
        self._connect()

    # -- schema ---------------------------------------------------------------------------------
    def upgrade(self) -> None:
        """Migrate the database to the schema version of this tansaku (back it up first)."""
        _schema.upgrade(self.engine)

    def get_current_version(self) -> str:
        """The schema revision the database records."""
        with self.engine.connect() as connection:
            revision = _schema.current_revision(connection)
        return revision or ""

    def get_head_version(self) -> str:
        """The schema revision this tansaku uses."""
        return _schema.HEAD_REVISION

    def get_all_versions(self) -> list[str]:
        """Every schema revision this tansaku can upgrade from, newest first."""
        return list(reversed(_schema.ALL_REVISIONS))

    def remove_session(self) -> None:
        self.engine.dispose()

    # -- studies --------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        if study_name is None:
            study_name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
        _check_name("study_name", study_name)

        try:
            return self._tx.write(
                lambda connection: insert_study(connection, study_name, directions)
            )
        except IntegrityError:
            raise DuplicatedStudyError(
                f"Another study with name {study_name!r} already exists."
            ) from None

    def delete_study(self, study_id: int) -> None:
        def work(connection: Connection) -> None:
            self._check_study(connection, study_id)
            delete_study_rows(connection, study_id)

        self._tx.write(work)
        self._writes.created.clear()
        for trial_id in [i for i, (study, _) in self._trial_keys.items() if study == study_id]:
            self._finished.pop(trial_id, None)
            self._trial_keys.pop(trial_id, None)
        with self._caches_lock:
            self._caches.pop(study_id, None)
            self._light_caches.pop(study_id, None)
            self._lean_caches.pop(study_id, None)

    def _check_study(self, connection: Connection, study_id: int) -> None:
        if connection.execute(self._statements.study_row, {"study_id": study_id}).first() is None:
            raise KeyError(f"No study with study_id {study_id} in the storage.")

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` in the study's user attrs.

        Raises:
            ValueError: the value's JSON is longer than the database's column holds (65,535
                bytes on MySQL and MariaDB); nothing is written.
        """
        self._set_study_attr(STUDY_USER_ATTRS, study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(STUDY_SYSTEM_ATTRS, study_id, key, value)

    def _set_study_attr(self, table: Table, study_id: int, key: str, value: Any) -> None:
        _check_name("key", key)
        value_json = dump_json(value)
        self._text_limits.check_attr(table, key, value_json)

        def work(connection: Connection) -> None:
            self._check_study(connection, study_id)
            _upsert(connection, table, {"study_id": study_id, "key": key}, value_json=value_json)

        self._tx.write(work, retry_on_conflict=True)

    def get_study_id_from_name(self, study_name: str) -> int:
        found = self._study_column(STUDIES.c.study_id, STUDIES.c.study_name == study_name)
        if found is None:
            raise KeyError(f"No study named {study_name!r} in the storage.")
        return int(found)

    def get_study_name_from_id(self, study_id: int) -> str:
        found = self._study_column(STUDIES.c.study_name, STUDIES.c.study_id == study_id)
        if found is None:
            raise KeyError(f"No study with study_id {study_id} in the storage.")
        return str(found)

    def _study_column(self, column: Any, where: Any) -> Any:
        """``column`` of the study that ``where`` selects, or None when there is none."""
        with self._tx.reading() as connection:
            return connection.execute(select(column).where(where)).scalar()

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        cache = self._cache(study_id)
        with cache.lock:
            return list(self._directions(study_id, cache, synced=False))

    def _directions(self, study_id: int, cache: StudyTrials, synced: bool) -> list[StudyDirection]:
        """The study's directions, kept with its trials (``cache.lock`` held).

        A study's directions never change, but its id may be given to a new study once it is
        deleted. So they are served from memory only after a sync has re-read the cache's
        anchor, which drops them with the trials of a study that is gone (``synced``: the
        caller has just synced); without an anchor they are read again.
        """
        if not synced and cache.directions is not None and cache.anchor is not None:
            # Trials created since the last sync, and the anchor: one statement.
            self._sync(study_id, cache, ())
        if cache.directions is None or cache.anchor is None:
            with self._tx.reading() as connection:
                self._check_study(connection, study_id)
                cache.directions = read_directions(connection, study_id)
        return cache.directions

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        cache = self._cache(study_id)
        with cache.lock:
            self._sync(study_id, cache, (TrialState.COMPLETE,))
            directions = self._directions(study_id, cache, synced=True)
            completed = cache.select((TrialState.COMPLETE,))
        if len(directions) > 1:
            raise RuntimeError(
                "get_best_trial is for single-objective studies; use Study.best_trials"
            )
        if not completed:
            raise ValueError("No trials are completed yet.")
        pick = max if directions[0] == StudyDirection.MAXIMIZE else min
        return pick(completed, key=_first_value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._study_attrs(STUDY_USER_ATTRS, study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._study_attrs(STUDY_SYSTEM_ATTRS, study_id)

    def _study_attrs(self, table: Table, study_id: int) -> dict[str, Any]:
        with self._tx.reading() as connection:
            self._check_study(connection, study_id)
            return read_study_attrs(connection, table, study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        with self._tx.reading() as connection:
            return read_all_studies(connection)

    # -- trials: writes -------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if template_trial is not None:
            check_template_names("RDBStorage.create_new_trial", template_trial)
            self._text_limits.check_template(template_trial)
        trial_id, number = self._writes.create(study_id, template_trial)
        # The id may have been a deleted trial's, which this process had read.
        self._trial_keys[trial_id] = (study_id, number)
        self._finished.pop(trial_id, None)
        return trial_id

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        _check_name("param_name", param_name)
        check_param_to_store(distribution, param_value_internal)
        distribution_json = distribution_to_json(distribution)
        self._text_limits.check_distribution("set_trial_param", param_name, distribution_json)
        if trial_id not in self._trial_keys:
            self.get_trial_number_from_id(trial_id)  # learns the trial's study, or KeyError
        study_id = self._trial_keys[trial_id][0]
        try:
            if param_name not in self._cache(study_id).distributions:
                with self._tx.reading() as connection:
                    self.check_param_distribution(connection, study_id, param_name, distribution)
            else:
                self.check_param_distribution(None, study_id, param_name, distribution)
        except ValueError:
            # A finished trial refuses every write, compatible or not, as the other backends
            # do: learn its state only on this error path, so a good write reads nothing.
            self._writes.check_live(trial_id)
            raise
        self._writes.write_live(
            self._statements.upsert_param,
            {
                "trial_id": trial_id,
                "param_name": param_name,
                "param_value": param_value_internal,
                "distribution_json": distribution_json,
            },
        )

    def check_param_distribution(
        self,
        connection: Connection | None,
        study_id: int,
        name: str,
        distribution: BaseDistribution,
    ) -> None:
        """Raise ValueError when ``distribution`` is incompatible with the study's for ``name``.

        The study's distribution comes from this process's cache, or from one indexed read
        on ``connection`` the first time this process meets the name.
        """
        cache = self._cache(study_id)
        known = cache.distributions.get(name)
        if known is None:
            assert connection is not None
            row = connection.execute(
                select(PARAMS.c.distribution_json)
                .join(TRIALS, TRIALS.c.trial_id == PARAMS.c.trial_id)
                .where(TRIALS.c.study_id == study_id, PARAMS.c.param_name == name)
                .limit(1)
            ).first()
            if row is None:
                return
            try:
                known = json_to_distribution(row[0])
            except ValueError:
                return  # an unreadable row constrains nothing: readers leave it out
            cache.distributions.setdefault(name, known)
        if known is not distribution:
            check_distribution_compatibility(known, distribution)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        changed, ended = self._writes.set_state_values(trial_id, state, values)
        if ended is not None:
            self._finished[trial_id] = ended
        return changed

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        stored, kind = encode_intermediate(intermediate_value)
        self._writes.write_live(
            self._statements.upsert_intermediate,
            {
                "trial_id": trial_id,
                "step": step,
                "intermediate_value": stored,
                "intermediate_value_type": kind,
            },
        )

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` in the trial's user attrs.

        Raises:
            ValueError: the value's JSON is longer than the database's column holds (65,535
                bytes on MySQL and MariaDB); nothing is written.
        """
        self._set_trial_attr(
            TRIAL_USER_ATTRS, self._statements.upsert_user_attr, trial_id, key, value
        )

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(
            TRIAL_SYSTEM_ATTRS, self._statements.upsert_system_attr, trial_id, key, value
        )

    def _set_trial_attr(
        self, table: Table, upsert: Statement, trial_id: int, key: str, value: Any
    ) -> None:
        _check_name("key", key)
        value_json = dump_json(value)
        self._text_limits.check_attr(table, key, value_json)
        self._writes.write_live(
            upsert, {"trial_id": trial_id, "key": key, "value_json": value_json}
        )

    # -- trials: reads --------------------------------------------------------------------------
    def _cache(self, study_id: int, light: bool = False, lean: bool = False) -> StudyTrials:
        caches = self._lean_caches if lean else self._light_caches if light else self._caches
        cache = caches.get(study_id)
        if cache is None:
            with self._caches_lock:
                cache = caches.setdefault(study_id, StudyTrials())
        return cache

    def get_trial(self, trial_id: int) -> FrozenTrial:
        known = self._finished.get(trial_id) or self._writes.created.take(trial_id)
        if known is not None:
            return known
        with self._tx.reading_one_statement() as connection:
            trial = load_trial(connection, trial_id)
        if trial is None:
            raise KeyError(f"No trial with trial_id {trial_id} in the storage.")
        if trial.state.is_finished():
            self._finished[trial_id] = trial
        return trial

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        with self._tx.reading() as connection:
            row = connection.execute(
                select(TRIALS.c.trial_id).where(
                    TRIALS.c.study_id == study_id, TRIALS.c.number == trial_number
                )
            ).first()
        if row is None:
            raise KeyError(f"No trial with number {trial_number} in study {study_id}.")
        return int(row[0])

    def get_trial_number_from_id(self, trial_id: int) -> int:
        key = self._trial_keys.get(trial_id)
        if key is not None:
            return key[1]
        with self._tx.reading() as connection:
            row = connection.execute(
                select(TRIALS.c.study_id, TRIALS.c.number).where(TRIALS.c.trial_id == trial_id)
            ).first()
        if row is None:
            raise KeyError(f"No trial with trial_id {trial_id} in the storage.")
        self._trial_keys[trial_id] = (int(row[0]), int(row[1]))
        return int(row[1])

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        cache = self._cache(study_id)
        with cache.lock:
            self._sync(study_id, cache, states)
            trials = cache.select(states)
            if deepcopy:
                return [trial.__deepcopy__({}) for trial in trials]
        return trials

    def _get_trials_numbered(
        self, study_id: int, numbers: Sequence[int], from_number: int
    ) -> list[FrozenTrial]:
        # The sync reads the trials created since the last one and the live ones, no more.
        cache = self._cache(study_id)
        with cache.lock:
            self._sync(study_id, cache)
            return cache.numbered(numbers, from_number)

    def _get_light_numbered(
        self, study_id: int, numbers: Sequence[int], from_number: int
    ) -> list[FrozenTrial]:
        cache = self._cache(study_id, light=True)
        with cache.lock:
            self._sync(study_id, cache, light=True)
            return cache.numbered(numbers, from_number)

    def _get_trials_changed_since_without_params(
        self, study_id: int, cursor: TrialCursor | None = None
    ) -> tuple[list[FrozenTrial], TrialCursor]:
        if cursor is None:
            cursor = TrialCursor()
        cache = self._cache(study_id, lean=True)
        with cache.lock:
            self._sync(study_id, cache, light=True, lean=True)
            changed = cache.numbered(cursor.live_numbers, cursor.next_number)
        return changed, cursor.advanced(changed)

    def _get_params_of_trials(
        self, study_id: int, trial_ids: Sequence[int] | None = None
    ) -> dict[int, tuple[dict[str, Any], dict[str, BaseDistribution]]]:
        with self._tx.reading() as connection:
            return load_params_of_trials(connection, study_id, trial_ids)

    def _get_param_names(self, study_id: int, states: Container[TrialState]) -> set[str]:
        with self._tx.reading() as connection:
            return load_param_names(connection, study_id, states)

    def _sync(
        self,
        study_id: int,
        cache: StudyTrials,
        states: Container[TrialState] | None = None,
        light: bool = False,
        lean: bool = False,
    ) -> None:
        """Read the trials of the study this process has not seen finished.

        Of the trials live at the last sync, only those that may since have reached one of
        ``states`` are read again: a read of the waiting trials (``Study.ask`` makes one) need
        not read the running ones, which never wait again.

        The same statement re-reads the cache's anchor (see ``_cache.py``). When the anchor or
        a live trial comes back changed or not at all, the study was deleted (and maybe
        created again under its id): the cache starts over with a full read, which checks
        that the study exists. The check costs one primary-key lookup inside the sync's own
        statement and no round trip; only the sync that finds the study gone reads again.

        A ``light`` cache's first read leaves out the intermediate values of finished trials,
        a ``lean`` one's (light too) their params as well; their trials are then not kept as
        this process's finished trials (``_finished``).
        """
        if not self._sync_unseen(study_id, cache, states, light, lean):
            self._forget_study(study_id, cache)
            self._sync_unseen(study_id, cache, states, light, lean)

    def _sync_unseen(
        self,
        study_id: int,
        cache: StudyTrials,
        states: Container[TrialState] | None,
        light: bool = False,
        lean: bool = False,
    ) -> bool:
        """One sync of ``_sync``; False when the cache no longer copies the study."""
        # Live trials this process has since read finished need no second read.
        known = [
            ended
            for trial_id, trial in cache.live.items()
            if (ended := self._finished.get(trial_id)) is not None and same_trial_row(trial, ended)
        ]
        if known:
            cache.absorb(known)
        if states is None:
            live = list(cache.live)
        else:
            # Live states from which one of ``states`` may be reached. A set, not any() over a
            # generator, which a short circuit leaves suspended (see _one_trial._unseen_arguments).
            from_states = {
                state
                for state, ahead in _REACHABLE.items()
                if not ahead.isdisjoint([s for s in TrialState if s in states])
            }
            live = [
                trial_id for trial_id, trial in cache.live.items() if trial.state in from_states
            ]
        anchor = cache.anchor
        anchor_id = -1 if anchor is None else anchor._trial_id
        # Only the first sync checks that the study exists; later ones learn that it is gone
        # from the anchor and live trials. Then with few live trials the sync is one
        # statement, which needs no transaction to see one snapshot.
        first = cache.max_trial_id < 0
        if self._tx.sqlite_file and not first and len(live) <= MAX_LIVE_IDS_PER_STATEMENT:
            with self._tx.sqlite_read() as raw:
                fresh = self._unseen.load_on_sqlite(
                    raw, study_id, cache.max_trial_id, live, self._finished, anchor_id
                )
        else:
            reading = (
                self._tx.reading()
                if first or len(live) > MAX_LIVE_IDS_PER_STATEMENT
                else self._tx.reading_one_statement()
            )
            with reading as connection:
                if first:
                    # The whole study: a statement per table (see ``_study_read.py``).
                    self._check_study(connection, study_id)
                    fresh = load_study_trials(
                        connection,
                        study_id,
                        self._finished,
                        intermediate_values=not light,
                        params=not lean,
                    )
                else:
                    fresh = self._unseen.load(
                        connection, study_id, cache.max_trial_id, live, self._finished, anchor_id
                    )
        by_id = {trial._trial_id: trial for trial in fresh}
        if anchor is not None:
            read = by_id.get(anchor_id)
            if read is None or not same_trial_row(anchor, read):
                return False
            if anchor_id <= cache.max_trial_id and anchor_id not in cache.live:
                # It came for the check only, with its trials row alone.
                fresh = [trial for trial in fresh if trial._trial_id != anchor_id]
        for trial_id in live:
            read = by_id.get(trial_id)
            if read is None or not same_trial_row(cache.live[trial_id], read):
                return False
        if light:
            cache.absorb(fresh)
        else:
            self._absorb(study_id, cache, fresh)
        return True

    def _forget_study(self, study_id: int, cache: StudyTrials) -> None:
        """Drop what this process keeps of a study that was deleted, by any process."""
        trial_ids = [t._trial_id for t in cache.finished] + list(cache.live)
        for trial_id in trial_ids:
            self._finished.pop(trial_id, None)
            if self._trial_keys.get(trial_id, (None,))[0] == study_id:
                del self._trial_keys[trial_id]
        cache.reset()

    def _absorb(self, study_id: int, cache: StudyTrials, fresh: list[FrozenTrial]) -> None:
        for trial in fresh:
            trial_id = trial._trial_id
            self._trial_keys[trial_id] = (study_id, trial.number)
            if trial.state.is_finished():
                self._finished[trial_id] = trial  # the row as read now: its id may be reused
            else:
                self._finished.pop(trial_id, None)
        cache.absorb(fresh)

    # -- heartbeats -----------------------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        def work(connection: Connection) -> None:
            _upsert(
                connection, HEARTBEATS, {"trial_id": trial_id}, heartbeat=_database_now(connection)
            )

        self._tx.write(work, retry_on_conflict=True)

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        assert self.heartbeat_interval is not None
        grace = self.grace_period or 2 * self.heartbeat_interval
        # Driven from the heartbeats table, which holds a row per running trial with
        # heartbeats (a trial's row goes when it ends), then by primary key into trials: the
        # cost follows the number of running trials, not of the study's trials. (Filtering
        # the study's trials by state scanned all of them: 20 ms per call at 20,000 trials on
        # SQLite, against 0.1 ms this way.)
        with self._tx.reading() as connection:
            now = _database_now(connection)
            cutoff = now - datetime.timedelta(seconds=grace)
            candidates = [
                int(row[0])
                for row in connection.execute(
                    select(HEARTBEATS.c.trial_id).where(HEARTBEATS.c.heartbeat < cutoff)
                )
            ]
            if not candidates:
                return []
            rows = connection.execute(
                select(TRIALS.c.trial_id).where(
                    TRIALS.c.trial_id.in_(candidates),
                    TRIALS.c.study_id == study_id,
                    TRIALS.c.state == TrialState.RUNNING,
                )
            ).all()
        return [int(row[0]) for row in rows]

    def get_heartbeat_interval(self) -> int | None:
        return self.heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> HeartbeatStaleTrialCallback | None:
        return self.heartbeat_stale_trial_callback


def _database_now(connection: Connection) -> datetime.datetime:
    """The database's clock when it has one shared by all machines; else this machine's."""
    if connection.dialect.name == "sqlite":
        return datetime.datetime.now()
    value = connection.execute(select(func.localtimestamp())).scalar_one()
    assert isinstance(value, datetime.datetime)
    return value


def _upsert(connection: Connection, table: Table, key: dict[str, Any], **values: Any) -> None:
    """Update the row that ``key`` names, or insert it (portable across the databases)."""
    conditions = [table.c[name] == value for name, value in key.items()]
    updated = connection.execute(update(table).where(*conditions).values(**values))
    if updated.rowcount == 0:
        connection.execute(insert(table).values(**key, **values))


def _first_value(trial: FrozenTrial) -> float:
    values = trial.values
    assert values is not None
    return values[0]


# The states a trial last seen live may be in now.
_REACHABLE = {
    TrialState.WAITING: frozenset(TrialState),
    TrialState.RUNNING: frozenset(TrialState) - {TrialState.WAITING},
}


def _check_name(argument: str, name: str) -> None:
    """Raise TypeError or ValueError for a name that some database could not store exactly.

    NUL characters and lone surrogates are refused on every database, not only where they
    fail (PostgreSQL, and SQLite's UTF-8), so that a study copies between databases.
    """
    check_name("RDBStorage", argument, name)
    if len(name) > MAX_INDEXED_STRING_LENGTH:
        raise ValueError(
            f"RDBStorage: {argument} of {len(name)} characters is too long; the database "
            f"stores at most {MAX_INDEXED_STRING_LENGTH}"
        )
    if "\x00" in name:
        raise ValueError(f"RDBStorage: {argument}={name!r} contains a NUL character")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"RDBStorage: {argument}={name!r} is not valid Unicode (a lone surrogate)"
        ) from None
