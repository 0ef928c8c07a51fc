"""Engines for the RDB storage: connection settings chosen for many writers and cheap commits.

SQLite (the embedded default) gets, on every connection:

- ``journal_mode=WAL``: readers never block the writer nor each other, and a commit appends
  to the write-ahead log instead of rewriting pages.
- ``synchronous=NORMAL`` (``FULL`` with ``durable_commits=True``): in WAL mode a commit is
  then a write to the log without an fsync; the log is synced at checkpoints. A commit is in
  the operating system's cache when it returns, so killing a process loses nothing that was
  committed; a power loss or kernel crash can lose the commits made since the last checkpoint
  (the database stays consistent). ``FULL`` syncs the log on every commit (one fsync each).
- write transactions start with ``BEGIN IMMEDIATE``: the write lock is taken before anything
  is read, so a transaction never has to upgrade a read snapshot into a write lock, which is
  what makes SQLite fail at once with "database is locked" whatever the busy timeout.
- writers queue on an ``flock`` of the file ``<database>-writer-lock`` before ``BEGIN
  IMMEDIATE``. SQLite's own busy handler sleeps 1, 2, 5, 10... up to 100 ms before looking
  again, however soon the lock is released, and eight workers sharing a study spent most of
  their time so; the writer lock is asked for again after pauses of 0.1 ms to 2 ms (see
  ``storages/_file_lock.py``). A writer waits for it at most the connection's ``timeout``
  (SQLite's busy timeout, 60 s unless ``connect_args`` say otherwise), then raises
  StorageLockTimeoutError naming the lock file and its holder. The busy timeout stays the
  wait where ``flock`` is not available.

The writer lock is taken by ``begin_write``, the one way a write transaction starts (from the
engine's ``begin`` event, or from ``sqlite_write`` on the driver), and released by
``end_write``, run by the pool's ``reset`` event each time a connection goes back to the pool,
after its commit or on any way out (an exception, KeyboardInterrupt at any point): it rolls back
what is still open, then releases. The lock is marked as possibly held before it is asked for,
so an interrupt between taking it and recording it cannot hide it from the release. An error
inside ``reset`` makes SQLAlchemy close the connection, and closing its descriptor drops the
lock, as the kernel does when a process dies.

Read-only databases: a process that may read a SQLite database but not write it (a report or
a plot run by another user, a database on read-only media or in a read-only directory) opens
it read-only (``mode=ro``), without the ``journal_mode`` pragma and the writer lock, neither
of which it could write; a write transaction then raises PermissionError naming the file. A
database in WAL mode needs its ``-wal`` and ``-shm`` files to be read with ``mode=ro``: when
they are missing and cannot be created (a read-only directory), every commit is in the
database file itself (a writer's last connection checkpoints and removes them; a writer at
work, or one killed, leaves them), so it is opened ``immutable``, which needs neither. An
immutable reader assumes that nothing writes the database while it reads, which holds where
the directory is read-only for everyone (a writer would need to create the ``-wal`` file).

PostgreSQL connections set ``synchronous_commit`` to ``off`` (``on`` with
``durable_commits=True``) for the same promise: a killed worker loses nothing it committed, a
crash of the database server's machine can lose the last fraction of a second of commits.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, NoSuchModuleError
from sqlalchemy.pool import PoolProxiedConnection, StaticPool

from tansaku._internal.redact import call_redacted, redact_exception, redact_url, url_secrets
from tansaku.storages._file_lock import fcntl, lock_exclusive

_T = TypeVar("_T")

# Seconds a writer waits for SQLite's write lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 60.0
# Seconds a pooled server connection may be idle before it is pinged on checkout.
IDLE_PING_S = 1.0
# Execution option that marks a connection whose transactions write.
WRITE_OPTION = "tansaku_write"


def make_engine(url: str, engine_kwargs: dict[str, Any], durable_commits: bool) -> Engine:
    """Create the engine for ``url`` with the settings above.

    Messages quote ``url`` with its password masked, and an error the driver raises while
    connecting (now or on any later reconnect) has the password masked too.

    Raises:
        ValueError: ``url`` is not a database URL SQLAlchemy understands.
        ImportError: the database driver is not installed (the message names it).
    """
    secrets = url_secrets(url)
    shown = redact_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:  # ValueError: a port that is not a number
        # The parser's own message may quote the URL; the chain is masked, not dropped.
        redact_exception(error, secrets)
        raise ValueError(
            f"RDBStorage: url={shown!r} is not a database URL; expected e.g. "
            "'sqlite:///study.db' or 'postgresql+psycopg://user:password@host/db'"
        ) from None
    kwargs = dict(engine_kwargs)
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername == "postgresql":
        # SQLAlchemy's default PostgreSQL driver is psycopg2; tansaku is tested on psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "mysql" and parsed.drivername == "mysql":
        parsed = parsed.set(drivername="mysql+pymysql")
    if backend == "sqlite":
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        connect_args.setdefault("check_same_thread", False)
        kwargs["connect_args"] = connect_args
        if parsed.database in (None, "", ":memory:"):
            # One shared connection, or every thread would see its own empty database.
            kwargs.setdefault("poolclass", StaticPool)
    read_only: str | None = None
    database_path = parsed.database
    # A URI filename the caller wrote (``?uri=true``) is taken as it is.
    if (
        backend == "sqlite"
        and database_path not in (None, "", ":memory:")
        and "uri" not in parsed.query
    ):
        assert database_path is not None
        read_only = sqlite_read_only_reason(database_path)
        if read_only is not None:
            parsed = _read_only_url(parsed, database_path)
    ping_when_idle = backend != "sqlite" and "pool_pre_ping" not in kwargs
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as error:
        redact_exception(error, secrets)
        raise ValueError(
            f"RDBStorage: url={shown!r} names a database or driver SQLAlchemy does not know "
            f"({parsed.drivername!r}); expected sqlite, postgresql or mysql"
        ) from None
    except ModuleNotFoundError as missing:
        redact_exception(missing, secrets)
        raise ImportError(
            f"RDBStorage: url={shown!r} needs the database driver {missing.name!r}: "
            "pip install 'psycopg[binary]' for PostgreSQL or PyMySQL for MySQL"
        ) from None
    if backend == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        _configure_sqlite(
            engine,
            in_memory=in_memory,
            durable_commits=durable_commits,
            writer_lock=None if in_memory or read_only else f"{database_path}-writer-lock",
            lock_timeout=float(kwargs["connect_args"]["timeout"]),
            read_only=(
                None
                if read_only is None
                else f"RDBStorage: cannot write the SQLite database {database_path!r}, which "
                f"this process may only read ({read_only})"
            ),
        )
    elif backend == "postgresql":
        _configure_postgresql(engine, durable_commits)
    if ping_when_idle:
        _ping_when_idle(engine)
    _mask_connect_errors(engine, secrets)
    return engine


def sqlite_read_only_reason(path: str) -> str | None:
    """Why this process may not write the SQLite database at ``path``, or None if it may.

    A writer needs the file, and its directory to create the ``-wal`` and ``-shm`` files in
    (unless both are there and writable already); a missing database is left to SQLite,
    which creates it or says why it cannot.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            return None  # missing, or no regular file: SQLite says what is wrong
        return os.strerror(error.errno)
    os.close(fd)
    if os.access(directory, os.W_OK | os.X_OK, effective_ids=True) or all(
        os.access(f"{path}{suffix}", os.R_OK | os.W_OK, effective_ids=True)
        for suffix in ("-wal", "-shm")
    ):
        return None
    return f"its directory {directory!r} is not writable"


def _read_only_url(parsed: Any, path: str) -> Any:
    """``parsed`` opening the SQLite database at ``path`` read-only (see the module docstring)."""
    absolute = os.path.abspath(path)
    immutable = (
        _is_wal_database(absolute)
        and not os.path.exists(f"{absolute}-wal")
        and not os.access(os.path.dirname(absolute), os.W_OK, effective_ids=True)
    )
    options = {"immutable": "1"} if immutable else {"mode": "ro"}
    uri = "file:" + urllib.parse.quote(absolute)
    return parsed.set(database=uri, query={**parsed.query, **options, "uri": "true"})


def _is_wal_database(path: str) -> bool:
    """True when the database file's header says WAL mode (its read and write versions, 2)."""
    try:
        with open(path, "rb") as file:
            header = file.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18:20] == b"\x02\x02"


def _mask_connect_errors(engine: Engine, secrets: frozenset[str]) -> None:
    """Mask ``secrets`` in whatever the driver raises while connecting.

    A driver may quote the password back (PyMySQL's UnicodeEncodeError for a password it
    cannot encode carries all of it); SQLAlchemy then copies the driver's message into its
    own error. Masking at the connect call covers the first connection and every reconnect.
    """

    @event.listens_for(engine, "do_connect")
    def _on_connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        return call_redacted(secrets, dialect.connect, *cargs, **cparams)


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection to a server before use, if it has been idle for a while.

    A connection idle in the pool may have been closed by the server (a restart, an idle
    timeout): a ping then finds it dead and the pool opens another, as SQLAlchemy's
    ``pool_pre_ping`` does. That option pings before every use, one more round trip for each
    transaction; a worker runs several transactions per trial back to back, on connections
    used a moment ago, so only those idle for ``IDLE_PING_S`` are pinged.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        last_used = record.info.get(_LAST_USED)
        if last_used is None or time.monotonic() - last_used < IDLE_PING_S:
            return  # a new connection, or one in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(f"pooled connection is dead: {error}") from error


def _configure_sqlite(
    engine: Engine,
    in_memory: bool,
    durable_commits: bool,
    writer_lock: str | None,
    lock_timeout: float,
    read_only: str | None = None,
) -> None:
    """Set up SQLite connections; ``read_only``: the error a write raises (opened read-only)."""
    synchronous = "FULL" if durable_commits else "NORMAL"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        # Take over transaction control from the driver, so BEGIN can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if read_only is not None:
            record.info[_READ_ONLY] = read_only
        elif not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()
        if writer_lock is not None:
            with contextlib.suppress(OSError):  # without it, the busy timeout is the wait
                record.info[_WRITER_LOCK] = WriterLock(writer_lock, lock_timeout)

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        # SQLAlchemy closes a connection it gives up on (an error, an interrupt) as it is. A
        # connection closed in a transaction while a cursor of it lives on (in a traceback
        # kept by the caller, in a reference cycle) keeps SQLite's write lock until that
        # cursor is freed, so the transaction is rolled back first.
        try:
            with contextlib.suppress(sqlite3.Error):
                if dbapi_connection.in_transaction:
                    dbapi_connection.execute("ROLLBACK")
        finally:
            lock = record.info.get(_WRITER_LOCK)
            if lock is not None:
                lock.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_OPTION):
            begin_write(connection.connection)
        else:
            connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "reset")
    def _on_reset(dbapi_connection: sqlite3.Connection, record: Any, state: Any) -> None:
        end_write(dbapi_connection, record.info)


# Key in a pooled connection's info: when it was last returned to the pool.
_LAST_USED = "tansaku_last_used"
# Key in a pooled SQLite connection's info: its WriterLock.
_WRITER_LOCK = "tansaku_writer_lock"
# Key in a pooled SQLite connection's info: the error a write raises (opened read-only).
_READ_ONLY = "tansaku_read_only"


class WriterLock:
    """One pooled connection's hold on the writer lock: its own open file of the lock file.

    ``flock`` excludes open files, so two connections (threads) of one process queue on it like
    two processes do. ``may_hold`` is set before the lock is asked for and cleared once it is
    released: while it is False the connection surely does not hold the lock.
    """

    __slots__ = ("fd", "may_hold", "path", "timeout")

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.may_hold = False
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def acquire(self) -> None:
        """Wait for the lock (at most ``timeout`` s: then StorageLockTimeoutError)."""
        self.may_hold = True
        # Without flock on this file system or platform (OSError), SQLite's own locking and
        # busy timeout are the wait.
        with contextlib.suppress(OSError):
            lock_exclusive(
                self.fd,
                self.path,
                self.timeout,
                "RDBStorage(engine_kwargs={'connect_args': {'timeout': seconds}}) waits longer",
            )

    def release(self) -> None:
        if self.may_hold and self.fd >= 0:
            # fcntl.flock itself, no Python function: a signal cannot land before the release.
            if fcntl is not None:  # else no flock was taken
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            self.may_hold = False

    def close(self) -> None:
        """Close the file, which drops the lock if held (the connection is being closed)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self.may_hold = False


def begin_write(pooled: PoolProxiedConnection) -> sqlite3.Connection:
    """Start a write transaction on a pooled connection: the writer lock, then BEGIN IMMEDIATE.

    The one way a write transaction starts, from the engine's ``begin`` event or from
    ``sqlite_write``. Whatever happens from here on, ``end_write`` runs when the connection
    goes back to the pool (or the connection is closed), and releases the lock.

    Returns:
        The driver's connection, in the transaction.

    Raises:
        PermissionError: the database was opened read-only (the message names the file).
    """
    connection = pooled.driver_connection
    assert isinstance(connection, sqlite3.Connection)
    read_only = pooled.info.get(_READ_ONLY)
    if read_only is not None:
        raise PermissionError(errno.EACCES, read_only)
    lock = pooled.info.get(_WRITER_LOCK)
    if lock is not None:
        lock.acquire()
    connection.execute("BEGIN IMMEDIATE")
    return connection


def end_write(connection: sqlite3.Connection, info: dict[Any, Any]) -> None:
    """Roll back what a write left open and release the writer lock (the pool's ``reset``)."""
    lock = info.get(_WRITER_LOCK)
    if lock is None or not lock.may_hold:
        return  # nothing written on this connection since its last return to the pool
    try:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
    finally:
        lock.release()


def sqlite_write(engine: Engine, work: Callable[[sqlite3.Connection], _T]) -> _T:
    """Run ``work`` in a write transaction on a pooled SQLite connection, on the driver itself.

    The same transaction as the engine's writes (``begin_write``; the lock released on the
    connection's return to the pool), without SQLAlchemy's per-statement work, which costs
    several times what SQLite takes to run a one-row write. For the hottest writes only, whose
    SQL is written for SQLite.

    A plain function, not a generator context manager: an interrupt landing in
    ``contextlib``'s ``__enter__`` after the generator took the lock would leave the generator
    suspended, holding it, where no ``finally`` of ours runs.
    """
    pooled = engine.raw_connection()
    try:
        connection = begin_write(pooled)
        result = work(connection)
        connection.execute("COMMIT")
        return result
    finally:
        try:
            pooled.close()  # end_write: a rollback of what is left open, then the release
        finally:
            discard_if_abandoned(pooled)


def engine_write(engine: Engine, begin: bool, work: Callable[[Connection], _T]) -> _T:
    """Run ``work`` on a connection of ``engine``, in a transaction with ``begin``.

    The one way SQLAlchemy writes run: as ``engine.begin()`` (or ``engine.connect()``) would,
    with ``discard_if_abandoned`` after the return, and as a plain function for the reason
    ``sqlite_write`` gives.
    """
    connection = engine.connect()
    pooled = connection.connection
    try:
        if begin:
            with connection.begin():
                return work(connection)
        return work(connection)
    finally:
        try:
            connection.close()
        finally:
            discard_if_abandoned(pooled)


def discard_if_abandoned(pooled: PoolProxiedConnection) -> None:
    """Close a pooled connection whose return to the pool an interrupt cut short.

    SQLAlchemy returns a connection through several Python calls before its ``reset`` (the
    rollback, and ``end_write``'s release of the writer lock). A KeyboardInterrupt landing in
    one of them leaves the connection checked out, in its transaction: holding the writer lock
    (SQLite) or its row locks (a server) until it is garbage collected, which a traceback kept
    by the caller postpones for as long as it is kept (a notebook keeps the last one). The
    process's next write, the failing of the interrupted trial first, would then wait on its
    own lock. Invalidating the connection closes it: a server rolls back and drops its locks,
    and on SQLite ``_on_close`` rolls back and closes the writer lock's file. The pool opens
    another connection in its place.

    A connection that went back to the pool is left alone, whoever uses it now. SQLAlchemy
    offers no public way to ask whether this checkout still owns the connection: its record's
    ``fairy_ref`` tells.
    """
    if pooled.dbapi_connection is None:
        return  # returned: its checkout ended as usual
    record = getattr(pooled, "_connection_record", None)
    owner = getattr(record, "fairy_ref", None)
    if owner is None or owner() is not pooled:
        return  # back in the pool, perhaps checked out again by another thread
    pooled.invalidate()


def _configure_postgresql(engine: Engine, durable_commits: bool) -> None:
    setting = "on" if durable_commits else "off"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET synchronous_commit TO {setting}")
        cursor.close()
        dbapi_connection.autocommit = autocommit
