"""The rows of studies: creating, deleting and reading them, on a connection in a transaction.

RDBStorage opens the transaction (and keeps what never changes, such as directions, in
memory); these functions only run its statements.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Connection

from tansaku._internal.study_direction import StudyDirection
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.storages._rdb._codec import (
    DIRECTIONS,
    HEARTBEATS,
    INTERMEDIATE,
    PARAMS,
    STUDIES,
    STUDY_SYSTEM_ATTRS,
    STUDY_USER_ATTRS,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIALS,
    VALUES,
)


def insert_study(
    connection: Connection, study_name: str, directions: Sequence[StudyDirection]
) -> int:
    """Insert a study and its directions; return its id (IntegrityError: the name is taken)."""
    key = connection.execute(insert(STUDIES).values(study_name=study_name)).inserted_primary_key
    assert key is not None
    study_id = int(key[0])
    connection.execute(
        insert(DIRECTIONS),
        [
            {"study_id": study_id, "objective": i, "direction": StudyDirection(d)}
            for i, d in enumerate(directions)
        ],
    )
    return study_id


def delete_study_rows(connection: Connection, study_id: int) -> None:
    """Delete a study, its trials and every row of theirs."""
    trial_ids = select(TRIALS.c.trial_id).where(TRIALS.c.study_id == study_id)
    for table in (PARAMS, VALUES, INTERMEDIATE, TRIAL_USER_ATTRS, TRIAL_SYSTEM_ATTRS):
        connection.execute(delete(table).where(table.c.trial_id.in_(trial_ids)))
    connection.execute(delete(HEARTBEATS).where(HEARTBEATS.c.trial_id.in_(trial_ids)))
    connection.execute(delete(TRIALS).where(TRIALS.c.study_id == study_id))
    for table in (STUDY_USER_ATTRS, STUDY_SYSTEM_ATTRS, DIRECTIONS):
        connection.execute(delete(table).where(table.c.study_id == study_id))
    connection.execute(delete(STUDIES).where(STUDIES.c.study_id == study_id))


def read_directions(connection: Connection, study_id: int) -> list[StudyDirection]:
    rows = connection.execute(
        select(DIRECTIONS.c.direction)
        .where(DIRECTIONS.c.study_id == study_id)
        .order_by(DIRECTIONS.c.objective)
    ).all()
    return [StudyDirection(row[0]) for row in rows]


def read_study_attrs(connection: Connection, table: Table, study_id: int) -> dict[str, Any]:
    rows = connection.execute(
        select(table.c.key, table.c.value_json).where(table.c.study_id == study_id)
    ).all()
    return {key: json.loads(value_json) for key, value_json in rows}


def read_all_studies(connection: Connection) -> list[FrozenStudy]:
    """Every study, with its directions and attrs, in four statements."""
    names = connection.execute(select(STUDIES.c.study_id, STUDIES.c.study_name)).all()
    directions: dict[int, list[tuple[int, StudyDirection]]] = {}
    for study_id, objective, direction in connection.execute(
        select(DIRECTIONS.c.study_id, DIRECTIONS.c.objective, DIRECTIONS.c.direction)
    ):
        directions.setdefault(study_id, []).append((objective, direction))
    attrs: list[dict[int, dict[str, Any]]] = []
    for table in (STUDY_USER_ATTRS, STUDY_SYSTEM_ATTRS):
        by_study: dict[int, dict[str, Any]] = {}
        for study_id, key, value_json in connection.execute(
            select(table.c.study_id, table.c.key, table.c.value_json)
        ):
            by_study.setdefault(study_id, {})[key] = json.loads(value_json)
        attrs.append(by_study)
    return [
        FrozenStudy(
            study_name=name,
            direction=None,
            directions=[d for _, d in sorted(directions.get(study_id, []))],
            user_attrs=attrs[0].get(study_id, {}),
            system_attrs=attrs[1].get(study_id, {}),
            study_id=study_id,
        )
        for study_id, name in names
    ]
