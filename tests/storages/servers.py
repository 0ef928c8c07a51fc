"""Real database servers for the storage tests: PostgreSQL, MariaDB (MySQL) and Redis.

Each server runs from local binaries in its own temporary directory on a free loopback port and
is stopped when the test session ends (or, for a server a storage factory started outside any
fixture, when the process exits). Nothing is mocked: the tests talk to the same servers users
run. The servers themselves are in ``_server_postgresql.py``, ``_server_mysql.py`` and
``_server_redis.py``.

When a server cannot start (binaries missing, port trouble), tests that need it are skipped
with the reason, except under ``CI=true``, where a missing server is a failure: CI installs
the binaries (``apt-get install postgresql mariadb-server redis-server``) and must not pass by
skipping.

Outside pytest (a benchmark script), start a server with ``PostgreSQLServer.start()``,
``MySQLServer.start()`` or ``RedisServer.start()`` and stop it with ``stop()``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.storages._server_common import ServerUnavailableError, free_port
from tests.storages._server_mysql import MySQLServer
from tests.storages._server_postgresql import PostgreSQLServer
from tests.storages._server_redis import RedisServer

__all__ = [
    "MySQLServer",
    "PostgreSQLServer",
    "RedisServer",
    "ServerUnavailableError",
    "free_port",
    "unavailable",
]

Server = PostgreSQLServer | MySQLServer | RedisServer


def unavailable(reason: str) -> None:
    """Skip the current test for ``reason``, or fail it when the environment is CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a missing server is a failure)", pytrace=False)
    pytest.skip(reason)


# -- one server of each kind per process --------------------------------------------------------

# Registry of the servers this process started, by kind; the session fixtures and the storage
# contract's factories (which get no fixtures) share them, so each starts once per process.
_SHARED: dict[str, Server] = {}
# Why a server could not start, by kind, so later tests skip at once instead of retrying.
_FAILED: dict[str, str] = {}


def shared_postgresql() -> PostgreSQLServer:
    """This process's PostgreSQL server, started on first use; skips (fails on CI) if it can't."""
    server = _shared("postgresql", PostgreSQLServer.start)
    assert isinstance(server, PostgreSQLServer)
    return server


def shared_mysql() -> MySQLServer:
    """This process's MariaDB server, started on first use; skips (fails on CI) if it can't."""
    server = _shared("mysql", MySQLServer.start)
    assert isinstance(server, MySQLServer)
    return server


def shared_redis() -> RedisServer:
    """This process's Redis server, started on first use; skips (fails on CI) if it can't."""
    server = _shared("redis", RedisServer.start)
    assert isinstance(server, RedisServer)
    return server


def _shared(kind: str, start: Callable[[], Server]) -> Server:
    if kind in _FAILED:
        unavailable(_FAILED[kind])
    server = _SHARED.get(kind)
    if server is None or server.stopped:
        try:
            server = start()
        except ServerUnavailableError as error:
            _FAILED[kind] = f"{kind} server unavailable: {error}"
            unavailable(_FAILED[kind])
        assert server is not None
        _SHARED[kind] = server
    return server


def new_postgresql_url() -> str:
    """The URL of a new empty database on this process's PostgreSQL server.

    For storage factories that take no fixtures, e.g. in the storage contract suite:
    ``lambda directory: RDBStorage(new_postgresql_url())``.
    """
    return shared_postgresql().create_database("contract", with_schema=True)


def new_mysql_url() -> str:
    """The URL of a new empty database on this process's MariaDB server."""
    return shared_mysql().create_database("contract")


def new_redis_backend_args() -> dict[str, str]:
    """``url`` and ``prefix`` of an empty journal on this process's Redis server.

    For storage factories that take no fixtures:
    ``lambda directory: JournalStorage(JournalRedisBackend(**new_redis_backend_args()))``.
    """
    return {"url": shared_redis().url(), "prefix": f"test-{uuid.uuid4().hex}:"}


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _stop_shared_servers() -> Iterator[None]:
    """Stop, at the end of the session, every server this process started.

    ``atexit`` alone is not enough: pytest-xdist workers may end without running it, and a
    PostgreSQL server (a daemon) would outlive them.
    """
    yield
    for server in list(_SHARED.values()):
        server.stop()
    _SHARED.clear()


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgreSQLServer]:
    """The session's PostgreSQL server, stopped at the end of the session."""
    server = shared_postgresql()
    yield server
    server.stop()


@pytest.fixture
def postgresql_url(postgresql_server: PostgreSQLServer) -> str:
    """The URL of a new empty database for one test."""
    return postgresql_server.create_database("test")


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[MySQLServer]:
    """The session's MariaDB server, stopped at the end of the session."""
    server = shared_mysql()
    yield server
    server.stop()


@pytest.fixture
def mysql_url(mysql_server: MySQLServer) -> str:
    """The URL of a new empty database for one test."""
    return mysql_server.create_database("test")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis server, stopped at the end of the session."""
    server = shared_redis()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of an emptied Redis database for one test."""
    import redis

    client = redis.Redis.from_url(redis_server.url())
    client.flushdb()
    client.close()
    return redis_server.url()
