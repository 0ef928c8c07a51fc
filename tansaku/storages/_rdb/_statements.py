"""Statements built once per storage, with bound parameters: the hot path only binds values.

Building a SQLAlchemy statement costs more than SQLite takes to run it, so the statements a
trial runs dozens of times are built here once; names and values are always bound parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Table, bindparam, delete, insert, select, update
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


class Upsert:
    """Insert a row, or update it when its unique key exists: one statement where the
    database has an upsert (SQLite, PostgreSQL, MySQL), update-then-insert elsewhere."""

    def __init__(self, dialect: str, table: Table, key: list[str], columns: list[str]) -> None:
        self.key = key
        self.single: Executable | None = None
        if dialect in ("sqlite", "postgresql"):
            if dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            else:
                from sqlalchemy.dialects.postgresql import insert as dialect_insert  # type: ignore[assignment]
            statement = dialect_insert(table)
            self.single = statement.on_conflict_do_update(
                index_elements=key,
                set_={name: statement.excluded[name] for name in columns},
            )
        elif dialect == "mysql":
            from sqlalchemy.dialects.mysql import insert as mysql_insert

            mysql_statement = mysql_insert(table)
            self.single = mysql_statement.on_duplicate_key_update(
                {name: mysql_statement.inserted[name] for name in columns}
            )
        self.update = (
            update(table)
            .where(*[table.c[name] == bindparam(f"key_{name}") for name in key])
            .values({name: bindparam(name) for name in columns})
        )
        self.insert = insert(table)

    def __call__(self, connection: Connection, values: dict[str, Any]) -> None:
        if self.single is not None:
            connection.execute(self.single, values)
            return
        bound = dict(values)
        bound.update({f"key_{name}": values[name] for name in self.key})
        if connection.execute(self.update, bound).rowcount == 0:
            connection.execute(self.insert, values)


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
        self.upsert_param = Upsert(
            dialect, PARAMS, ["trial_id", "param_name"], ["param_value", "distribution_json"]
        )
        self.upsert_intermediate = Upsert(
            dialect,
            INTERMEDIATE,
            ["trial_id", "step"],
            ["intermediate_value", "intermediate_value_type"],
        )
        self.upsert_user_attr = Upsert(
            dialect, TRIAL_USER_ATTRS, ["trial_id", "key"], ["value_json"]
        )
        self.upsert_system_attr = Upsert(
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
        self.set_state = (
            update(TRIALS)
            .where(TRIALS.c.trial_id == bindparam("key_trial_id"))
            .values(
                state=bindparam("state"),
                datetime_start=bindparam("datetime_start"),
                datetime_complete=bindparam("datetime_complete"),
            )
        )
        self.delete_values = delete(VALUES).where(VALUES.c.trial_id == bindparam("trial_id"))
        self.insert_values = insert(VALUES)
