"""Schema version 1: the tables as Optuna 3.0 left them (alembic revision v3.0.0.d).

Databases of older Optuna releases must first be upgraded with Optuna's own tool.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "v3.0.0.d"
down_revision = None
branch_labels = None
depends_on = None

_NAME = sa.String(512)
# Double precision and microsecond times on every database, MySQL included (its bare FLOAT is
# single precision and its bare DATETIME drops fractions of a second).
_DOUBLE = sa.Float(precision=53)
_TIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _attribute_table(table: str, id_column: str, owner: str, owner_table: str) -> None:
    op.create_table(
        table,
        sa.Column(id_column, sa.Integer(), nullable=False),
        sa.Column(owner, sa.Integer(), nullable=True),
        sa.Column("key", _NAME, nullable=True),
        sa.Column("value_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint([owner], [f"{owner_table}.{owner}"]),
        sa.PrimaryKeyConstraint(id_column),
        sa.UniqueConstraint(owner, "key"),
    )


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("study_name", _NAME, nullable=False),
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
    op.create_table(
        "study_directions",
        sa.Column("study_direction_id", sa.Integer(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("NOT_SET", "MINIMIZE", "MAXIMIZE", name="studydirection"),
            nullable=False,
        ),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.study_id"]),
        sa.PrimaryKeyConstraint("study_direction_id"),
        sa.UniqueConstraint("study_id", "objective"),
    )
    _attribute_table("study_user_attributes", "study_user_attribute_id", "study_id", "studies")
    _attribute_table("study_system_attributes", "study_system_attribute_id", "study_id", "studies")
    op.create_table(
        "trials",
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum("RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING", name="trialstate"),
            nullable=False,
        ),
        sa.Column("datetime_start", _TIME, nullable=True),
        sa.Column("datetime_complete", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["study_id"], ["studies.study_id"]),
        sa.PrimaryKeyConstraint("trial_id"),
    )
    _attribute_table("trial_user_attributes", "trial_user_attribute_id", "trial_id", "trials")
    _attribute_table("trial_system_attributes", "trial_system_attribute_id", "trial_id", "trials")
    op.create_table(
        "trial_params",
        sa.Column("param_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=True),
        sa.Column("param_name", _NAME, nullable=True),
        sa.Column("param_value", _DOUBLE, nullable=True),
        sa.Column("distribution_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("param_id"),
        sa.UniqueConstraint("trial_id", "param_name"),
    )
    op.create_table(
        "trial_values",
        sa.Column("trial_value_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.Column("value", _DOUBLE, nullable=True),
        sa.Column(
            "value_type",
            sa.Enum("FINITE", "INF_POS", "INF_NEG", name="trialvaluetype"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("trial_value_id"),
        sa.UniqueConstraint("trial_id", "objective"),
    )
    op.create_table(
        "trial_intermediate_values",
        sa.Column("trial_intermediate_value_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("intermediate_value", _DOUBLE, nullable=True),
        sa.Column(
            "intermediate_value_type",
            sa.Enum("FINITE", "INF_POS", "INF_NEG", "NAN", name="trialintermediatevaluetype"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("trial_intermediate_value_id"),
        sa.UniqueConstraint("trial_id", "step"),
    )
    op.create_table(
        "trial_heartbeats",
        sa.Column("trial_heartbeat_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("heartbeat", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]),
        sa.PrimaryKeyConstraint("trial_heartbeat_id"),
        sa.UniqueConstraint("trial_id"),
    )


def downgrade() -> None:
    raise NotImplementedError("the first schema version cannot be downgraded")
