"""Schema revision v3.0.0.a (Optuna 3.0): every numeric distribution is an Int- or
FloatDistribution.

Only the JSON in trial_params.distribution_json changes, kind by kind:

========================= ============================================
before                    after
========================= ============================================
UniformDistribution       FloatDistribution(low, high)
LogUniformDistribution    FloatDistribution(low, high, log=True)
DiscreteUniformDistribution(q)  FloatDistribution(low, high, step=q)
IntUniformDistribution(step)    IntDistribution(low, high, step)
IntLogUniformDistribution       IntDistribution(low, high, log=True)
========================= ============================================

(an old IntUniform or IntLogUniform without a step has step 1). Categorical distributions and
the stored param values stay as they are.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "v3.0.0.a"
down_revision = "v2.6.0.a"
branch_labels = None
depends_on = None

_params = sa.table("trial_params", sa.column("param_id"), sa.column("distribution_json"))


def unified(distribution_json: str) -> str:
    """The distribution as Optuna 3.0 writes it, or the same text if it is no old kind."""
    old = json.loads(distribution_json)
    name, attributes = old.get("name"), old.get("attributes", {})
    low, high = attributes.get("low"), attributes.get("high")
    new: dict[str, Any]
    if name == "UniformDistribution":
        new = {"name": "FloatDistribution", "step": None, "log": False}
    elif name == "LogUniformDistribution":
        new = {"name": "FloatDistribution", "step": None, "log": True}
    elif name == "DiscreteUniformDistribution":
        new = {"name": "FloatDistribution", "step": attributes["q"], "log": False}
    elif name == "IntUniformDistribution":
        new = {"name": "IntDistribution", "step": attributes.get("step", 1), "log": False}
    elif name == "IntLogUniformDistribution":
        new = {"name": "IntDistribution", "step": 1, "log": True}
    else:
        return distribution_json
    kind = new.pop("name")
    return json.dumps({"name": kind, "attributes": {"low": low, "high": high, **new}})


def upgrade() -> None:
    bind = op.get_bind()
    # The old kinds' names all end in "UniformDistribution"; anything else is left alone.
    rows = bind.execute(
        sa.select(_params.c.param_id, _params.c.distribution_json).where(
            _params.c.distribution_json.like("%UniformDistribution%")
        )
    ).all()
    changes = [
        {"row_id": param_id, "new_json": unified(text)}
        for param_id, text in rows
        if text is not None and unified(text) != text
    ]
    if changes:
        bind.execute(
            _params.update()
            .where(_params.c.param_id == sa.bindparam("row_id"))
            .values(distribution_json=sa.bindparam("new_json")),
            changes,
        )


def downgrade() -> None:
    raise NotImplementedError("schema revisions are not downgraded")
