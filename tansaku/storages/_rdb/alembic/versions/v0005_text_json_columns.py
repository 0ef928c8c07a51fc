"""Schema revision v2.6.0.a (Optuna 2.6 to 2.10): JSON of attrs and distributions is TEXT.

VARCHAR(2048) cut attrs and categorical choices longer than that on MySQL and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tansaku.storages._rdb.alembic._types import SHORT_JSON

revision = "v2.6.0.a"
down_revision = "v2.4.0.a"
branch_labels = None
depends_on = None

_JSON_COLUMNS = (
    ("study_user_attributes", "value_json"),
    ("study_system_attributes", "value_json"),
    ("trial_user_attributes", "value_json"),
    ("trial_system_attributes", "value_json"),
    ("trial_params", "distribution_json"),
)


def upgrade() -> None:
    for table, column in _JSON_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Text(), existing_type=SHORT_JSON)


def downgrade() -> None:
    raise NotImplementedError("schema revisions are not downgraded")
