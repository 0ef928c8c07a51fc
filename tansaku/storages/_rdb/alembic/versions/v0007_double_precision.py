"""Schema revision v3.0.0.b (Optuna 3.0): double precision values; NULL intermediate values.

The value columns become double precision (MySQL's bare FLOAT kept 7 digits), and
``intermediate_value`` may be NULL, for v3.0.0.c to store infinities and NaN as NULL with
their kind beside. On MySQL the times also keep microseconds (DATETIME(6)): its bare DATETIME
dropped the fraction of a second, which the head schema of tansaku keeps on every database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tansaku.storages._rdb.alembic._types import DOUBLE, OLD_FLOAT, TIME, dialect

revision = "v3.0.0.b"
down_revision = "v3.0.0.a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trial_params") as batch:
        batch.alter_column("param_value", type_=DOUBLE, existing_type=OLD_FLOAT)
    with op.batch_alter_table("trial_values") as batch:
        batch.alter_column("value", type_=DOUBLE, existing_type=OLD_FLOAT, existing_nullable=False)
    with op.batch_alter_table("trial_intermediate_values") as batch:
        batch.alter_column(
            "intermediate_value", type_=DOUBLE, existing_type=OLD_FLOAT, nullable=True
        )
    if dialect() == "mysql":
        for column in ("datetime_start", "datetime_complete"):
            op.alter_column("trials", column, type_=TIME, existing_type=sa.DateTime())
        op.alter_column(
            "trial_heartbeats",
            "heartbeat",
            type_=TIME,
            existing_type=sa.DateTime(),
            existing_nullable=False,
        )


def downgrade() -> None:
    raise NotImplementedError("schema revisions are not downgraded")
