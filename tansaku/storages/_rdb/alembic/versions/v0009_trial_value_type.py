"""Schema revision v3.0.0.d (Optuna 3.0 and 3.1): final values keep infinities on every
database.

``trial_values.value_type`` says what a value is: FINITE (in ``value``), or INF_POS or INF_NEG
with ``value`` NULL (MySQL stores no infinity). A final value is never NaN.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tansaku.storages._rdb.alembic._types import (
    DOUBLE,
    VALUE_TYPES,
    classify_non_finite,
    create_enum,
    enum,
)

revision = "v3.0.0.d"
down_revision = "v3.0.0.c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_enum("trialvaluetype", VALUE_TYPES)
    value_type = enum("trialvaluetype", VALUE_TYPES)
    with op.batch_alter_table("trial_values") as batch:
        batch.alter_column("value", existing_type=DOUBLE, nullable=True)
        batch.add_column(sa.Column("value_type", value_type, nullable=True))
    classify_non_finite("trial_values", "trial_value_id", "value", "value_type", null_as=None)
    with op.batch_alter_table("trial_values") as batch:
        batch.alter_column("value_type", existing_type=value_type, nullable=False)


def downgrade() -> None:
    raise NotImplementedError("schema revisions are not downgraded")
