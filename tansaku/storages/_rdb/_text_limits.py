"""How long a text the TEXT columns of the database hold, checked before a write.

The JSON columns (attrs' ``value_json``, params' ``distribution_json``) are ``TEXT`` in
Optuna's schema, which tansaku keeps so that both open each other's databases. On SQLite
(``SQLITE_MAX_LENGTH``, 1e9 bytes by default) and PostgreSQL (1 GB a value) that is no limit in
practice; on MySQL and MariaDB ``TEXT`` holds 65,535 bytes, and a longer value fails the
write with a driver error that does not name the attr (in strict mode), or is cut short and
unreadable afterwards (outside it). A database whose columns were widened (``ALTER TABLE ...
MODIFY value_json LONGTEXT``, as some Optuna users do) holds more: the capacity is read from
the server, once per column, the first time a value longer than 65,535 bytes is written.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Table, text

from tansaku.distributions import distribution_to_json
from tansaku.storages._rdb._codec import (
    PARAMS,
    STUDY_USER_ATTRS,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    dump_json,
)

if TYPE_CHECKING:
    from tansaku.trial import FrozenTrial

# What a TEXT column holds on MySQL and MariaDB, in bytes.
MYSQL_TEXT_BYTES = 65_535

_CAPACITY = text(
    "SELECT CHARACTER_OCTET_LENGTH FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table AND COLUMN_NAME = :column"
)


class TextLimits:
    """Raise a clear error for a text too long for its column, before it is written.

    Holds, per (table, column), the capacity read from a MySQL/MariaDB server; other databases
    read nothing and hold nothing.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._limited = engine.dialect.name in ("mysql", "mariadb")
        self._capacities: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def check_attr(self, table: Table, key: str, value_json: str) -> None:
        """Check the JSON of the value of attr ``key`` to be written to ``table``."""
        if not self._may_exceed(value_json):
            return
        kind = "user" if table in (TRIAL_USER_ATTRS, STUDY_USER_ATTRS) else "system"
        owner = "trial" if table in (TRIAL_USER_ATTRS, TRIAL_SYSTEM_ATTRS) else "study"
        self.check(
            f"RDBStorage.set_{owner}_{kind}_attr",
            f"the value of {kind} attr {key!r}",
            table.name,
            "value_json",
            value_json,
        )

    def check_distribution(self, call: str, name: str, distribution_json: str) -> None:
        """Check the JSON of the distribution of param ``name``, written by ``call``."""
        if not self._may_exceed(distribution_json):
            return  # every suggest writes a param: its message is built only when needed
        self.check(
            f"RDBStorage.{call}",
            f"the distribution of param {name!r}",
            PARAMS.name,
            "distribution_json",
            distribution_json,
        )

    def check_template(self, template: FrozenTrial) -> None:
        """Check every text a trial created from ``template`` would write."""
        if not self._limited:
            return
        for name, distribution in template.distributions.items():
            self.check_distribution("create_new_trial", name, distribution_to_json(distribution))
        for table, kind, attrs in (
            (TRIAL_USER_ATTRS, "user", template.user_attrs),
            (TRIAL_SYSTEM_ATTRS, "system", template.system_attrs),
        ):
            for key, value in attrs.items():
                self.check(
                    "RDBStorage.create_new_trial",
                    f"the value of {kind} attr {key!r}",
                    table.name,
                    "value_json",
                    dump_json(value),
                )

    def check(self, where: str, what: str, table: str, column: str, stored: str) -> None:
        """Raise ValueError when ``stored`` (the text of ``what``) does not fit ``column``.

        Args:
            where: The call, for the message (``RDBStorage.set_trial_user_attr``).
            what: What the text is, for the message (``the value of user attr 'k'``).
            table: The table written.
            column: The column written.
            stored: The text to be written.
        """
        if not self._may_exceed(stored):
            return
        n_bytes = len(stored.encode("utf-8"))
        if n_bytes <= MYSQL_TEXT_BYTES:
            return
        capacity = self._capacity(table, column)
        if n_bytes > capacity:
            raise ValueError(
                f"{where}: {what} is {n_bytes} bytes as JSON, longer than the {capacity} bytes "
                f"that column {table}.{column} of this {self._engine.dialect.name} database "
                "holds; nothing was written (store a shorter value, or widen the column, e.g. "
                f"ALTER TABLE {table} MODIFY {column} MEDIUMTEXT)"
            )

    def _may_exceed(self, stored: str) -> bool:
        # Most texts are far shorter than any limit: a character is at most 4 bytes in UTF-8,
        # so only a text longer than a quarter of the limit is encoded and measured.
        return self._limited and len(stored) > MYSQL_TEXT_BYTES // 4

    def _capacity(self, table: str, column: str) -> int:
        with self._lock:
            capacity = self._capacities.get((table, column))
        if capacity is None:
            with self._engine.connect() as connection:
                found = connection.execute(_CAPACITY, {"table": table, "column": column}).scalar()
            capacity = int(found) if found is not None else MYSQL_TEXT_BYTES
            with self._lock:
                self._capacities[(table, column)] = capacity
        return capacity
