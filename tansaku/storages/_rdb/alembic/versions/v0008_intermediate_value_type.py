"""Schema revision v3.0.0.c (Optuna 3.0): intermediate values keep infinities and NaN on every
database.

``intermediate_value_type`` says what a value is: FINITE (in ``intermediate_value``), or
INF_POS, INF_NEG or NAN, with ``intermediate_value`` NULL (MySQL stores no infinity or NaN,
and SQLite turns NaN into NULL). Existing rows are classified from the value they hold: a NULL
value was a NaN that SQLite or MySQL had nulled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tansaku.storages._rdb.alembic._types import (
    INTERMEDIATE_VALUE_TYPES,
    classify_non_finite,
    create_enum,
    enum,
)

revision = "v3.0.0.c"
down_revision = "v3.0.0.b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_enum("trialintermediatevaluetype", INTERMEDIATE_VALUE_TYPES)
    value_type = enum("trialintermediatevaluetype", INTERMEDIATE_VALUE_TYPES)
    with op.batch_alter_table("trial_intermediate_values") as batch:
        batch.add_column(sa.Column("intermediate_value_type", value_type, nullable=True))
    classify_non_finite(
        "trial_intermediate_values",
        "trial_intermediate_value_id",
        "intermediate_value",
        "intermediate_value_type",
        null_as="NAN",
    )
    with op.batch_alter_table("trial_intermediate_values") as batch:
        batch.alter_column(
            "intermediate_value_type",
            existing_type=value_type,
            nullable=False,
        )


def downgrade() -> None:
    raise NotImplementedError("schema revisions are not downgraded")
