"""Schema revision v2.4.0.a (Optuna 2.4 and 2.5): several objectives, and heartbeats.

- ``study_directions`` holds a study's directions, one row per objective; the single
  ``studies.direction`` becomes objective 0 and the column goes.
- The intermediate values move from ``trial_values`` (by step) to the new
  ``trial_intermediate_values``; ``trial_values`` becomes the final values, one row per
  objective, filled from ``trials.value`` (objective 0) where it is set, and that column goes.
- ``trial_heartbeats`` records running trials' heartbeats.

Optuna 2.4 declared ``intermediate_value`` NOT NULL. Here it may be NULL from the start: a
database of Optuna 1.x on SQLite stores a reported NaN as NULL, and such a row would not fit
(v3.0.0.b makes the column nullable anyway, so both paths end at the same schema).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tansaku.storages._rdb.alembic._types import (
    OLD_FLOAT,
    STUDY_DIRECTIONS,
    enum,
    has_check,
)

revision = "v2.4.0.a"
down_revision = "v1.3.0.a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "study_directions",
        sa.Column("study_direction_id", sa.Integer(), nullable=False),
        sa.Column(
            "direction", enum("studydirection", STUDY_DIRECTIONS, check=True), nullable=False
        ),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.study_id"]),
        sa.PrimaryKeyConstraint("study_direction_id"),
        sa.UniqueConstraint("study_id", "objective"),
    )
    op.execute(
        "INSERT INTO study_directions (direction, study_id, objective) "
        "SELECT direction, study_id, 0 FROM studies ORDER BY study_id"
    )
    with op.batch_alter_table("studies") as batch:
        if has_check("studies", "studydirection"):
            batch.drop_constraint("studydirection", type_="check")
        batch.drop_column("direction")

    op.create_table(
        "trial_intermediate_values",
        sa.Column("trial_intermediate_value_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("intermediate_value", OLD_FLOAT, nullable=True),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("trial_intermediate_value_id"),
        sa.UniqueConstraint("trial_id", "step"),
    )
    # Rows without a trial or a step never existed in practice; they cannot be kept.
    op.execute(
        "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value) "
        "SELECT trial_id, step, value FROM trial_values "
        "WHERE trial_id IS NOT NULL AND step IS NOT NULL ORDER BY trial_value_id"
    )
    op.drop_table("trial_values")
    op.create_table(
        "trial_values",
        sa.Column("trial_value_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.Column("value", OLD_FLOAT, nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("trial_value_id"),
        sa.UniqueConstraint("trial_id", "objective"),
    )
    op.execute(
        "INSERT INTO trial_values (trial_id, objective, value) "
        "SELECT trial_id, 0, value FROM trials WHERE value IS NOT NULL ORDER BY trial_id"
    )
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("value")

    op.create_table(
        "trial_heartbeats",
        sa.Column("trial_heartbeat_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("heartbeat", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("trial_heartbeat_id"),
        sa.UniqueConstraint("trial_id"),
    )


def downgrade() -> None:
    raise NotImplementedError("schema revisions are not downgraded")
