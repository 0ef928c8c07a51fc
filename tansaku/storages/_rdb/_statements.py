"""Statements built once per storage, with bound parameters: the hot path only binds values.

Building a SQLAlchemy statement costs more than SQLite takes to run it, so the statements a
trial runs dozens of times are built here once; names and values are always bound parameters.
"""

from __future__ import annotations

import enum
import sqlite3
from typing import Any

from sqlalchemy import Executable, Integer, Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from tansaku.storages._rdb._codec import (
    INTERMEDIATE,
    PARAMS,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIALS,
    VALUES,
)
from tansaku.storages._rdb._models import StudyModel
from tansaku.trial import TrialState


def _dialect_insert(dialect: str, table: Table) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.mysql import insert as mysql_insert

    return mysql_insert(table)


class LiveUpsert:
    """Insert or update a row of a trial only while the trial is live: one statement.

    ``INSERT INTO t (...) SELECT trials.trial_id, <values> FROM trials WHERE trial_id = :id
    AND state IN (RUNNING, WAITING)``, with the dialect's upsert clause: no row is written when
    the trial is missing or finished, and the caller learns which from a read only then. It
    takes no lock on the trial: a concurrent write that finishes the trial does not read the
    rows written here, so running this before or after it is the same.
    """

    def __init__(self, dialect: str, table: Table, key: list[str], columns: list[str]) -> None:
        others = [name for name in [*key, *columns] if name != "trial_id"]
        source = select(
            TRIALS.c.trial_id, *[bindparam(name, type_=table.c[name].type) for name in others]
        ).where(
            TRIALS.c.trial_id == bindparam("trial_id", type_=Integer),
            TRIALS.c.state.in_([TrialState.RUNNING, TrialState.WAITING]),
        )
        # The row count says whether a row was written; SQLAlchemy keeps it for INSERTs only
        # when asked to.
        statement = (
            _dialect_insert(dialect, table)
            .from_select(["trial_id", *others], source)
            .execution_options(preserve_rowcount=True)
        )
        if dialect == "mysql":
            self.statement: Executable = statement.on_duplicate_key_update(
                {name: statement.inserted[name] for name in columns}
            )
        else:
            self.statement = statement.on_conflict_do_update(
                index_elements=key, set_={name: statement.excluded[name] for name in columns}
            )

        # The same statement for SQLite's driver (``sqlite_write``): table and column names
        # are the schema's own; the values are bound.
        self.sqlite_text = (
            f"INSERT INTO {table.name} (trial_id, {', '.join(others)}) "
            f"SELECT trials.trial_id, {', '.join(':' + name for name in others)} FROM trials "
            "WHERE trials.trial_id = :trial_id AND trials.state IN ('RUNNING', 'WAITING') "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in columns)
        )

    def __call__(self, connection: Connection, values: dict[str, Any]) -> bool:
        """Write the row; False when the trial is missing or has finished."""
        return bool(connection.execute(self.statement, values).rowcount)

    def on_sqlite(self, connection: sqlite3.Connection, values: dict[str, Any]) -> bool:
        """The same on SQLite's driver; enums are stored by name, as SQLAlchemy stores them."""
        bound = {
            name: value.name if isinstance(value, enum.Enum) else value
            for name, value in values.items()
        }
        return bool(connection.execute(self.sqlite_text, bound).rowcount)


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
        # The upserts of the rows a running trial gains, one statement each (see LiveUpsert).
        self.upsert_param = LiveUpsert(
            dialect, PARAMS, ["trial_id", "param_name"], ["param_value", "distribution_json"]
        )
        self.upsert_intermediate = LiveUpsert(
            dialect,
            INTERMEDIATE,
            ["trial_id", "step"],
            ["intermediate_value", "intermediate_value_type"],
        )
        self.upsert_user_attr = LiveUpsert(
            dialect, TRIAL_USER_ATTRS, ["trial_id", "key"], ["value_json"]
        )
        self.upsert_system_attr = LiveUpsert(
            dialect, TRIAL_SYSTEM_ATTRS, ["trial_id", "key"], ["value_json"]
        )
        studies: Table = StudyModel.__table__  # type: ignore[assignment]
        study = select(studies.c.study_id).where(studies.c.study_id == bindparam("study_id"))
        self.study_row = study
        self.locked_study_row = study.with_for_update() if lock_rows else study
        self.last_number = (
            select(TRIALS.c.number)
            .where(TRIALS.c.study_id == bindparam("study_id"))
            .order_by(TRIALS.c.trial_id.desc())
            .limit(1)
        )
        self.insert_trial = insert(TRIALS)
        # Moves of a trial's state, each only from the states it may be moved from.
        trial = TRIALS.c.trial_id == bindparam("key_trial_id")
        is_live = TRIALS.c.state.in_([TrialState.RUNNING, TrialState.WAITING])
        self.start_waiting = (
            update(TRIALS)
            .where(trial, TRIALS.c.state == TrialState.WAITING)
            .values(state=TrialState.RUNNING, datetime_start=bindparam("now"))
        )
        self.finish_live = (
            update(TRIALS)
            .where(trial, is_live)
            .values(state=bindparam("state"), datetime_complete=bindparam("now"))
        )
        self.set_live = update(TRIALS).where(trial, is_live).values(state=bindparam("state"))
        self.delete_values = delete(VALUES).where(VALUES.c.trial_id == bindparam("trial_id"))
        self.insert_values = insert(VALUES)
