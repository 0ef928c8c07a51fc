"""Column types the migrations share, as the schema of each revision had them.

A migration describes the tables of its own revision, never the models of today: the ORM
models change with the head, an old revision's columns do not.
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

# Study names, attr keys and param names.
NAME = sa.String(512)
# JSON text before v2.6.0.a.
SHORT_JSON = sa.String(2048)
# A bare FLOAT: single precision on MySQL, as every revision before v3.0.0.b had it.
OLD_FLOAT = sa.Float()
# Double precision on every database (from v3.0.0.b on).
DOUBLE = sa.Float(precision=53)
# Microseconds on MySQL too (its bare DATETIME drops fractions of a second).
TIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

STUDY_DIRECTIONS = ("NOT_SET", "MINIMIZE", "MAXIMIZE")
OLD_TRIAL_STATES = ("RUNNING", "COMPLETE", "PRUNED", "FAIL")
TRIAL_STATES = (*OLD_TRIAL_STATES, "WAITING")
VALUE_TYPES = ("FINITE", "INF_POS", "INF_NEG")
INTERMEDIATE_VALUE_TYPES = (*VALUE_TYPES, "NAN")


def enum(name: str, values: tuple[str, ...], check: bool = False) -> sa.types.TypeEngine[str]:
    """An enum column type whose PostgreSQL type ``name`` exists already (see create_enum).

    ``check`` adds the CHECK constraint that non-native databases (SQLite) got from the
    SQLAlchemy 1.x that old Optuna releases ran on.
    """
    return sa.Enum(*values, name=name, create_constraint=check).with_variant(
        postgresql.ENUM(*values, name=name, create_type=False), "postgresql"
    )


def create_enum(name: str, values: tuple[str, ...]) -> None:
    """Create PostgreSQL's named enum type; other databases store enums inline."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        postgresql.ENUM(*values, name=name).create(bind, checkfirst=True)


def dialect() -> str:
    """The name of the database the migration runs on ("sqlite", "postgresql", "mysql")."""
    name: str = op.get_bind().dialect.name
    return "mysql" if name == "mariadb" else name


def has_check(table: str, name: str) -> bool:
    """Whether ``table`` has the CHECK constraint ``name`` (SQLite copies it through a batch
    migration unless it is dropped, so an enum that gains a value must drop it first)."""
    checks = sa.inspect(op.get_bind()).get_check_constraints(table)
    return any(check.get("name") == name for check in checks)


_LARGEST_DOUBLE = 1.7976931348623157e308
# Optuna's 3.0 pre-releases (schema v2.6.0.a and v3.0.0.a) stored an infinity as the largest
# single precision float, with its sign, and read that value back as an infinity.
_INFINITY_SENTINEL = 3.4028234663852886e38
_IDS_PER_STATEMENT = 500


def classify_non_finite(
    table: str, id_column: str, value_column: str, type_column: str, null_as: str | None
) -> None:
    """Fill the new ``type_column`` from ``value_column``: FINITE, or INF_POS / INF_NEG (and
    NAN where ``null_as`` is "NAN") with the value set to NULL.

    A NULL value becomes ``null_as``; +-3.4028234663852886e38 (the largest single precision
    float) is an infinity, as the Optuna 3.0 pre-releases that wrote it meant it. Only the
    few non-finite rows are read (on PostgreSQL NaN sorts above every number, so the same
    bounds find it); the rest are set in one statement.
    The kinds are written as SQL literals, which PostgreSQL casts to its enum type.
    """
    bind = op.get_bind()
    rows = sa.table(
        table, sa.column(id_column), sa.column(value_column, DOUBLE), sa.column(type_column)
    )
    row_id, value, value_type = rows.c[id_column], rows.c[value_column], rows.c[type_column]
    ids_by_kind: dict[str, list[int]] = {}
    for found_id, found_value in bind.execute(
        sa.select(row_id, value).where(
            sa.or_(
                value.is_(None),
                value > _LARGEST_DOUBLE,
                value < -_LARGEST_DOUBLE,
                value == _INFINITY_SENTINEL,
                value == -_INFINITY_SENTINEL,
            )
        )
    ):
        if found_value is None:
            kind = null_as
        elif math.isnan(found_value):
            kind = "NAN" if null_as == "NAN" else None
        else:
            kind = "INF_POS" if found_value > 0 else "INF_NEG"
        if kind is not None:
            ids_by_kind.setdefault(kind, []).append(found_id)
    for kind, ids in ids_by_kind.items():
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            chunk = ids[start : start + _IDS_PER_STATEMENT]
            bind.execute(
                sa.update(rows)
                .where(row_id.in_(chunk))
                .values({value_column: None, type_column: sa.literal_column(f"'{kind}'")})
            )
    bind.execute(
        sa.update(rows)
        .where(value_type.is_(None))
        .values({type_column: sa.literal_column("'FINITE'")})
    )
