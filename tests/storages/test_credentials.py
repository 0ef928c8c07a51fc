"""Passwords of storage URLs never reach an error message, a repr or a log line.

Each case opens a storage with a URL that holds a secret and fails (a driver that is not
installed, an unknown dialect, a bad port, an unreachable host, a wrong password against the
real servers of ``servers.py``), then looks for the secret in the exception's str and repr, in
every exception of its cause/context chain, in the warnings and in tansaku's log records.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tansaku
from tansaku.storages import RDBStorage, get_storage
from tansaku.storages.journal import JournalRedisBackend, JournalStorage
from tests.storages.servers import MySQLServer, PostgreSQLServer, RedisServer

SECRET = "S3CRET-pw"
REPO = Path(__file__).resolve().parents[2]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(message)s").format(record))


@pytest.fixture
def tansaku_log() -> Iterator[list[str]]:
    """Every line tansaku logs during the test, formatted with its traceback."""
    root = logging.getLogger("tansaku")
    handler, level = _Records(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and all(link is not seen for seen in chain):
        chain.append(link)
        orig = getattr(link, "orig", None)  # SQLAlchemy's copy of the driver's error
        if isinstance(orig, BaseException):
            chain.append(orig)
        link = link.__cause__ or link.__context__
    return chain


def _assert_secret_hidden(
    error: BaseException, log: list[str], secrets: tuple[str, ...] = (SECRET,)
) -> None:
    for link in _chain(error):
        for text in (str(link), repr(link)):
            for secret in secrets:
                assert secret not in text, f"{type(link).__name__} quotes the password: {text}"
    for line in log:
        for secret in secrets:
            assert secret not in line, f"a log line quotes the password: {line}"


def _fails(call: Callable[[], object]) -> BaseException:
    with _NoLeakingWarnings():
        try:
            call()
        except Exception as error:
            return error
    raise AssertionError("the call did not fail")


class _NoLeakingWarnings:
    """Fails the test if a warning raised inside the block quotes the secret."""

    def __enter__(self) -> None:
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc_info: object) -> None:
        self._catcher.__exit__(*exc_info)
        for warning in self._caught:
            assert SECRET not in str(warning.message)


# -- URLs that fail before or while connecting, no server needed --------------------------------

_FAILING_URLS = {
    "driver not installed": f"postgresql+pg8000://admin:{SECRET}@nohost/db",
    "unknown driver": f"postgresql+nodriver://admin:{SECRET}@nohost/db",
    "unknown dialect": f"nodialect://admin:{SECRET}@nohost/db",
    "redis url as rdb storage": f"redis://:{SECRET}@127.0.0.1:1/0",
    "not a url": f"admin:{SECRET}@nohost/db",
    "bad port": f"postgresql+psycopg://admin:{SECRET}@127.0.0.1:notaport/db",
    "unclosed ipv6 host": f"postgresql+psycopg://admin:{SECRET}@[::1/db",
    "unreachable postgresql": f"postgresql+psycopg://admin:{SECRET}@127.0.0.1:1/db",
    "unreachable mysql": f"mysql+pymysql://admin:{SECRET}@127.0.0.1:1/db",
    "password query argument": f"postgresql+psycopg://admin@127.0.0.1:1/db?password={SECRET}",
    "password query argument, upper case": f"mysql+pymysql://admin@127.0.0.1:1/db?PASSWD={SECRET}",
    "unencodable password quoted by the driver": f"mysql+pymysql://admin:{SECRET}中@127.0.0.1:1/db",
}


@pytest.mark.parametrize("url", list(_FAILING_URLS.values()), ids=list(_FAILING_URLS))
def test_failing_storage_url_does_not_show_its_password(url: str, tansaku_log: list[str]) -> None:
    error = _fails(lambda: tansaku.create_study(storage=url))
    _assert_secret_hidden(error, tansaku_log)
    error = _fails(lambda: get_storage(url))
    _assert_secret_hidden(error, tansaku_log)


def test_password_with_an_unescaped_at_sign_is_hidden_whole(tansaku_log: list[str]) -> None:
    # SQLAlchemy reads the password up to the first '@'; its hide_password shows the rest.
    error = _fails(lambda: RDBStorage(f"postgresql+pg8000://admin:{SECRET}@tail-part@nohost/db"))
    _assert_secret_hidden(error, tansaku_log, (SECRET, "tail-part"))
    assert "nohost" in str(error)  # the rest of the URL still helps


def test_message_of_a_missing_driver_keeps_the_url_without_its_password() -> None:
    error = _fails(lambda: RDBStorage(f"postgresql+pg8000://admin:{SECRET}@nohost/db"))
    assert isinstance(error, ImportError)
    assert "postgresql+pg8000://admin:***@nohost/db" in str(error)
    assert "pg8000" in str(error)


def test_default_driver_that_cannot_be_imported_does_not_show_the_password() -> None:
    # The driver SQLAlchemy picks for postgresql:// (psycopg here) is blocked from importing.
    script = (
        "import sys\n"
        "sys.modules['psycopg'] = None\n"
        "sys.modules['psycopg2'] = None\n"
        "import tansaku\n"
        "try:\n"
        f"    tansaku.create_study(storage='postgresql://admin:{SECRET}@nohost/db')\n"
        "except ImportError as error:\n"
        "    link = error\n"
        "    while link is not None:\n"
        "        print(type(link).__name__, str(link), repr(link))\n"
        "        link = link.__cause__ or link.__context__\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "ImportError" in result.stdout and "admin:***@nohost" in result.stdout
    assert SECRET not in result.stdout + result.stderr


# -- Redis URLs ---------------------------------------------------------------------------------

_FAILING_REDIS_URLS = {
    "password only, unreachable": f"redis://:{SECRET}@127.0.0.1:1/0",
    "user and password, tls, unreachable": f"rediss://user:{SECRET}@127.0.0.1:1/0",
    "password query argument": f"redis://127.0.0.1:1/0?password={SECRET}",
    "bad port": f"redis://:{SECRET}@127.0.0.1:notaport/0",
    "unknown scheme": f"redix://:{SECRET}@127.0.0.1:1/0",
}


@pytest.mark.parametrize("url", list(_FAILING_REDIS_URLS.values()), ids=list(_FAILING_REDIS_URLS))
def test_failing_redis_url_does_not_show_its_password(url: str, tansaku_log: list[str]) -> None:
    error = _fails(lambda: JournalStorage(JournalRedisBackend(url)))
    _assert_secret_hidden(error, tansaku_log)


def test_redis_backend_repr_hides_the_password() -> None:
    backend = JournalRedisBackend(f"rediss://user:{SECRET}@127.0.0.1:1/0?password={SECRET}")
    assert SECRET not in repr(backend)
    assert "rediss://user:***@127.0.0.1:1/0" in repr(backend)


# -- wrong passwords against the real servers ---------------------------------------------------


def test_wrong_postgresql_password_does_not_show_it(
    postgresql_server: PostgreSQLServer, tansaku_log: list[str]
) -> None:
    import sqlalchemy.exc

    url = postgresql_server.password_url(SECRET)
    error = _fails(lambda: tansaku.create_study(storage=url))
    # The driver's error keeps its type (and so its handlers), with the password masked.
    assert isinstance(error, sqlalchemy.exc.OperationalError)
    assert "password authentication failed" in str(error)
    _assert_secret_hidden(error, tansaku_log)


def test_wrong_mysql_password_does_not_show_it(
    mysql_server: MySQLServer, tansaku_log: list[str]
) -> None:
    import sqlalchemy.exc

    url = mysql_server.password_url(SECRET)
    error = _fails(lambda: tansaku.create_study(storage=url))
    assert isinstance(error, sqlalchemy.exc.OperationalError)
    assert "Access denied" in str(error)
    _assert_secret_hidden(error, tansaku_log)


def test_wrong_redis_password_does_not_show_it(
    redis_server: RedisServer, tansaku_log: list[str]
) -> None:
    import redis

    url = redis_server.password_url(SECRET)
    error = _fails(lambda: JournalStorage(JournalRedisBackend(url)))
    assert isinstance(error, redis.exceptions.AuthenticationError)
    _assert_secret_hidden(error, tansaku_log)


def test_open_postgresql_storage_shows_no_password_in_reprs_nor_later_errors(
    postgresql_server: PostgreSQLServer, tansaku_log: list[str]
) -> None:
    database = postgresql_server.create_database("credentials")
    url = postgresql_server.password_url(SECRET, database.rsplit("/", 1)[1], right=True)
    storage = RDBStorage(url)
    study = tansaku.create_study(storage=storage, study_name="s")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    for text in (repr(storage), repr(storage.engine), repr(study), str(storage.engine.url)):
        assert SECRET not in text
    error = _fails(lambda: tansaku.load_study(study_name="missing", storage=storage))
    _assert_secret_hidden(error, tansaku_log)


# -- log lines ----------------------------------------------------------------------------------


def test_log_lines_mask_urls_and_quoted_passwords(tansaku_log: list[str]) -> None:
    # The password of a storage opened in this process is known, wherever a line quotes it.
    _fails(lambda: RDBStorage(f"postgresql+pg8000://admin:{SECRET}@nohost/db"))
    logger = tansaku.logging.get_logger("tansaku.storages.test")
    logger.info(f"connecting to postgresql://admin:{SECRET}@db.example/prod")
    logger.info("connecting with %s", f"host=db.example password={SECRET} user=admin")
    logger.warning(f"the driver said: bad password {SECRET!r}")
    try:
        raise RuntimeError(f"connection to redis://:{SECRET}@db.example:6379/0 refused")
    except RuntimeError:
        logger.exception("heartbeat failed")
    assert len(tansaku_log) == 4
    assert "postgresql://admin:***@db.example/prod" in tansaku_log[0]
    assert "password=***" in tansaku_log[1]
    assert "redis://:***@db.example:6379/0" in tansaku_log[3]
    _assert_secret_hidden(RuntimeError(), tansaku_log)
