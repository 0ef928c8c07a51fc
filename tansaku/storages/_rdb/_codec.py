"""Rows to FrozenTrials and values to rows: how numbers, infinities and attrs are stored.

Objective values are stored as FINITE with the number, or INF_POS / INF_NEG with NULL;
intermediate values may also be NAN. Attrs are JSON text; params are their internal float and
the distribution's JSON, all in Optuna's encoding.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.engine import Connection

from tansaku.distributions import json_to_distribution
from tansaku.storages._rdb._models import (
    TrialIntermediateValueModel,
    TrialIntermediateValueType,
    TrialModel,
    TrialParamModel,
    TrialSystemAttributeModel,
    TrialUserAttributeModel,
    TrialValueModel,
    TrialValueType,
)
from tansaku.trial import FrozenTrial, TrialState

TRIALS: Table = TrialModel.__table__  # type: ignore[assignment]
PARAMS: Table = TrialParamModel.__table__  # type: ignore[assignment]
VALUES: Table = TrialValueModel.__table__  # type: ignore[assignment]
INTERMEDIATE: Table = TrialIntermediateValueModel.__table__  # type: ignore[assignment]
TRIAL_USER_ATTRS: Table = TrialUserAttributeModel.__table__  # type: ignore[assignment]
TRIAL_SYSTEM_ATTRS: Table = TrialSystemAttributeModel.__table__  # type: ignore[assignment]


def encode_value(value: float) -> tuple[float | None, TrialValueType]:
    if value == math.inf:
        return None, TrialValueType.INF_POS
    if value == -math.inf:
        return None, TrialValueType.INF_NEG
    return value, TrialValueType.FINITE


def decode_value(value: float | None, kind: TrialValueType) -> float:
    if kind is TrialValueType.INF_POS:
        return math.inf
    if kind is TrialValueType.INF_NEG:
        return -math.inf
    assert value is not None
    return value


def encode_intermediate(value: float) -> tuple[float | None, TrialIntermediateValueType]:
    if math.isnan(value):
        return None, TrialIntermediateValueType.NAN
    if value == math.inf:
        return None, TrialIntermediateValueType.INF_POS
    if value == -math.inf:
        return None, TrialIntermediateValueType.INF_NEG
    return value, TrialIntermediateValueType.FINITE


def decode_intermediate(value: float | None, kind: TrialIntermediateValueType) -> float:
    if kind is TrialIntermediateValueType.NAN:
        return math.nan
    if kind is TrialIntermediateValueType.INF_POS:
        return math.inf
    if kind is TrialIntermediateValueType.INF_NEG:
        return -math.inf
    assert value is not None
    return value


def dump_json(value: Any) -> str:
    """The JSON text of an attr value (NaN and infinities as Python's json writes them)."""
    return json.dumps(value)


def load_trials(
    connection: Connection,
    where: ColumnElement[bool],
    finished: dict[int, FrozenTrial],
) -> list[FrozenTrial]:
    """Read the trials that ``where`` (a condition on the trials table) selects, by number.

    Trials found in ``finished`` (finished trials already read, by id) are taken from there;
    the others cost one query per table, whatever their number.
    """
    rows = connection.execute(
        select(
            TRIALS.c.trial_id,
            TRIALS.c.number,
            TRIALS.c.state,
            TRIALS.c.datetime_start,
            TRIALS.c.datetime_complete,
        ).where(where)
    ).all()
    result: list[FrozenTrial] = []
    trials: dict[int, FrozenTrial] = {}
    for trial_id, number, state, start, complete in rows:
        known = finished.get(trial_id)
        if known is not None:
            result.append(known)
            continue
        trial = FrozenTrial(number, state, None, start, complete, {}, {}, {}, {}, {}, trial_id)
        trials[trial_id] = trial
        result.append(trial)
    if trials:
        if len(trials) == len(rows):
            ids: Any = select(TRIALS.c.trial_id).where(where)
        else:
            ids = list(trials)
        _attach_params(connection, trials, _within(PARAMS, ids))
        _attach_values(connection, trials, _within(VALUES, ids))
        _attach_intermediate(connection, trials, _within(INTERMEDIATE, ids))
        for table, field in (
            (TRIAL_USER_ATTRS, "user_attrs"),
            (TRIAL_SYSTEM_ATTRS, "system_attrs"),
        ):
            for trial_id, key, value_json in connection.execute(
                select(table.c.trial_id, table.c.key, table.c.value_json).where(
                    _within(table, ids)
                )
            ):
                getattr(trials[trial_id], field)[key] = json.loads(value_json)
    result.sort(key=_number_of)
    return result


def _within(table: Table, trial_ids: Any) -> ColumnElement[bool]:
    return table.c.trial_id.in_(trial_ids)


def _number_of(trial: FrozenTrial) -> int:
    return trial.number


def _attach_params(
    connection: Connection, trials: dict[int, FrozenTrial], where: ColumnElement[bool]
) -> None:
    _fill_params(
        trials,
        connection.execute(
            select(
                PARAMS.c.trial_id,
                PARAMS.c.param_name,
                PARAMS.c.param_value,
                PARAMS.c.distribution_json,
            )
            .where(where)
            .order_by(PARAMS.c.param_id)
        ),
    )


def _fill_params(trials: dict[int, FrozenTrial], rows: Iterable[Any]) -> None:
    for trial_id, name, internal, distribution_json in rows:
        trial = trials[trial_id]
        distribution = json_to_distribution(distribution_json)
        trial.params[name] = distribution.to_external_repr(internal)
        trial.distributions[name] = distribution


def _attach_values(
    connection: Connection, trials: dict[int, FrozenTrial], where: ColumnElement[bool]
) -> None:
    _fill_values(
        trials,
        connection.execute(
            select(
                VALUES.c.trial_id, VALUES.c.objective, VALUES.c.value, VALUES.c.value_type
            ).where(where)
        ),
    )


def _fill_values(trials: dict[int, FrozenTrial], rows: Iterable[Any]) -> None:
    collected: dict[int, list[tuple[int, float]]] = {}
    for trial_id, objective, value, kind in rows:
        collected.setdefault(trial_id, []).append((objective, decode_value(value, kind)))
    for trial_id, pairs in collected.items():
        pairs.sort()
        trials[trial_id]._values = [value for _, value in pairs]


def _attach_intermediate(
    connection: Connection, trials: dict[int, FrozenTrial], where: ColumnElement[bool]
) -> None:
    _fill_intermediate(
        trials,
        connection.execute(
            select(
                INTERMEDIATE.c.trial_id,
                INTERMEDIATE.c.step,
                INTERMEDIATE.c.intermediate_value,
                INTERMEDIATE.c.intermediate_value_type,
            ).where(where)
        ),
    )


def _fill_intermediate(trials: dict[int, FrozenTrial], rows: Iterable[Any]) -> None:
    for trial_id, step, value, kind in rows:
        trials[trial_id].intermediate_values[step] = decode_intermediate(value, kind)


def value_rows(trial_id: int, values: Iterable[float]) -> list[dict[str, Any]]:
    """The trial_values rows of a trial's objective values."""
    rows = []
    for objective, value in enumerate(values):
        stored, kind = encode_value(value)
        rows.append(
            {"trial_id": trial_id, "objective": objective, "value": stored, "value_type": kind}
        )
    return rows


def is_finished(state: TrialState) -> bool:
    return state.is_finished()
