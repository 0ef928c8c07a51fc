"""Statements built once per storage, with bound parameters: the hot path only binds values.

Building a SQLAlchemy statement costs more than SQLite takes to run it, so the statements a
trial runs dozens of times are built here once; names and values are always bound parameters.

Each statement is written once, with SQLAlchemy Core. On a SQLite file the hottest writes run
on SQLite's driver itself (see ``_transactions.py``), which runs the SQL SQLAlchemy compiles
for the same statement, once, with the values converted by the columns' own types (enums by
name, times in SQLAlchemy's text format): both paths write the same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeAlias

from sqlalchemy import (
    Integer,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnElement

from tansaku.storages._rdb._codec import (
    HEARTBEATS,
    INTERMEDIATE,
    PARAMS,
    STUDIES,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIALS,
    VALUES,
)
from tansaku.trial import TrialState

_SQLITE = sqlite.dialect()
# What a Statement holds: the statements SQLAlchemy can both run and compile.
Core: TypeAlias = "UpdateBase | Select[Any]"


class SqliteText:
    """A statement compiled once for SQLite's driver: its SQL and how to bind its values."""

    __slots__ = ("_defaults", "_names", "_processors", "text")

    def __init__(self, statement: Core, column_keys: Sequence[str] | None = None) -> None:
        compiled = statement.compile(
            dialect=_SQLITE, column_keys=None if column_keys is None else list(column_keys)
        )
        assert compiled.positiontup is not None  # SQLite's driver binds by position
        self.text = compiled.string
        self._names = tuple(compiled.positiontup)
        binds = compiled.binds
        self._processors = tuple(
            binds[name].type.dialect_impl(_SQLITE).bind_processor(_SQLITE) for name in self._names
        )
        # The values written into the statement itself (a state it tests), converted once.
        self._defaults = {
            name: _convert(processor, compiled.params[name])
            for name, processor in zip(self._names, self._processors, strict=True)
            if not binds[name].required
        }

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """The driver's positional parameters for ``values`` (by bind name)."""
        defaults = self._defaults
        return [
            defaults[name] if name in defaults else _convert(processor, values[name])
            for name, processor in zip(self._names, self._processors, strict=True)
        ]

    def execute(self, connection: sqlite3.Connection, values: Mapping[str, Any]) -> sqlite3.Cursor:
        return connection.execute(self.text, self.parameters(values))


def _convert(processor: Any, value: Any) -> Any:
    return value if processor is None or value is None else processor(value)


class Statement:
    """One statement of the storage, and on SQLite its text for the driver (``SqliteText``)."""

    __slots__ = ("core", "sqlite")

    def __init__(self, core: Core, dialect: str, column_keys: Sequence[str] | None = None) -> None:
        self.core = core
        self.sqlite = SqliteText(core, column_keys) if dialect == "sqlite" else None


class Writes(Protocol):
    """Runs statements in a write transaction, on SQLAlchemy or on SQLite's driver."""

    def rowcount(self, statement: Statement, values: Mapping[str, Any]) -> int:
        """Run ``statement``; the number of rows it wrote."""
        ...

    def first(self, statement: Statement, values: Mapping[str, Any]) -> Sequence[Any] | None:
        """Run ``statement``; its first row, or None."""
        ...

    def insert(self, statement: Statement, values: Mapping[str, Any]) -> int:
        """Run an INSERT of one row; the new row's primary key."""
        ...


class EngineWrites:
    """``Writes`` on a SQLAlchemy connection."""

    __slots__ = ("connection",)

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def rowcount(self, statement: Statement, values: Mapping[str, Any]) -> int:
        return self.connection.execute(statement.core, values).rowcount

    def first(self, statement: Statement, values: Mapping[str, Any]) -> Sequence[Any] | None:
        return self.connection.execute(statement.core, values).first()

    def insert(self, statement: Statement, values: Mapping[str, Any]) -> int:
        key = self.connection.execute(statement.core, values).inserted_primary_key
        assert key is not None
        return int(key[0])


class DriverWrites:
    """``Writes`` on SQLite's driver, running each statement's ``SqliteText``."""

    __slots__ = ("connection",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def rowcount(self, statement: Statement, values: Mapping[str, Any]) -> int:
        assert statement.sqlite is not None
        return statement.sqlite.execute(self.connection, values).rowcount

    def first(self, statement: Statement, values: Mapping[str, Any]) -> Sequence[Any] | None:
        assert statement.sqlite is not None
        row: Sequence[Any] | None = statement.sqlite.execute(self.connection, values).fetchone()
        return row

    def insert(self, statement: Statement, values: Mapping[str, Any]) -> int:
        assert statement.sqlite is not None
        row_id = statement.sqlite.execute(self.connection, values).lastrowid
        assert row_id is not None
        return row_id


def _dialect_insert(dialect: str, table: Table) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.mysql import insert as mysql_insert

    return mysql_insert(table)


def _is_live() -> ColumnElement[bool]:
    # The states as bound values (not an "expanding" list, which has no SQL until executed).
    states = [
        literal(state, TRIALS.c.state.type) for state in (TrialState.RUNNING, TrialState.WAITING)
    ]
    return TRIALS.c.state.in_(states)


def _live_upsert(dialect: str, table: Table, key: list[str], columns: list[str]) -> Statement:
    """Insert or update a row of a trial only while the trial is live: one statement.

    ``INSERT INTO t (...) SELECT trials.trial_id, <values> FROM trials WHERE trial_id = :id
    AND state IN (RUNNING, WAITING)``, with the dialect's upsert clause: no row is written when
    the trial is missing or finished, and the caller learns which from a read only then. It
    takes no lock on the trial: a concurrent write that finishes the trial does not read the
    rows written here, so running this before or after it is the same.
    """
    others = [name for name in [*key, *columns] if name != "trial_id"]
    source = select(
        TRIALS.c.trial_id, *[bindparam(name, type_=table.c[name].type) for name in others]
    ).where(TRIALS.c.trial_id == bindparam("trial_id", type_=Integer), _is_live())
    # The row count says whether a row was written; SQLAlchemy keeps it for INSERTs only
    # when asked to.
    statement = (
        _dialect_insert(dialect, table)
        .from_select(["trial_id", *others], source)
        .execution_options(preserve_rowcount=True)
    )
    if dialect == "mysql":
        upsert = statement.on_duplicate_key_update(
            {name: statement.inserted[name] for name in columns}
        )
    else:
        upsert = statement.on_conflict_do_update(
            index_elements=key, set_={name: statement.excluded[name] for name in columns}
        )
    return Statement(upsert, dialect)


class TrialStatements:
    """The per-trial statements of one storage (its dialect decides the upserts)."""

    def __init__(self, dialect: str, lock_rows: bool) -> None:
        live = select(
            TRIALS.c.study_id,
            TRIALS.c.number,
            TRIALS.c.state,
            TRIALS.c.datetime_start,
            TRIALS.c.datetime_complete,
        ).where(TRIALS.c.trial_id == bindparam("trial_id"))
        self.trial_row = live.with_for_update() if lock_rows else live
        # The upserts of the rows a running trial gains, one statement each (see _live_upsert).
        self.upsert_param = _live_upsert(
            dialect, PARAMS, ["trial_id", "param_name"], ["param_value", "distribution_json"]
        )
        self.upsert_intermediate = _live_upsert(
            dialect,
            INTERMEDIATE,
            ["trial_id", "step"],
            ["intermediate_value", "intermediate_value_type"],
        )
        self.upsert_user_attr = _live_upsert(
            dialect, TRIAL_USER_ATTRS, ["trial_id", "key"], ["value_json"]
        )
        self.upsert_system_attr = _live_upsert(
            dialect, TRIAL_SYSTEM_ATTRS, ["trial_id", "key"], ["value_json"]
        )
        study = select(STUDIES.c.study_id).where(STUDIES.c.study_id == bindparam("study_id"))
        self.study_row = study
        # The creation of a trial (``TrialWrites.create``); SQLite needs no row lock, its
        # write transactions exclude each other.
        self.locked_study_row = Statement(study.with_for_update() if lock_rows else study, dialect)
        self.last_number = Statement(
            select(TRIALS.c.number)
            .where(TRIALS.c.study_id == bindparam("study_id"))
            .order_by(TRIALS.c.trial_id.desc())
            .limit(1),
            dialect,
        )
        self.insert_trial = Statement(
            insert(TRIALS), dialect, ["study_id", "number", "state", "datetime_start"]
        )
        self.insert_heartbeat = Statement(insert(HEARTBEATS), dialect, ["trial_id", "heartbeat"])
        # Moves of a trial's state, each only from the states it may be moved from.
        trial = TRIALS.c.trial_id == bindparam("key_trial_id")
        self.start_waiting = (
            update(TRIALS)
            .where(trial, TRIALS.c.state == TrialState.WAITING)
            .values(state=TrialState.RUNNING, datetime_start=bindparam("now"))
        )
        self.finish_live = (
            update(TRIALS)
            .where(trial, _is_live())
            .values(state=bindparam("state"), datetime_complete=bindparam("now"))
        )
        self.set_live = update(TRIALS).where(trial, _is_live()).values(state=bindparam("state"))
        self.delete_values = delete(VALUES).where(VALUES.c.trial_id == bindparam("trial_id"))
        self.insert_values = insert(VALUES)
