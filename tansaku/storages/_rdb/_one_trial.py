"""Reading trials in one statement: their rows and their rows in five tables, by UNION ALL.

A trial is spread over six tables. Reading them table by table costs six statements (six round
trips to a database server, eight with the transaction that makes them agree); one UNION ALL
statement costs one, and a single statement sees one snapshot of the database by itself, so
it needs no transaction either. Every part is shaped alike: ``(trial, part, position, name,
number, text, start, complete)``, with NULL where a part has nothing to say.
"""

from __future__ import annotations

import bisect
import datetime
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    DateTime,
    Double,
    Enum,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    cast,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection

from tansaku.distributions import BaseDistribution
from tansaku.storages._rdb._codec import (
    INTERMEDIATE,
    PARAMS,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIALS,
    VALUES,
    decode_value,
)
from tansaku.storages._rdb._models import TrialIntermediateValueType, TrialValueType
from tansaku.storages._rdb._statements import SqliteText
from tansaku.storages._stored_values import (
    SharedSpaces,
    UnreadableParamError,
    external_value,
    read_distribution,
    warn_attr_left_out,
    warn_param_left_out,
)
from tansaku.trial import FrozenTrial, TrialState

# The parts, in the order the rows come back.
_TRIAL, _PARAM, _VALUE, _INTERMEDIATE, _USER_ATTR, _SYSTEM_ATTR = range(6)


# The shape every part's rows share: (name, SQL type) of each column after ``trial, part``.
_SHAPE: tuple[tuple[str, Any], ...] = (
    ("position", Integer()),
    ("name", String(512)),
    ("number", Double()),
    ("text", Text()),
    ("start", DateTime()),
    ("complete", DateTime()),
)
# Each part: its table, and the table's column that fills each column of the shape it has.
_PARTS: tuple[tuple[int, Table, dict[str, str]], ...] = (
    (
        _TRIAL,
        TRIALS,
        {
            "position": "number",
            "name": "state",
            "start": "datetime_start",
            "complete": "datetime_complete",
        },
    ),
    (
        _PARAM,
        PARAMS,
        {
            "position": "param_id",
            "name": "param_name",
            "number": "param_value",
            "text": "distribution_json",
        },
    ),
    (_VALUE, VALUES, {"position": "objective", "name": "value_type", "number": "value"}),
    (
        _INTERMEDIATE,
        INTERMEDIATE,
        {"position": "step", "name": "intermediate_value_type", "number": "intermediate_value"},
    ),
    (_USER_ATTR, TRIAL_USER_ATTRS, {"name": "key", "text": "value_json"}),
    (_SYSTEM_ATTR, TRIAL_SYSTEM_ATTRS, {"name": "key", "text": "value_json"}),
)


def _column(table: Table, name: str | None, type_: Any) -> Any:
    # NULLs and enums (PostgreSQL's enum types do not mix with text in a UNION) are cast; the
    # other columns keep their own type in SQL (MySQL's CAST would drop fractions of seconds).
    if name is None:
        return cast(null(), type_)
    column = table.c[name]
    return cast(column, type_) if isinstance(column.type, Enum) else type_coerce(column, type_)


def _union(where: Any) -> Any:
    """The statement reading the trials that ``where(table)`` selects in each table."""
    return union_all(
        *[
            select(
                type_coerce(table.c.trial_id, Integer).label("trial"),
                literal(part, Integer).label("part"),
                *[
                    _column(table, columns.get(label), type_).label(label)
                    for label, type_ in _SHAPE
                ],
            ).where(where(table))
            for part, table, columns in _PARTS
        ]
    ).order_by("trial", "part", "position")


ONE_TRIAL = _union(lambda table: table.c.trial_id == bindparam("trial_id", type_=Integer))


def load_trial(connection: Connection, trial_id: int) -> FrozenTrial | None:
    """Read one trial in one statement, or None when there is none."""
    trials = _build(connection.execute(ONE_TRIAL, {"trial_id": trial_id}).all(), {})
    return trials[0] if trials else None


# The trials of a study that a process has not seen finished: those after the last one it
# read, and those it read live. The live ids are bound one parameter each, in statements built
# for a few list lengths (padded with -1, which no trial has), so each statement is compiled
# once: an "expanding" list would re-render the long UNION on every execution.
# The row of one more trial, the anchor (see ``_cache.py``), comes from ``trials`` only: it
# tells whether the study is still the one cached, for one primary-key lookup in the same
# statement (no round trip of its own, and none of its params or attrs).
_STUDY = bindparam("study_id", type_=Integer)
_AFTER = TRIALS.c.trial_id > bindparam("after_id", type_=Integer)
_ANCHOR = TRIALS.c.trial_id == bindparam("anchor_id", type_=Integer)
_LIVE_SIZES = (0, 4, 16, 64, 256)
MAX_LIVE_IDS_PER_STATEMENT = _LIVE_SIZES[-1]


def _unseen_statement(size: int) -> Any:
    newer = _AFTER
    if size:
        live = [bindparam(f"live_{i}", type_=Integer) for i in range(size)]
        newer = newer | TRIALS.c.trial_id.in_(live)
    unseen = (TRIALS.c.study_id == _STUDY) & newer
    ids = select(TRIALS.c.trial_id).where(unseen)
    rows = (TRIALS.c.study_id == _STUDY) & (newer | _ANCHOR)
    return _union(lambda table: rows if table is TRIALS else table.c.trial_id.in_(ids))


def _unseen_arguments(
    study_id: int, after_id: int, live_ids: list[int], anchor_id: int
) -> tuple[int, dict[str, Any]]:
    """The statement size for ``live_ids`` (at most MAX_LIVE_IDS_PER_STATEMENT), its values."""
    # bisect, not next() over a generator: a generator left suspended is closed later by the
    # garbage collector, and a Ctrl-C that lands in that close is lost ("Exception ignored").
    size = _LIVE_SIZES[bisect.bisect_left(_LIVE_SIZES, len(live_ids))]
    bound: dict[str, Any] = {"study_id": study_id, "after_id": after_id, "anchor_id": anchor_id}
    bound.update({f"live_{i}": -1 for i in range(size)})
    bound.update({f"live_{i}": trial_id for i, trial_id in enumerate(live_ids)})
    return size, bound


def _number_of(trial: FrozenTrial) -> int:
    return trial.number


class UnseenTrials:
    """Reads of the trials of a study that a process has not seen finished (one storage's).

    Holds the statement for each list length of live ids and, on SQLite, its text for the
    driver, each built on first use and kept for the storage's life (five at most). Building
    the UNION costs about 1.5 ms and compiling it for SQLite 4 to 9 ms, against about 0.2 ms
    for the sync that runs it: without them every ``Study.ask`` would pay several times over.
    """

    def __init__(self) -> None:
        self._statements: dict[int, Any] = {}
        self._sqlite_texts: dict[int, SqliteText] = {}

    def _statement(self, size: int) -> Any:
        statement = self._statements.get(size)
        if statement is None:
            statement = self._statements[size] = _unseen_statement(size)
        return statement

    def load(
        self,
        connection: Connection,
        study_id: int,
        after_id: int,
        live_ids: list[int],
        finished: dict[int, FrozenTrial],
        anchor_id: int = -1,
    ) -> list[FrozenTrial]:
        """Read the trials of a study with an id above ``after_id`` or in ``live_ids``, by number.

        The trial ``anchor_id`` comes too if it is still of the study, with its ``trials`` row
        only (no params, values or attrs) unless it is in ``finished``. Trials found in
        ``finished`` (finished trials already read, by id) are taken from there when the row
        read is still theirs.
        """
        rows: list[Any] = []
        start = 0
        while True:
            chunk = live_ids[start : start + MAX_LIVE_IDS_PER_STATEMENT]
            size, bound = _unseen_arguments(study_id, after_id, chunk, anchor_id)
            # Plain tuples, one Row at a time: a Row stays tracked by the garbage collector,
            # and a study's rows (a dozen per trial) held at once made its full collections
            # walk them again and again; a tuple of plain values is untracked at its first
            # collection.
            rows += map(tuple, connection.execute(self._statement(size), bound))
            start += len(chunk)
            if start >= len(live_ids):
                break
            after_id = 2**31 - 1  # the newer trials came with the first chunk
            anchor_id = -1  # and the anchor
        trials = _build(rows, finished)
        trials.sort(key=_number_of)
        return trials

    def load_on_sqlite(
        self,
        connection: sqlite3.Connection,
        study_id: int,
        after_id: int,
        live_ids: list[int],
        finished: dict[int, FrozenTrial],
        anchor_id: int = -1,
    ) -> list[FrozenTrial]:
        """``load`` on SQLite's driver, for at most MAX_LIVE_IDS_PER_STATEMENT live ids.

        One statement, which sees one snapshot by itself; its times come as SQLite keeps them.
        """
        size, bound = _unseen_arguments(study_id, after_id, live_ids, anchor_id)
        text = self._sqlite_texts.get(size)
        if text is None:
            text = self._sqlite_texts[size] = SqliteText(self._statement(size))
        rows = text.execute(connection, bound).fetchall()
        trials = _build(rows, finished, parse_times=True)
        trials.sort(key=_number_of)
        return trials


def _time(text: str | None) -> datetime.datetime | None:
    return None if text is None else datetime.datetime.fromisoformat(text)


def _build(
    rows: Sequence[Any], finished: dict[int, FrozenTrial], parse_times: bool = False
) -> list[FrozenTrial]:
    """The trials of ``rows`` (ordered by trial, then part), reusing those in ``finished``.

    With ``parse_times`` the start and complete times are text, as SQLite keeps them.
    """
    trials: list[FrozenTrial] = []
    trial: FrozenTrial | None = None
    values: list[float] = []
    distributions: dict[str, BaseDistribution] = {}  # parsed once per text
    spaces = SharedSpaces()
    for trial_id, part, position, name, stored, text, start, complete in rows:
        if part == _TRIAL:
            if trial is not None:
                _complete(trial, values, spaces)
            values = []
            if parse_times:
                start, complete = _time(start), _time(complete)
            known = finished.get(trial_id)
            # A cached trial stands for the row only if the row is still its own: the id may
            # have been reused by a trial created after a study was deleted.
            if (
                known is not None
                and known.number == position
                and known.state.name == name
                and known.datetime_start == start
                and known.datetime_complete == complete
            ):
                trials.append(known)
                trial = None
                continue
            trial = FrozenTrial(
                position, TrialState[name], None, start, complete, {}, {}, {}, {}, {}, trial_id
            )
            trials.append(trial)
        elif trial is None:
            continue  # a row of a trial taken from ``finished``
        elif part == _PARAM:
            try:
                distribution = distributions.get(text) or read_distribution(text, distributions)
                trial.params[name] = external_value(distribution, stored)
            except UnreadableParamError as error:
                warn_param_left_out(trial.number, name, error)
                continue
            trial.distributions[name] = distribution
        elif part == _VALUE:
            values.append(decode_value(stored, TrialValueType[name]))
        elif part == _INTERMEDIATE:
            trial.intermediate_values[position] = decode_value(
                stored, TrialIntermediateValueType[name]
            )
        else:
            attrs = trial.user_attrs if part == _USER_ATTR else trial.system_attrs
            try:
                attrs[name] = json.loads(text)
            except (ValueError, TypeError) as error:
                warn_attr_left_out(trial.number, name, part == _USER_ATTR, error)
    if trial is not None:
        _complete(trial, values, spaces)
    return trials


def _complete(trial: FrozenTrial, values: list[float], spaces: SharedSpaces) -> None:
    """Give ``trial``, all of whose rows are read, its values and its shared space."""
    if values:
        trial._values = values
    if trial.state.is_finished():
        trial.distributions = spaces.share(trial.distributions)
