"""Schema revision v1.3.0.a (Optuna 1.3 to 2.3): a trial's number is the column trials.number.

Before, it was the trial's system attr ``_number``: its value moves to the column and the attr
is deleted. A trial without the attr (none should exist) gets its rank in its study by id,
the order in which trials are numbered.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "v1.3.0.a"
down_revision = "v1.2.0.a"
branch_labels = None
depends_on = None

_trials = sa.table("trials", sa.column("trial_id"), sa.column("study_id"), sa.column("number"))
_system_attrs = sa.table(
    "trial_system_attributes",
    sa.column("trial_id"),
    sa.column("key"),
    sa.column("value_json"),
)


def upgrade() -> None:
    with op.batch_alter_table("trials") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
    bind = op.get_bind()
    stored = {
        trial_id: json.loads(value_json)
        for trial_id, value_json in bind.execute(
            sa.select(_system_attrs.c.trial_id, _system_attrs.c.value_json).where(
                _system_attrs.c.key == "_number"
            )
        )
    }
    ranks: dict[int | None, int] = {}
    numbers = []
    for trial_id, study_id in bind.execute(
        sa.select(_trials.c.trial_id, _trials.c.study_id).order_by(_trials.c.trial_id)
    ):
        rank = ranks.get(study_id, 0)
        ranks[study_id] = rank + 1
        numbers.append({"row_id": trial_id, "new_number": stored.get(trial_id, rank)})
    if numbers:
        bind.execute(
            _trials.update()
            .where(_trials.c.trial_id == sa.bindparam("row_id"))
            .values(number=sa.bindparam("new_number")),
            numbers,
        )
    bind.execute(_system_attrs.delete().where(_system_attrs.c.key == "_number"))


def downgrade() -> None:
    raise NotImplementedError("schema revisions are not downgraded")
