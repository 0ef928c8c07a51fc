"""Schema revision v0.9.0.a: the tables of Optuna 0.9 to 1.1, the base of every migration.

One objective per study (``studies.direction``) and per trial (``trials.value``);
``trial_values`` holds the intermediate values by step; a trial's number is its system attr
``_number``; JSON in VARCHAR(2048); single precision FLOAT and second-precision DATETIME on
MySQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tansaku.storages._rdb.alembic._types import (
    NAME,
    OLD_FLOAT,
    OLD_TRIAL_STATES,
    SHORT_JSON,
    STUDY_DIRECTIONS,
    create_enum,
    enum,
)

revision = "v0.9.0.a"
down_revision = None
branch_labels = None
depends_on = None


def _attribute_table(table: str, id_column: str, owner: str, owner_table: str) -> None:
    op.create_table(
        table,
        sa.Column(id_column, sa.Integer(), nullable=False),
        sa.Column(owner, sa.Integer(), nullable=True),
        sa.Column("key", NAME, nullable=True),
        sa.Column("value_json", SHORT_JSON, nullable=True),
        sa.ForeignKeyConstraint([owner], [f"{owner_table}.{owner}"]),
        sa.PrimaryKeyConstraint(id_column),
        sa.UniqueConstraint(owner, "key"),
    )


def upgrade() -> None:
    create_enum("studydirection", STUDY_DIRECTIONS)
    create_enum("trialstate", OLD_TRIAL_STATES)
    op.create_table(
        "studies",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("study_name", NAME, nullable=False),
        sa.Column(
            "direction", enum("studydirection", STUDY_DIRECTIONS, check=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("study_id"),
    )
    op.create_index("ix_studies_study_name", "studies", ["study_name"], unique=True)
    op.create_table(
        "version_info",
        sa.Column("version_info_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=True),
        sa.Column("library_version", sa.String(256), nullable=True),
        sa.CheckConstraint("version_info_id=1"),
        sa.PrimaryKeyConstraint("version_info_id"),
    )
    _attribute_table("study_user_attributes", "study_user_attribute_id", "study_id", "studies")
    _attribute_table("study_system_attributes", "study_system_attribute_id", "study_id", "studies")
    op.create_table(
        "trials",
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("state", enum("trialstate", OLD_TRIAL_STATES, check=True), nullable=False),
        sa.Column("value", OLD_FLOAT, nullable=True),
        sa.Column("datetime_start", sa.DateTime(), nullable=True),
        sa.Column("datetime_complete", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["study_id"], ["studies.study_id"]),
        sa.PrimaryKeyConstraint("trial_id"),
    )
    _attribute_table("trial_user_attributes", "trial_user_attribute_id", "trial_id", "trials")
    _attribute_table("trial_system_attributes", "trial_system_attribute_id", "trial_id", "trials")
    op.create_table(
        "trial_params",
        sa.Column("param_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=True),
        sa.Column("param_name", NAME, nullable=True),
        sa.Column("param_value", OLD_FLOAT, nullable=True),
        sa.Column("distribution_json", SHORT_JSON, nullable=True),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("param_id"),
        sa.UniqueConstraint("trial_id", "param_name"),
    )
    # Intermediate values, by step (the final value is trials.value).
    op.create_table(
        "trial_values",
        sa.Column("trial_value_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("value", OLD_FLOAT, nullable=True),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("trial_value_id"),
        sa.UniqueConstraint("trial_id", "step"),
    )


def downgrade() -> None:
    raise NotImplementedError("the first schema revision cannot be downgraded")
