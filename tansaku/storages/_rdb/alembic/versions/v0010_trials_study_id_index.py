"""Schema version 2: index trials by study, so a study's trials are found without a scan.

Alembic revision v3.2.0.a, the current schema of Optuna 3.2 to 5.0.
"""

from __future__ import annotations

from alembic import op

revision = "v3.2.0.a"
down_revision = "v3.0.0.d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("trials_study_id_key", "trials", ["study_id"], unique=False)


def downgrade() -> None:
    op.drop_index("trials_study_id_key", table_name="trials")
