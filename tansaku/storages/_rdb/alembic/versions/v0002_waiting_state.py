"""Schema revision v1.2.0.a (Optuna 1.2): trials may be WAITING (enqueued, not yet started)."""

from __future__ import annotations

from alembic import op

from tansaku.storages._rdb.alembic._types import (
    OLD_TRIAL_STATES,
    TRIAL_STATES,
    dialect,
    enum,
    has_check,
)

revision = "v1.2.0.a"
down_revision = "v0.9.0.a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if dialect() == "postgresql":
        # A named type: the new label is added to it (allowed in a transaction since
        # PostgreSQL 12; no row uses it before the commit).
        op.execute("ALTER TYPE trialstate ADD VALUE IF NOT EXISTS 'WAITING'")
        return
    with op.batch_alter_table("trials") as batch:
        if has_check("trials", "trialstate"):
            batch.drop_constraint("trialstate", type_="check")
        batch.alter_column(
            "state",
            type_=enum("trialstate", TRIAL_STATES, check=True),
            existing_type=enum("trialstate", OLD_TRIAL_STATES, check=True),
            existing_nullable=False,
        )


def downgrade() -> None:
    raise NotImplementedError("schema revisions are not downgraded")
