"""Reading one trial in one statement: its row and its rows in five tables, by UNION ALL.

A trial is spread over six tables. Reading it table by table costs six round trips to a
database server (eight with the transaction that makes them agree); one UNION ALL statement
costs one, and a single statement sees one snapshot of the database by itself, so it needs no
transaction either. Every part is shaped alike: ``(part, position, name, number, text, start,
complete)``, with NULL where a part has nothing to say.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    DateTime,
    Double,
    Integer,
    String,
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

from tansaku.distributions import json_to_distribution
from tansaku.storages._rdb._codec import (
    INTERMEDIATE,
    PARAMS,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIALS,
    VALUES,
    decode_intermediate,
    decode_value,
)
from tansaku.storages._rdb._models import TrialIntermediateValueType, TrialValueType
from tansaku.trial import FrozenTrial, TrialState

# The parts, in the order the rows come back.
_TRIAL, _PARAM, _VALUE, _INTERMEDIATE, _USER_ATTR, _SYSTEM_ATTR = range(6)


def _column(value: Any, type_: Any, enum: bool = False) -> Any:
    # NULLs and enums (PostgreSQL's enum types do not mix with text in a UNION) are cast; the
    # other columns keep their own type in SQL (MySQL's CAST would drop fractions of seconds).
    if value is None:
        return cast(null(), type_)
    return cast(value, type_) if enum else type_coerce(value, type_)


def _part(
    part: int,
    table: Any,
    position: Any = None,
    name: Any = None,
    number: Any = None,
    text: Any = None,
    start: Any = None,
    complete: Any = None,
    enum_name: bool = False,
) -> Any:
    return select(
        literal(part, Integer).label("part"),
        _column(position, Integer).label("position"),
        _column(name, String(512), enum=enum_name).label("name"),
        _column(number, Double()).label("number"),
        _column(text, Text).label("text"),
        _column(start, DateTime).label("start"),
        _column(complete, DateTime).label("complete"),
    ).where(table.c.trial_id == bindparam("trial_id", type_=Integer))


ONE_TRIAL = union_all(
    _part(
        _TRIAL,
        TRIALS,
        position=TRIALS.c.number,
        name=TRIALS.c.state,
        enum_name=True,
        start=TRIALS.c.datetime_start,
        complete=TRIALS.c.datetime_complete,
    ),
    _part(
        _PARAM,
        PARAMS,
        position=PARAMS.c.param_id,
        name=PARAMS.c.param_name,
        number=PARAMS.c.param_value,
        text=PARAMS.c.distribution_json,
    ),
    _part(
        _VALUE,
        VALUES,
        position=VALUES.c.objective,
        name=VALUES.c.value_type,
        enum_name=True,
        number=VALUES.c.value,
    ),
    _part(
        _INTERMEDIATE,
        INTERMEDIATE,
        position=INTERMEDIATE.c.step,
        name=INTERMEDIATE.c.intermediate_value_type,
        enum_name=True,
        number=INTERMEDIATE.c.intermediate_value,
    ),
    _part(
        _USER_ATTR,
        TRIAL_USER_ATTRS,
        name=TRIAL_USER_ATTRS.c.key,
        text=TRIAL_USER_ATTRS.c.value_json,
    ),
    _part(
        _SYSTEM_ATTR,
        TRIAL_SYSTEM_ATTRS,
        name=TRIAL_SYSTEM_ATTRS.c.key,
        text=TRIAL_SYSTEM_ATTRS.c.value_json,
    ),
).order_by("part", "position")


def load_trial(connection: Connection, trial_id: int) -> FrozenTrial | None:
    """Read one trial in one statement, or None when there is none."""
    rows = connection.execute(ONE_TRIAL, {"trial_id": trial_id}).all()
    if not rows or rows[0][0] != _TRIAL:
        return None
    _, number, state, _, _, start, complete = rows[0]
    trial = FrozenTrial(
        number, TrialState[state], None, start, complete, {}, {}, {}, {}, {}, trial_id
    )
    values: list[float] = []
    for part, position, name, stored, text, _, _ in rows[1:]:
        if part == _PARAM:
            distribution = json_to_distribution(text)
            trial.params[name] = distribution.to_external_repr(stored)
            trial.distributions[name] = distribution
        elif part == _VALUE:
            values.append(decode_value(stored, TrialValueType[name]))
        elif part == _INTERMEDIATE:
            trial.intermediate_values[position] = decode_intermediate(
                stored, TrialIntermediateValueType[name]
            )
        elif part == _USER_ATTR:
            trial.user_attrs[name] = json.loads(text)
        else:
            trial.system_attrs[name] = json.loads(text)
    if values:
        trial._values = values
    return trial
