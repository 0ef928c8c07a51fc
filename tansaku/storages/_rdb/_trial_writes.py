"""The writes of trials: creating one, ending one, and the rows a live trial gains.

Each runs in one write transaction (``Transactions``), so a trial is created (with everything
a template brings) or ended (state, values, heartbeat row) by one commit. The hottest ones run
on SQLite's driver on a SQLite file, with the same statements (``Writes``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection

from tansaku.distributions import BaseDistribution, distribution_to_json
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.storages._rdb._cache import JustCreated
from tansaku.storages._rdb._codec import (
    HEARTBEATS,
    INTERMEDIATE,
    PARAMS,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    VALUES,
    dump_json,
    encode_intermediate,
    value_rows,
)
from tansaku.storages._rdb._one_trial import load_trial
from tansaku.storages._rdb._statements import EngineWrites, Statement, TrialStatements, Writes
from tansaku.storages._rdb._transactions import Transactions
from tansaku.trial import FrozenTrial, TrialState

# check_param_distribution(connection, study_id, name, distribution): ValueError if it does
# not fit the study's distribution of ``name``.
DistributionCheck = Callable[[Connection, int, str, BaseDistribution], None]


class TrialWrites:
    """Writes the trials of one storage, and keeps the trials it has just created.

    Args:
        tx: The storage's transactions.
        statements: The storage's statements.
        heartbeats: Whether the storage records heartbeats (a running trial has a row).
        check_distribution: Checks a template's distributions against the study's.
    """

    def __init__(
        self,
        tx: Transactions,
        statements: TrialStatements,
        heartbeats: bool,
        check_distribution: DistributionCheck,
    ) -> None:
        self._tx = tx
        self._statements = statements
        self._heartbeats = heartbeats
        self._check_distribution = check_distribution
        # The trials this process has just created without a template, as written, for the one
        # read that follows (Study.ask's); any write of this process to one drops it. Spares
        # that read: about 1.1 ms a trial on SQLite.
        self.created = JustCreated()

    def create(self, study_id: int, template: FrozenTrial | None) -> tuple[int, int]:
        """Insert a RUNNING trial (or a copy of ``template``) numbered next in its study.

        Returns:
            The new trial's id and number.

        Raises:
            KeyError: there is no such study.
        """
        if template is not None:
            return self._tx.write(lambda connection: self._copy(connection, study_id, template))
        trial = self._tx.write_rows(lambda writes: self._create_running(writes, study_id))
        self.created.put(trial._trial_id, trial)
        return trial._trial_id, trial.number

    def _next_number(self, writes: Writes, study_id: int) -> int:
        # The lock on the study's row serializes trial creation within a study (SQLite's
        # BEGIN IMMEDIATE already does), so numbers are dense and trial ids grow with numbers.
        statements = self._statements
        if writes.first(statements.locked_study_row, {"study_id": study_id}) is None:
            raise KeyError(f"No study with study_id {study_id} in the storage.")
        last = writes.first(statements.last_number, {"study_id": study_id})
        return 0 if last is None else int(last[0]) + 1

    def _create_running(self, writes: Writes, study_id: int) -> FrozenTrial:
        number = self._next_number(writes, study_id)
        now = datetime.datetime.now()
        trial_id = writes.insert(
            self._statements.insert_trial,
            {
                "study_id": study_id,
                "number": number,
                "state": TrialState.RUNNING,
                "datetime_start": now,
            },
        )
        if self._heartbeats:
            writes.rowcount(
                self._statements.insert_heartbeat, {"trial_id": trial_id, "heartbeat": now}
            )
        return FrozenTrial(
            number, TrialState.RUNNING, None, now, None, {}, {}, {}, {}, {}, trial_id
        )

    def _copy(
        self, connection: Connection, study_id: int, template: FrozenTrial
    ) -> tuple[int, int]:
        writes = EngineWrites(connection)
        number = self._next_number(writes, study_id)
        for name, distribution in template.distributions.items():
            self._check_distribution(connection, study_id, name, distribution)
        trial_id = writes.insert(
            self._statements.insert_trial,
            {
                "study_id": study_id,
                "number": number,
                "state": template.state,
                "datetime_start": template.datetime_start,
                "datetime_complete": template.datetime_complete,
            },
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
        return trial_id, number

    def write_live(self, upsert: Statement, row: dict[str, Any]) -> None:
        """Write ``row`` of a trial that must be live, in one statement.

        Raises:
            KeyError: there is no such trial.
            UpdateFinishedTrialError: the trial has finished.
        """
        self.created.take(row["trial_id"])  # no longer as created
        written = self._tx.write_rows(
            lambda writes: writes.rowcount(upsert, row),
            retry_on_conflict=True,
            single_statement=True,
        )
        if not written:
            # Nothing written: learn why (MySQL also reports 0 rows for a write that changed
            # nothing, on a live trial: then there is nothing to raise).
            self.check_live(row["trial_id"])

    def check_live(self, trial_id: int) -> None:
        """Raise KeyError or UpdateFinishedTrialError unless the trial may still be written."""
        with self._tx.reading() as connection:
            self._live_trial_study(connection, trial_id)

    def _live_trial_study(self, connection: Connection, trial_id: int) -> int:
        """The study of a trial that may still be written; lock its row where rows lock.

        Raises:
            KeyError: there is no such trial.
            UpdateFinishedTrialError: the trial has finished.
        """
        row = connection.execute(self._statements.trial_row, {"trial_id": trial_id}).first()
        if row is None:
            raise KeyError(f"No trial with trial_id {trial_id} in the storage.")
        study_id, number, state, _, _ = row
        if state.is_finished():
            raise UpdateFinishedTrialError(
                f"Trial#{number} has already finished and can not be updated."
            )
        return int(study_id)

    def set_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None
    ) -> tuple[bool, FrozenTrial | None]:
        """Move a trial to ``state``; see BaseStorage.set_trial_state_values.

        Returns:
            Whether the state changed, and a trial that ended as read back in the same
            transaction (it never changes again, so the storage keeps it once committed and
            the read that follows, ``Study.tell`` returning the trial, costs no transaction).
        """
        self.created.take(trial_id)
        return self._tx.write(
            lambda connection: self._set_state_values(connection, trial_id, state, values)
        )

    def _set_state_values(
        self,
        connection: Connection,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> tuple[bool, FrozenTrial | None]:
        statements = self._statements
        now = datetime.datetime.now()
        # One UPDATE that moves a live trial (a waiting one, to start it) and takes its row
        # lock; only when it moves nothing does a read learn why.
        if state is TrialState.RUNNING:
            moved = connection.execute(
                statements.start_waiting, {"key_trial_id": trial_id, "now": now}
            )
        elif state.is_finished():
            moved = connection.execute(
                statements.finish_live, {"key_trial_id": trial_id, "state": state, "now": now}
            )
        else:
            moved = connection.execute(
                statements.set_live, {"key_trial_id": trial_id, "state": state}
            )
        if not moved.rowcount:
            self._live_trial_study(connection, trial_id)  # raises for a missing or ended trial
            if state is TrialState.RUNNING:
                return False, None  # it was running already
            # A live trial the UPDATE left as it was (MySQL counts changed rows only).
        if values is not None:
            connection.execute(statements.delete_values, {"trial_id": trial_id})
            connection.execute(statements.insert_values, value_rows(trial_id, values))
        if state.is_finished():
            if self._heartbeats:
                # Without heartbeats here none were recorded for it by this storage; a row
                # left by another process's is harmless: staleness is judged of running
                # trials only.
                connection.execute(delete(HEARTBEATS).where(HEARTBEATS.c.trial_id == trial_id))
            return True, load_trial(connection, trial_id)
        elif state is TrialState.RUNNING and self._heartbeats:
            connection.execute(insert(HEARTBEATS).values(trial_id=trial_id, heartbeat=now))
        return True, None
