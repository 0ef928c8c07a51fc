"""The transactions RDBStorage runs: reads that see one snapshot, writes retried on locks.

- A read takes a trial's rows from several tables, which must agree: under READ COMMITTED
  (PostgreSQL's default) each statement sees a newer snapshot, so a trial created between two
  of them shows up in one table and not in the other. Reads take one snapshot for the
  transaction (SQLite's WAL reads already do); with psycopg the level rides on the BEGIN, so it
  costs no extra round trip. A read of one statement sees one snapshot by itself and needs no
  transaction on a server database.
- Writes stay READ COMMITTED: they lock the rows they depend on and must see the latest
  commits. A write of one statement needs no transaction of its own on a server database
  (BEGIN and COMMIT would be two more round trips). A write that meets a lock (SQLite busy
  past its timeout, a PostgreSQL deadlock or serialization failure) is retried after a short,
  growing pause, by one loop for both ways of writing.
- On a SQLite file the hottest one-row writes run on the driver itself (``sqlite_write``), in
  the same transaction as the engine's (``begin_write``, ``end_write`` in ``_engine.py``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from tansaku.storages._rdb._engine import WRITE_OPTION, engine_write, sqlite_write
from tansaku.storages._rdb._statements import DriverWrites, EngineWrites, Writes

_T = TypeVar("_T")
# How many times a write that meets a lock is tried.
_MAX_WRITE_ATTEMPTS = 8


class Transactions:
    """The transactions on ``engine`` (made by ``make_engine``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        server = engine.dialect.name != "sqlite"
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self._single_statement_engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if server else None
        )
        self._read_engine = (
            engine.execution_options(isolation_level="REPEATABLE READ") if server else engine
        )
        # An in-memory SQLite database keeps SQLAlchemy's path, on its one shared connection.
        self.sqlite_file = not server and engine.url.database not in (None, "", ":memory:")

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self._read_engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def reading_one_statement(self) -> Iterator[Connection]:
        """A connection for a read of one statement, which sees one snapshot by itself."""
        if self._single_statement_engine is None:
            with self.reading() as connection:
                yield connection
        else:
            with self._single_statement_engine.connect() as connection:
                yield connection

    @contextmanager
    def sqlite_read(self) -> Iterator[sqlite3.Connection]:
        """SQLite's driver, for a read of one statement (a statement sees one snapshot)."""
        pooled = self.engine.raw_connection()
        try:
            connection = pooled.driver_connection
            assert isinstance(connection, sqlite3.Connection)
            yield connection
        finally:
            pooled.close()

    def write(
        self,
        work: Callable[[Connection], _T],
        retry_on_conflict: bool = False,
        single_statement: bool = False,
    ) -> _T:
        """Run ``work`` in one write transaction, retrying it when it meets a lock.

        With ``retry_on_conflict`` an IntegrityError (two workers inserting the same attr key
        at once) is retried too: the retry finds the row and updates it. A
        ``single_statement`` work runs as a transaction of its own on server databases.
        """
        if single_statement and self._single_statement_engine is not None:
            engine, begin = self._single_statement_engine, False
        else:
            engine, begin = self._write_engine, True
        return _retrying(lambda: engine_write(engine, begin, work), retry_on_conflict)

    def write_rows(
        self,
        work: Callable[[Writes], _T],
        retry_on_conflict: bool = False,
        single_statement: bool = False,
    ) -> _T:
        """``write`` for the hottest writes: on a SQLite file, on SQLite's driver itself."""
        if self.sqlite_file:
            return _retrying(
                lambda: sqlite_write(self.engine, lambda driver: work(DriverWrites(driver))),
                retry_on_conflict,
            )
        return self.write(
            lambda connection: work(EngineWrites(connection)), retry_on_conflict, single_statement
        )


def _retrying(attempt: Callable[[], _T], retry_on_conflict: bool) -> _T:
    """Run ``attempt`` (one write transaction); again, after a short growing pause, if locked out.

    A StorageLockTimeoutError (the writer lock's bound passed) is not retried: it already
    waited as long as it was told to.
    """
    for number in range(1, _MAX_WRITE_ATTEMPTS + 1):
        try:
            return attempt()
        except IntegrityError:
            if number == _MAX_WRITE_ATTEMPTS or not retry_on_conflict:
                raise
        except (OperationalError, sqlite3.OperationalError) as error:
            if number == _MAX_WRITE_ATTEMPTS or not _is_lock_error(error):
                raise
        time.sleep(0.01 * 2 ** (number - 1))
    raise AssertionError("unreachable")


def _is_lock_error(error: Exception) -> bool:
    # SQLAlchemy wraps the driver's error in ``orig``; SQLite's driver path raises it bare.
    text = str(getattr(error, "orig", error)).lower()
    return any(
        marker in text
        for marker in ("database is locked", "deadlock", "could not serialize", "lock wait")
    )
