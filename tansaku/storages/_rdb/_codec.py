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

from sqlalchemy import Table

from tansaku.storages._rdb._models import (
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
from tansaku.trial import TrialState

TRIALS: Table = TrialModel.__table__  # type: ignore[assignment]
PARAMS: Table = TrialParamModel.__table__  # type: ignore[assignment]
VALUES: Table = TrialValueModel.__table__  # type: ignore[assignment]
INTERMEDIATE: Table = TrialIntermediateValueModel.__table__  # type: ignore[assignment]
TRIAL_USER_ATTRS: Table = TrialUserAttributeModel.__table__  # type: ignore[assignment]
TRIAL_SYSTEM_ATTRS: Table = TrialSystemAttributeModel.__table__  # type: ignore[assignment]
HEARTBEATS: Table = TrialHeartbeatModel.__table__  # type: ignore[assignment]
STUDIES: Table = StudyModel.__table__  # type: ignore[assignment]
DIRECTIONS: Table = StudyDirectionModel.__table__  # type: ignore[assignment]
STUDY_USER_ATTRS: Table = StudyUserAttributeModel.__table__  # type: ignore[assignment]
STUDY_SYSTEM_ATTRS: Table = StudySystemAttributeModel.__table__  # type: ignore[assignment]


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
