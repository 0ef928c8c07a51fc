"""The two trial writes that touch several tables: creating a trial and ending it.

Each runs inside the one write transaction RDBStorage opens for it, so a trial is created
(with everything a template brings) or ended (state, values, heartbeat row) by one commit.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection

from tansaku.distributions import distribution_to_json
from tansaku.storages._rdb._codec import (
    HEARTBEATS,
    INTERMEDIATE,
    PARAMS,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIALS,
    VALUES,
    dump_json,
    encode_intermediate,
    value_rows,
)
from tansaku.storages._rdb._one_trial import load_trial
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.storages._rdb._storage import RDBStorage


def create_trial(
    storage: RDBStorage,
    connection: Connection,
    study_id: int,
    template: FrozenTrial | None,
) -> tuple[int, int, FrozenTrial | None]:
    """Insert a RUNNING trial (or a copy of ``template``) numbered next in its study.

    Returns:
        The new trial's id and number, and without a template the trial as written.
    """
    # The lock on the study's row serializes trial creation within a study (SQLite's
    # BEGIN IMMEDIATE already does), so numbers are dense and trial ids grow with numbers.
    storage._check_study(connection, study_id, lock=True)
    statements = storage._statements
    last = connection.execute(statements.last_number, {"study_id": study_id}).first()
    number = 0 if last is None else int(last[0]) + 1
    now = datetime.datetime.now()
    if template is None:
        trial_id = int(
            connection.execute(
                statements.insert_trial,
                {
                    "study_id": study_id,
                    "number": number,
                    "state": TrialState.RUNNING,
                    "datetime_start": now,
                },
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        if storage.heartbeat_interval is not None:
            connection.execute(insert(HEARTBEATS).values(trial_id=trial_id, heartbeat=now))
        written = FrozenTrial(
            number, TrialState.RUNNING, None, now, None, {}, {}, {}, {}, {}, trial_id
        )
        return trial_id, number, written

    for name, distribution in template.distributions.items():
        storage.check_param_distribution(connection, study_id, name, distribution)
    trial_id = int(
        connection.execute(
            insert(TRIALS).values(
                study_id=study_id,
                number=number,
                state=template.state,
                datetime_start=template.datetime_start,
                datetime_complete=template.datetime_complete,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )
    if template.params:
        connection.execute(
            insert(PARAMS),
            [
                {
                    "trial_id": trial_id,
                    "param_name": name,
                    "param_value": distribution.to_internal_repr(template.params[name]),
                    "distribution_json": distribution_to_json(distribution),
                }
                for name, distribution in template.distributions.items()
            ],
        )
    if template.values is not None:
        connection.execute(insert(VALUES), value_rows(trial_id, template.values))
    if template.intermediate_values:
        rows = []
        for step, value in template.intermediate_values.items():
            stored, kind = encode_intermediate(value)
            rows.append(
                {
                    "trial_id": trial_id,
                    "step": step,
                    "intermediate_value": stored,
                    "intermediate_value_type": kind,
                }
            )
        connection.execute(insert(INTERMEDIATE), rows)
    for table, attrs in (
        (TRIAL_USER_ATTRS, template.user_attrs),
        (TRIAL_SYSTEM_ATTRS, template.system_attrs),
    ):
        if attrs:
            connection.execute(
                insert(table),
                [
                    {"trial_id": trial_id, "key": key, "value_json": dump_json(value)}
                    for key, value in attrs.items()
                ],
            )
    return trial_id, number, None


# The same creation of a plain trial, on SQLite's driver (``sqlite_write``); times are stored
# as SQLAlchemy stores them on SQLite, with six digits of microseconds.
_SQLITE_STUDY = "SELECT 1 FROM studies WHERE study_id = ?"
_SQLITE_LAST_NUMBER = "SELECT number FROM trials WHERE study_id = ? ORDER BY trial_id DESC LIMIT 1"
_SQLITE_INSERT_TRIAL = (
    "INSERT INTO trials (number, study_id, state, datetime_start) VALUES (?, ?, 'RUNNING', ?)"
)
_SQLITE_INSERT_HEARTBEAT = "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, ?)"
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def create_plain_trial_on_sqlite(
    storage: RDBStorage, connection: sqlite3.Connection, study_id: int
) -> tuple[int, int, FrozenTrial]:
    """``create_trial`` without a template, in a ``sqlite_write`` transaction."""
    if connection.execute(_SQLITE_STUDY, (study_id,)).fetchone() is None:
        raise KeyError(f"No study with study_id {study_id} in the storage.")
    last = connection.execute(_SQLITE_LAST_NUMBER, (study_id,)).fetchone()
    number = 0 if last is None else int(last[0]) + 1
    now = datetime.datetime.now()
    stamp = now.strftime(_SQLITE_TIME)
    trial_id = connection.execute(_SQLITE_INSERT_TRIAL, (number, study_id, stamp)).lastrowid
    assert trial_id is not None
    if storage.heartbeat_interval is not None:
        connection.execute(_SQLITE_INSERT_HEARTBEAT, (trial_id, stamp))
    written = FrozenTrial(
        number, TrialState.RUNNING, None, now, None, {}, {}, {}, {}, {}, trial_id
    )
    return trial_id, number, written


def set_state_values(
    storage: RDBStorage,
    connection: Connection,
    trial_id: int,
    state: TrialState,
    values: Sequence[float] | None,
) -> tuple[bool, FrozenTrial | None]:
    """Move a trial to ``state``; see BaseStorage.set_trial_state_values.

    Returns:
        Whether the state changed, and a trial that ended as read back in the same
        transaction (it never changes again, so the storage keeps it once committed and the
        read that follows, ``Study.tell`` returning the trial, costs no transaction).
    """
    statements = storage._statements
    now = datetime.datetime.now()
    # One UPDATE that moves a live trial (a waiting one, to start it) and takes its row lock;
    # only when it moves nothing does a read learn why.
    if state is TrialState.RUNNING:
        moved = connection.execute(
            statements.start_waiting, {"key_trial_id": trial_id, "now": now}
        )
    elif state.is_finished():
        moved = connection.execute(
            statements.finish_live, {"key_trial_id": trial_id, "state": state, "now": now}
        )
    else:
        moved = connection.execute(statements.set_live, {"key_trial_id": trial_id, "state": state})
    if not moved.rowcount:
        storage._live_trial_study(connection, trial_id)  # raises for a missing or ended trial
        if state is TrialState.RUNNING:
            return False, None  # it was running already
        # A live trial the UPDATE left as it was (MySQL counts changed rows only).
    if values is not None:
        if trial_id not in storage._without_values:
            connection.execute(statements.delete_values, {"trial_id": trial_id})
        connection.execute(statements.insert_values, value_rows(trial_id, values))
    if state.is_finished():
        if storage.heartbeat_interval is not None:
            # Without heartbeats here none were recorded for it by this storage; a row left
            # by another process's is harmless: staleness is judged of running trials only.
            connection.execute(delete(HEARTBEATS).where(HEARTBEATS.c.trial_id == trial_id))
        return True, load_trial(connection, trial_id)
    elif state is TrialState.RUNNING and storage.heartbeat_interval is not None:
        connection.execute(insert(HEARTBEATS).values(trial_id=trial_id, heartbeat=now))
    return True, None
