"""How values are stored: numbers, infinities and NaN, attrs as JSON; and the tables' names.

Objective values are stored as FINITE with the number, or INF_POS / INF_NEG with NULL;
intermediate values may also be NAN. Attrs are JSON text; params are their internal float and
the distribution's JSON, all in Optuna's encoding. (Rows are read into trials in
``_one_trial.py``.)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Table

from tansaku.storages._rdb._models import (
    Base,
    StudyDirectionModel,
    StudyModel,
    StudySystemAttributeModel,
    StudyUserAttributeModel,
    TrialHeartbeatModel,
    TrialIntermediateValueModel,
    TrialIntermediateValueType,
    TrialModel,
    TrialParamModel,
    TrialSystemAttributeModel,
    TrialUserAttributeModel,
    TrialValueModel,
    TrialValueType,
)


def _table(model: type[Base]) -> Table:
    """The Core table of ``model`` (typed as a Table, which ``model.__table__`` is not)."""
    return Base.metadata.tables[model.__tablename__]


TRIALS = _table(TrialModel)
PARAMS = _table(TrialParamModel)
VALUES = _table(TrialValueModel)
INTERMEDIATE = _table(TrialIntermediateValueModel)
TRIAL_USER_ATTRS = _table(TrialUserAttributeModel)
TRIAL_SYSTEM_ATTRS = _table(TrialSystemAttributeModel)
HEARTBEATS = _table(TrialHeartbeatModel)
STUDIES = _table(StudyModel)
DIRECTIONS = _table(StudyDirectionModel)
STUDY_USER_ATTRS = _table(StudyUserAttributeModel)
STUDY_SYSTEM_ATTRS = _table(StudySystemAttributeModel)


_Kind = TypeVar("_Kind", TrialValueType, TrialIntermediateValueType)


def _encode(value: float, kinds: type[_Kind]) -> tuple[float | None, _Kind]:
    if value == math.inf:
        return None, kinds.INF_POS
    if value == -math.inf:
        return None, kinds.INF_NEG
    return value, kinds.FINITE


def encode_value(value: float) -> tuple[float | None, TrialValueType]:
    return _encode(value, TrialValueType)


def encode_intermediate(value: float) -> tuple[float | None, TrialIntermediateValueType]:
    if math.isnan(value):
        return None, TrialIntermediateValueType.NAN
    return _encode(value, TrialIntermediateValueType)


# The numbers that a kind stands for, stored as NULL.
_NOT_FINITE: dict[TrialValueType | TrialIntermediateValueType, float] = {
    TrialValueType.INF_POS: math.inf,
    TrialValueType.INF_NEG: -math.inf,
    TrialIntermediateValueType.INF_POS: math.inf,
    TrialIntermediateValueType.INF_NEG: -math.inf,
    TrialIntermediateValueType.NAN: math.nan,
}


def decode_value(value: float | None, kind: TrialValueType | TrialIntermediateValueType) -> float:
    """The objective or intermediate value a row stores as ``value`` and ``kind``."""
    number = _NOT_FINITE.get(kind, value)
    assert number is not None
    return number


def dump_json(value: Any) -> str:
    """The JSON text of an attr value (NaN and infinities as Python's json writes them)."""
    return json.dumps(value)


def value_rows(trial_id: int, values: Iterable[float]) -> list[dict[str, Any]]:
    """The trial_values rows of a trial's objective values."""
    rows = []
    for objective, value in enumerate(values):
        stored, kind = encode_value(value)
        rows.append(
            {"trial_id": trial_id, "objective": objective, "value": stored, "value_type": kind}
        )
    return rows
