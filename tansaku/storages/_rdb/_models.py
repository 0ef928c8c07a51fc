"""The tables of a tansaku/Optuna database, in Optuna's layout (schema revision v3.2.0.a).

The layout is a fact of compatibility: a database that Optuna 5.0 wrote opens here unchanged,
and Optuna (and its dashboard) can open what tansaku writes. Every value that is not a number
is stored as JSON text; enums are stored by name.
"""

from __future__ import annotations

import datetime
import enum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.compiler import TypeCompiler

from tansaku._internal.study_direction import StudyDirection
from tansaku.trial import TrialState

# Written to version_info.schema_version; Optuna reads it to recognise its own schema.
SCHEMA_VERSION = 12
# Longest study name, attr key or param name: the columns are indexed VARCHAR(512).
MAX_INDEXED_STRING_LENGTH = 512
MAX_VERSION_LENGTH = 256
# Double precision everywhere (MySQL's bare FLOAT is single precision, 7 digits).
_DOUBLE = Float(precision=53)
# MySQL's bare DATETIME drops the fraction of a second; keep microseconds like the others.
_TIME = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class _Name(String):
    """A study name, attr key or param name: VARCHAR(512), equal only when byte for byte equal.

    SQLite and PostgreSQL compare text that way. MySQL and MariaDB compare with the database's
    collation, by default case- and accent-insensitive and blind to trailing spaces: 'Study',
    'STUDY' and 'Stüdy' would be one study name there, and 'x'/'X' one param. The columns of
    a database tansaku creates on them get a binary collation instead (see
    ``_binary_collation``). Tables that exist keep theirs (no migration): a database that Optuna
    or an older tansaku created on MySQL still compares names as its collation does.
    """

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(MAX_INDEXED_STRING_LENGTH)


def _binary_collation(dialect: Dialect) -> str:
    """The byte-wise collation of this server, NO PAD ('pad' != 'pad  ') where it has one."""
    version = dialect.server_version_info or ()
    is_mariadb = bool(getattr(dialect, "is_mariadb", False))
    if is_mariadb and version >= (10, 2):
        return "utf8mb4_nopad_bin"
    if not is_mariadb and version >= (8, 0, 17):
        return "utf8mb4_0900_bin"
    # Older servers have only PAD SPACE binary collations: names that differ only in trailing
    # spaces still compare equal there.
    return "utf8mb4_bin"


# Renders DDL only: the collation applies to the column, and comparisons with it follow it.
# The dialect is named "mysql" for MariaDB too when reached through a mysql:// URL.
@compiles(_Name, "mysql", "mariadb")
def _name_on_mysql(type_: _Name, compiler: TypeCompiler, **kw: object) -> str:
    collation = _binary_collation(compiler.dialect)
    return f"VARCHAR({type_.length}) CHARACTER SET utf8mb4 COLLATE {collation}"


class TrialValueType(enum.Enum):
    """How an objective value is stored: finite in ``value``, or an infinity with NULL."""

    FINITE = 1
    INF_POS = 2
    INF_NEG = 3


class TrialIntermediateValueType(enum.Enum):
    """Like TrialValueType, plus NaN (a reported value may be NaN, a final one may not)."""

    FINITE = 1
    INF_POS = 2
    INF_NEG = 3
    NAN = 4


# Enum types are named after Optuna's Python classes: PostgreSQL keeps them as named types.
_TRIAL_STATE = Enum(TrialState, name="trialstate")
_STUDY_DIRECTION = Enum(StudyDirection, name="studydirection")
_VALUE_TYPE = Enum(TrialValueType, name="trialvaluetype")
_INTERMEDIATE_VALUE_TYPE = Enum(TrialIntermediateValueType, name="trialintermediatevaluetype")


class Base(DeclarativeBase):
    """Declarative base of the storage tables."""


class StudyModel(Base):
    __tablename__ = "studies"
    study_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_name: Mapped[str] = mapped_column(_Name(), index=True, unique=True, nullable=False)


class StudyDirectionModel(Base):
    __tablename__ = "study_directions"
    __table_args__ = (UniqueConstraint("study_id", "objective"),)
    study_direction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[StudyDirection] = mapped_column(_STUDY_DIRECTION, nullable=False)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.study_id"), nullable=False)
    objective: Mapped[int] = mapped_column(Integer, nullable=False)


class StudyUserAttributeModel(Base):
    __tablename__ = "study_user_attributes"
    __table_args__ = (UniqueConstraint("study_id", "key"),)
    study_user_attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.study_id"))
    key: Mapped[str | None] = mapped_column(_Name())
    value_json: Mapped[str | None] = mapped_column(Text())


class StudySystemAttributeModel(Base):
    __tablename__ = "study_system_attributes"
    __table_args__ = (UniqueConstraint("study_id", "key"),)
    study_system_attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.study_id"))
    key: Mapped[str | None] = mapped_column(_Name())
    value_json: Mapped[str | None] = mapped_column(Text())


class TrialModel(Base):
    __tablename__ = "trials"
    trial_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer)
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.study_id"), index=True)
    state: Mapped[TrialState] = mapped_column(_TRIAL_STATE, nullable=False)
    datetime_start: Mapped[datetime.datetime | None] = mapped_column(_TIME)
    datetime_complete: Mapped[datetime.datetime | None] = mapped_column(_TIME)


class TrialUserAttributeModel(Base):
    __tablename__ = "trial_user_attributes"
    __table_args__ = (UniqueConstraint("trial_id", "key"),)
    trial_user_attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int | None] = mapped_column(ForeignKey("trials.trial_id"))
    key: Mapped[str | None] = mapped_column(_Name())
    value_json: Mapped[str | None] = mapped_column(Text())


class TrialSystemAttributeModel(Base):
    __tablename__ = "trial_system_attributes"
    __table_args__ = (UniqueConstraint("trial_id", "key"),)
    trial_system_attribute_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int | None] = mapped_column(ForeignKey("trials.trial_id"))
    key: Mapped[str | None] = mapped_column(_Name())
    value_json: Mapped[str | None] = mapped_column(Text())


class TrialParamModel(Base):
    __tablename__ = "trial_params"
    __table_args__ = (UniqueConstraint("trial_id", "param_name"),)
    param_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int | None] = mapped_column(ForeignKey("trials.trial_id"))
    param_name: Mapped[str | None] = mapped_column(_Name())
    param_value: Mapped[float | None] = mapped_column(_DOUBLE)
    distribution_json: Mapped[str | None] = mapped_column(Text())


class TrialValueModel(Base):
    __tablename__ = "trial_values"
    __table_args__ = (UniqueConstraint("trial_id", "objective"),)
    trial_value_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), nullable=False)
    objective: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float | None] = mapped_column(_DOUBLE)
    value_type: Mapped[TrialValueType] = mapped_column(_VALUE_TYPE, nullable=False)


class TrialIntermediateValueModel(Base):
    __tablename__ = "trial_intermediate_values"
    __table_args__ = (UniqueConstraint("trial_id", "step"),)
    trial_intermediate_value_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), nullable=False)
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    intermediate_value: Mapped[float | None] = mapped_column(_DOUBLE)
    intermediate_value_type: Mapped[TrialIntermediateValueType] = mapped_column(
        _INTERMEDIATE_VALUE_TYPE, nullable=False
    )


class TrialHeartbeatModel(Base):
    __tablename__ = "trial_heartbeats"
    __table_args__ = (UniqueConstraint("trial_id"),)
    trial_heartbeat_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.trial_id"), nullable=False)
    heartbeat: Mapped[datetime.datetime] = mapped_column(_TIME, nullable=False)


class VersionInfoModel(Base):
    __tablename__ = "version_info"
    # A single row: the check keeps it that way.
    __table_args__ = (CheckConstraint("version_info_id=1"),)
    version_info_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    schema_version: Mapped[int | None] = mapped_column(Integer)
    library_version: Mapped[str | None] = mapped_column(String(MAX_VERSION_LENGTH))
