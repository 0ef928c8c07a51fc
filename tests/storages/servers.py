"""Real database servers for the storage tests: PostgreSQL and Redis started from local binaries.

Each server runs in its own temporary directory on a free loopback port and is stopped when the
test session ends (or, for a server a storage factory started outside any fixture, when the
process exits). Nothing is mocked: the tests talk to the same servers users run.

When a server cannot start (binaries missing, port trouble), tests that need it are skipped
with the reason, except under ``CI=true``, where a missing server is a failure: CI installs
the binaries (``apt-get install postgresql redis-server``) and must not pass by skipping.

PostgreSQL refuses to run as root. Run by root, the server runs as the ``postgres`` system
user (which the Debian package creates) in a directory owned by it; run by anyone else, it
runs as that user.

Outside pytest (a benchmark script), start a server with :meth:`PostgreSQLServer.start` or
:meth:`RedisServer.start` and stop it with ``stop()``.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Seconds to wait for a server to accept connections before declaring it failed.
_START_TIMEOUT_S = 30.0
# Attempts at starting a server: another process may take the free port we picked first.
_START_ATTEMPTS = 3


class ServerUnavailableError(RuntimeError):
    """A server could not be started here (the message says why)."""


def unavailable(reason: str) -> None:
    """Skip the current test for ``reason``, or fail it when the environment is CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a missing server is a failure)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes] | None, what: str) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerUnavailableError(f"{what} exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerUnavailableError(f"{what} did not accept connections within {_START_TIMEOUT_S}s")


# -- PostgreSQL ---------------------------------------------------------------------------------


def _postgresql_bin_dir() -> Path:
    """The directory of initdb/pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("initdb")
    if on_path is not None and shutil.which("pg_ctl") is not None:
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
        reverse=True,
    )
    if not candidates:
        raise ServerUnavailableError(
            "PostgreSQL binaries not found (no initdb on PATH nor in /usr/lib/postgresql/*/bin);"
            " install them with `apt-get install postgresql`"
        )
    return Path(candidates[0]).parent


def _server_account() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailableError(
            "running as root, and there is no 'postgres' user to run PostgreSQL as"
        ) from None
    return account.pw_uid, account.pw_gid


@dataclass
class PostgreSQLServer:
    """A PostgreSQL server in ``directory`` listening on 127.0.0.1:``port``.

    Its superuser ``postgres`` connects without a password (trust authentication, loopback
    only). ``durable=False`` (the tests' default) turns fsync off: the tests check behaviour,
    not crash safety, and this keeps creating databases cheap.
    """

    directory: Path
    port: int
    bin_dir: Path
    account: tuple[int, int] | None
    user: str = "postgres"
    stopped: bool = field(default=False, init=False)
    schema_template: str = field(default="", init=False)

    @classmethod
    def start(cls, directory: Path | None = None, durable: bool = False) -> PostgreSQLServer:
        """Create a cluster in ``directory`` (a new temporary one by default) and start it.

        Raises:
            ServerUnavailableError: the binaries are missing or the server did not start.
        """
        bin_dir = _postgresql_bin_dir()
        account = _server_account()
        if directory is None:
            # Not under pytest's tmp_path: that is private to root, and the server may run as
            # the postgres user, which must reach its directory.
            directory = Path(tempfile.mkdtemp(prefix="tansaku-pg-"))
        directory.mkdir(parents=True, exist_ok=True)
        if account is not None:
            os.chown(directory, *account)
        data = directory / "data"
        _run_as(
            account,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )
        settings = ["-c", "listen_addresses=127.0.0.1", "-k", str(directory)]
        if not durable:
            settings += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        last_error = ""
        for _ in range(_START_ATTEMPTS):
            port = free_port()
            try:
                _run_as(
                    account,
                    [
                        str(bin_dir / "pg_ctl"),
                        "start",
                        "-w",
                        "-t",
                        str(int(_START_TIMEOUT_S)),
                        "-D",
                        str(data),
                        "-l",
                        str(directory / "server.log"),
                        "-o",
                        " ".join(["-p", str(port), *settings]),
                    ],
                )
            except ServerUnavailableError as error:
                last_error = str(error)
                continue
            server = cls(directory=directory, port=port, bin_dir=bin_dir, account=account)
            atexit.register(server.stop)
            return server
        log = directory / "server.log"
        tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
        raise ServerUnavailableError(f"PostgreSQL did not start: {last_error}\n{tail}")

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "db", with_schema: bool = False) -> str:
        """Create a new database and return its URL.

        Args:
            prefix: The start of the database's name (the rest is random).
            with_schema: Copy it from a template holding the tables a new RDBStorage creates
                (a copy costs a third of creating the tables), else create it empty.
        """
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        template = ""
        if with_schema:
            if not self.schema_template:
                self._create_schema_template()
            template = f' TEMPLATE "{self.schema_template}"'
        # CREATE DATABASE takes no bound names; these are made of [a-z0-9_] here.
        self._execute(f'CREATE DATABASE "{name}"{template}')
        return self.url(name)

    def _create_schema_template(self) -> None:
        from tansaku.storages._rdb import RDBStorage

        name = "tansaku_schema_template"
        self._execute(f'CREATE DATABASE "{name}"')
        storage = RDBStorage(self.url(name))
        # A template must have no open connections while it is copied.
        storage.engine.dispose()
        self.schema_template = name

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if self.stopped:
            return
        self.stopped = True
        try:
            _run_as(
                self.account,
                [
                    str(self.bin_dir / "pg_ctl"),
                    "stop",
                    "-m",
                    "fast",
                    "-D",
                    str(self.directory / "data"),
                ],
            )
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def _run_as(account: tuple[int, int] | None, command: list[str]) -> None:
    kwargs: dict[str, object] = {}
    if account is not None:
        kwargs = {"user": account[0], "group": account[1], "extra_groups": []}
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            timeout=_START_TIMEOUT_S + 30,
            cwd="/",
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServerUnavailableError(f"{command[0]} failed: {error}") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace")[-1500:]
        raise ServerUnavailableError(f"{Path(command[0]).name} failed: {output}")


# -- Redis --------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A redis-server in ``directory`` on 127.0.0.1:``port``, without persistence."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes]
    stopped: bool = field(default=False, init=False)

    @classmethod
    def start(cls, directory: Path | None = None) -> RedisServer:
        """Start redis-server in ``directory`` (a new temporary one by default).

        Raises:
            ServerUnavailableError: the binary is missing or the server did not start.
        """
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(binary):
            raise ServerUnavailableError(
                "redis-server not found; install it with `apt-get install redis-server`"
            )
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="tansaku-redis-"))
        directory.mkdir(parents=True, exist_ok=True)
        last_error = ""
        for _ in range(_START_ATTEMPTS):
            port = free_port()
            log = (directory / "server.log").open("ab")
            process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(directory),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=directory,
            )
            log.close()
            try:
                _wait_for_port(port, process, "redis-server")
            except ServerUnavailableError as error:
                last_error = str(error)
                process.kill()
                process.wait()
                continue
            server = cls(directory=directory, port=port, process=process)
            atexit.register(server.stop)
            return server
        tail = (directory / "server.log").read_text(errors="replace")[-1500:]
        raise ServerUnavailableError(f"redis-server did not start: {last_error}\n{tail}")

    def url(self, db: int = 0) -> str:
        """The ``redis://`` URL of database ``db`` on this server."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if self.stopped:
            return
        self.stopped = True
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- one server of each kind per process --------------------------------------------------------

# Registry of the servers this process started, by kind; the session fixtures and the storage
# contract's factories (which get no fixtures) share them, so each starts once per process.
_SHARED: dict[str, PostgreSQLServer | RedisServer] = {}
# Why a server could not start, by kind, so later tests skip at once instead of retrying.
_FAILED: dict[str, str] = {}


def shared_postgresql() -> PostgreSQLServer:
    """This process's PostgreSQL server, started on first use; skips (fails on CI) if it can't."""
    server = _shared("postgresql", PostgreSQLServer.start)
    assert isinstance(server, PostgreSQLServer)
    return server


def shared_redis() -> RedisServer:
    """This process's Redis server, started on first use; skips (fails on CI) if it can't."""
    server = _shared("redis", RedisServer.start)
    assert isinstance(server, RedisServer)
    return server


def _shared(
    kind: str, start: Callable[[], PostgreSQLServer | RedisServer]
) -> PostgreSQLServer | RedisServer:
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


def new_redis_backend_args() -> dict[str, str]:
    """``url`` and ``prefix`` of an empty journal on this process's Redis server.

    For storage factories that take no fixtures:
    ``lambda directory: JournalStorage(JournalRedisBackend(**new_redis_backend_args()))``.
    """
    return {"url": shared_redis().url(), "prefix": f"test-{uuid.uuid4().hex}:"}


# -- fixtures -----------------------------------------------------------------------------------


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
