"""Reading all the trials of a study at once: one statement per table, rows as plain tuples.

The first read of a study reads every row it has: at 50,000 trials with 10 params and 20
intermediate values each, 1.5 million of them. One UNION ALL over the six tables (see
``_one_trial.py``), which serves the small reads of later syncs in one round trip, would make
the database sort all those rows together and SQLAlchemy process each one; here each table is
read by its own statement in the order its index already gives (the trial, then the row's
position in the trial), through the driver's cursor, and each row costs a few dict operations.
The read runs in the caller's transaction, so the statements see one snapshot.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Container, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Integer, bindparam, case, null, or_, select
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
from tansaku.storages._stored_values import (
    SharedSpaces,
    UnreadableParamError,
    external_value,
    read_distribution,
    warn_attr_left_out,
    warn_param_left_out,
)
from tansaku.trial import FrozenTrial, TrialState

_STUDY = bindparam("study_id", type_=Integer)
_IDS = select(TRIALS.c.trial_id).where(TRIALS.c.study_id == _STUDY).scalar_subquery()


def _rows_of(table: Any, *columns: str | Any, order: tuple[str, ...]) -> Any:
    return (
        select(*[table.c[name] if isinstance(name, str) else name for name in columns])
        .where(table.c.trial_id.in_(_IDS))
        .order_by(*[table.c[name] for name in order])
    )


_TRIAL_ROWS = (
    select(
        TRIALS.c.trial_id,
        TRIALS.c.number,
        TRIALS.c.state,
        TRIALS.c.datetime_start,
        TRIALS.c.datetime_complete,
    )
    .where(TRIALS.c.study_id == _STUDY)
    .order_by(TRIALS.c.trial_id)
)
_PARAM_ROWS = _rows_of(
    PARAMS,
    "trial_id",
    "param_name",
    "param_value",
    "distribution_json",
    order=("trial_id", "param_id"),
)

# Each param's distribution texts: a param has one in most studies, and then its rows need not
# carry it (the text is most of a row's bytes, and the driver makes a str of it for each row).
_PARAM_SPACES = (
    select(PARAMS.c.param_name, PARAMS.c.distribution_json)
    .where(PARAMS.c.trial_id.in_(_IDS))
    .distinct()
)
_PARAM_ROWS_WITHOUT_TEXT = _rows_of(
    PARAMS, "trial_id", "param_name", "param_value", order=("trial_id", "param_id")
)


def _unless_finite(column: Any) -> Any:
    """``column`` (a value's kind), NULL for FINITE: the driver's None costs less than text."""
    return case((column == column.type.enum_class.FINITE, null()), else_=column)


_VALUE_ROWS = _rows_of(
    VALUES,
    "trial_id",
    "value",
    _unless_finite(VALUES.c.value_type),
    order=("trial_id", "objective"),
)
_INTERMEDIATE_ROWS = _rows_of(
    INTERMEDIATE,
    "trial_id",
    "step",
    "intermediate_value",
    _unless_finite(INTERMEDIATE.c.intermediate_value_type),
    order=("trial_id", "step"),
)
# The same of the study's trials not finished, for a read that leaves out finished trials'.
_LIVE_IDS = (
    select(TRIALS.c.trial_id)
    .where(
        TRIALS.c.study_id == _STUDY,
        # Not IN (...): ``_execute`` binds plain parameters only, not an expanding list.
        or_(TRIALS.c.state == TrialState.RUNNING, TRIALS.c.state == TrialState.WAITING),
    )
    .scalar_subquery()
)
_LIVE_INTERMEDIATE_ROWS = (
    select(*_INTERMEDIATE_ROWS.selected_columns)
    .where(INTERMEDIATE.c.trial_id.in_(_LIVE_IDS))
    .order_by(INTERMEDIATE.c.trial_id, INTERMEDIATE.c.step)
)
_LIVE_PARAM_ROWS = (
    select(*_PARAM_ROWS.selected_columns)
    .where(PARAMS.c.trial_id.in_(_LIVE_IDS))
    .order_by(PARAMS.c.trial_id, PARAMS.c.param_id)
)
_NUMBERS = select(TRIALS.c.trial_id, TRIALS.c.number).where(TRIALS.c.study_id == _STUDY)
_USER_ATTR_ROWS = _rows_of(
    TRIAL_USER_ATTRS,
    "trial_id",
    "key",
    "value_json",
    order=("trial_id", "trial_user_attribute_id"),
)
_SYSTEM_ATTR_ROWS = _rows_of(
    TRIAL_SYSTEM_ATTRS,
    "trial_id",
    "key",
    "value_json",
    order=("trial_id", "trial_system_attribute_id"),
)

# Enums come from the driver as their names (SQLite and MySQL keep text, PostgreSQL its enum
# type's labels).
_STATES = {state.name: state for state in TrialState}


def _execute(connection: Connection, statement: Any, study_id: int) -> Any:
    """The driver's cursor over the rows of ``statement`` for ``study_id``, as plain tuples.

    SQLAlchemy's result rows would cost more than the rest of the read; the statements select
    plain columns, which need no type processing but the times' (done by the caller).
    """
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect)
    bound = compiled.construct_params({"study_id": study_id})
    for parameter, name in compiled.bind_names.items():
        processor = parameter.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            bound[name] = processor(bound[name])
    if compiled.positional:
        assert compiled.positiontup is not None
        arguments: Any = tuple(bound[name] for name in compiled.positiontup)
    else:
        arguments = bound
    cursor = connection.connection.cursor()
    cursor.execute(compiled.string, arguments)
    return cursor


def load_study_trials(
    connection: Connection,
    study_id: int,
    finished: dict[int, FrozenTrial],
    intermediate_values: bool = True,
    params: bool = True,
) -> list[FrozenTrial]:
    """Every trial of the study ``study_id``, ordered by number.

    A trial found in ``finished`` (finished trials already read, by id) is taken from there
    when its ``trials`` row is still its own (ids may be reused after a study was deleted).
    With ``intermediate_values`` False, the other finished trials come without their
    intermediate values (see ``BaseStorage.get_trials_changed_since``); with ``params`` False,
    without their params and distributions (see
    ``BaseStorage._get_trials_changed_since_without_params``).
    """
    trials: list[FrozenTrial] = []
    building: dict[int, FrozenTrial] = {}  # by id, the trials read now (not taken over)
    parse = datetime.datetime.fromisoformat
    for trial_id, number, state, start, complete in _execute(connection, _TRIAL_ROWS, study_id):
        # SQLite's driver gives the text SQLAlchemy wrote; the others give datetimes.
        if start.__class__ is str:
            start = parse(start)
        if complete.__class__ is str:
            complete = parse(complete)
        known = finished.get(trial_id)
        if (
            known is not None
            and known.number == number
            and known.state.name == state
            and known.datetime_start == start
            and known.datetime_complete == complete
        ):
            trials.append(known)
            continue
        trial = FrozenTrial(
            number, _STATES[state], None, start, complete, {}, {}, {}, {}, {}, trial_id
        )
        building[trial_id] = trial
        trials.append(trial)
    if building:
        if params:
            _read_params(connection, study_id, building)
        else:
            _read_params_with_texts(_execute(connection, _LIVE_PARAM_ROWS, study_id), building)
        _read_values(_execute(connection, _VALUE_ROWS, study_id), building)
        intermediate = _INTERMEDIATE_ROWS if intermediate_values else _LIVE_INTERMEDIATE_ROWS
        _read_intermediate(_execute(connection, intermediate, study_id), building)
        for statement, user in ((_USER_ATTR_ROWS, True), (_SYSTEM_ATTR_ROWS, False)):
            _read_attrs(_execute(connection, statement, study_id), building, user)
        spaces = SharedSpaces()
        for trial in building.values():
            if trial.state.is_finished():
                trial.distributions = spaces.share(trial.distributions)
    trials.sort(key=_number_of)
    return trials


def _number_of(trial: FrozenTrial) -> int:
    return trial.number


class _ParamsOwner(Protocol):
    """What a param row is filed into: a trial, or a trial's params alone."""

    @property
    def number(self) -> int: ...

    @property
    def params(self) -> dict[str, Any]: ...

    @property
    def distributions(self) -> dict[str, BaseDistribution]: ...


class _Params:
    """The params of one trial, read without the rest of it."""

    __slots__ = ("number", "params", "distributions")

    def __init__(self, number: int) -> None:
        self.number = number
        self.params: dict[str, Any] = {}
        self.distributions: dict[str, BaseDistribution] = {}


def load_params_of_trials(
    connection: Connection, study_id: int, trial_ids: Sequence[int] | None
) -> dict[int, tuple[dict[str, Any], dict[str, BaseDistribution]]]:
    """The params and distributions of the trials ``trial_ids`` of the study (None: all its
    trials), by trial id; ids of other studies or of no trial are left out."""
    owners: dict[int, _Params] = {}
    if trial_ids is None:
        for trial_id, number in _execute(connection, _NUMBERS, study_id):
            owners[trial_id] = _Params(number)
        _read_params(connection, study_id, owners)
    else:
        ids = sorted(set(trial_ids))
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            chunk = ids[start : start + _IDS_PER_STATEMENT]
            for trial_id, number in connection.execute(
                select(TRIALS.c.trial_id, TRIALS.c.number).where(
                    TRIALS.c.study_id == study_id, TRIALS.c.trial_id.in_(chunk)
                )
            ):
                owners[trial_id] = _Params(number)
            rows = connection.execute(
                select(*_PARAM_ROWS.selected_columns)
                .where(PARAMS.c.trial_id.in_(chunk))
                .order_by(PARAMS.c.trial_id, PARAMS.c.param_id)
            )
            _read_params_with_texts(rows, owners)
    spaces = SharedSpaces()
    return {
        trial_id: (owner.params, spaces.share(owner.distributions))
        for trial_id, owner in owners.items()
    }


# Ids bound in one ``IN (...)`` list: well under every database's limit on bound parameters.
_IDS_PER_STATEMENT = 500


def load_param_names(
    connection: Connection, study_id: int, states: Container[TrialState]
) -> set[str]:
    """The names of the params of the study's trials in ``states``: one statement, which
    the database answers without sending each param row."""
    wanted = [state for state in TrialState if state in states]
    if not wanted:
        return set()
    rows = connection.execute(
        select(PARAMS.c.param_name)
        .join(TRIALS, TRIALS.c.trial_id == PARAMS.c.trial_id)
        .where(TRIALS.c.study_id == study_id, TRIALS.c.state.in_(wanted))
        .distinct()
    )
    return {name for (name,) in rows}


def _read_params_with_texts(rows: Any, building: Mapping[int, _ParamsOwner]) -> None:
    """File param rows that each carry their distribution's text."""
    parsed: dict[str, BaseDistribution] = {}  # each distinct JSON text parsed once
    for trial_id, name, stored, text in rows:
        owner = building.get(trial_id)
        if owner is not None:  # else a trial taken from ``finished``
            _read_param(owner, name, stored, text, parsed)


def _read_params(
    connection: Connection, study_id: int, building: Mapping[int, _ParamsOwner]
) -> None:
    parsed: dict[str, BaseDistribution] = {}  # each distinct JSON text parsed once
    texts: dict[str, str] = {}
    several = False
    for name, text in _execute(connection, _PARAM_SPACES, study_id):
        several = several or name in texts
        texts[name] = text
    if several:  # some param has several distributions: each row says which
        _read_params_with_texts(_execute(connection, _PARAM_ROWS, study_id), building)
        return
    # Params whose value is the stored float itself (floats), by name.
    as_stored: dict[str, BaseDistribution] = {}
    for name, text in texts.items():
        try:
            parsed_once = read_distribution(text, parsed)
        except UnreadableParamError:
            continue  # each of its rows warns below
        if type(parsed_once).to_external_repr is BaseDistribution.to_external_repr:
            as_stored[name] = parsed_once
    # The loop below runs once per param row (500,000 at 50,000 trials of 10 params): the
    # common case costs two dict stores.
    current_id = None
    trial: _ParamsOwner | None = None
    params: dict[str, Any] = {}
    distributions: dict[str, BaseDistribution] = {}
    float_of = as_stored.get
    for trial_id, name, stored in _execute(connection, _PARAM_ROWS_WITHOUT_TEXT, study_id):
        if trial_id != current_id:
            current_id = trial_id
            trial = building.get(trial_id)
            if trial is not None:
                params, distributions = trial.params, trial.distributions
        if trial is None:
            continue  # a trial taken from ``finished``
        distribution = float_of(name)
        if distribution is not None and stored is not None:
            params[name] = stored
            distributions[name] = distribution
        else:
            _read_param(trial, name, stored, texts[name], parsed)


def _read_param(
    trial: _ParamsOwner, name: str, stored: Any, text: str, parsed: dict[str, BaseDistribution]
) -> None:
    try:
        distribution = parsed.get(text) or read_distribution(text, parsed)
        trial.params[name] = external_value(distribution, stored)
    except UnreadableParamError as error:
        warn_param_left_out(trial.number, name, error)
        return
    trial.distributions[name] = distribution


def _read_values(rows: Any, building: dict[int, FrozenTrial]) -> None:
    for trial_id, stored, kind in rows:
        trial = building.get(trial_id)
        if trial is None:
            continue
        value = stored if kind is None else decode_value(stored, TrialValueType[kind])
        if trial._values is None:
            trial._values = [value]
        else:
            trial._values.append(value)


def _read_intermediate(rows: Any, building: dict[int, FrozenTrial]) -> None:
    current_id = None
    values: dict[int, float] | None = None
    for trial_id, step, stored, kind in rows:
        if trial_id != current_id:
            current_id = trial_id
            trial = building.get(trial_id)
            values = None if trial is None else trial.intermediate_values
        if values is None:
            continue
        if kind is None:
            values[step] = stored
        else:
            values[step] = decode_value(stored, TrialIntermediateValueType[kind])


def _read_attrs(rows: Any, building: dict[int, FrozenTrial], user: bool) -> None:
    for trial_id, key, text in rows:
        trial = building.get(trial_id)
        if trial is None:
            continue
        attrs = trial.user_attrs if user else trial.system_attrs
        try:
            attrs[key] = json.loads(text)
        except (ValueError, TypeError) as error:
            warn_attr_left_out(trial.number, key, user, error)
