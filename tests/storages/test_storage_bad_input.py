"""Bad input to the persistent storages: odd study names, malformed URLs, unreachable servers,
databases that are not ours. Each gets a clear error, or is stored and read back exactly, and
the study already in the storage is left as it was.

Bad input that concerns one backend only is tested next to it (``test_rdb_sqlite.py``,
``test_rdb_postgresql.py``, ``test_rdb_mysql.py``, ``test_journal_file.py``); this module holds
what is shared across backends. Servers come from the fixtures of ``servers.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

import tansaku
from tansaku.samplers import RandomSampler
from tansaku.storages import BaseStorage, JournalStorage, RDBStorage
from tansaku.storages._rdb import _schema
from tansaku.storages._rdb._engine import make_engine
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend
from tansaku.study import StudyDirection
from tests.storages.servers import free_port

RDB_BACKENDS = ["sqlite", "postgresql", "mysql"]
JOURNAL_BACKENDS = ["journal_file", "journal_redis"]

LONG_NAME = "n" * 10_000
ODD_NAMES = {
    "quotes_and_sql": 'x\'); DROP TABLE studies; -- "quoted" `tick` \\ %s %(x)s {0}',
    "control_characters": "line one\nline two\r\n\ttabbed\u2028end",
    "unicode": "名前 🙂 Ω café \u200b\u202eltr",
}
# Trials of the study that every test puts in the storage first: three finished, one running.
EXISTING_TRIALS = 4

# Opens a new storage object on the same data each time it is called, as another process would.
Opener = Callable[[], BaseStorage]


def _rdb_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    url = request.getfixturevalue(f"{backend}_url")
    assert isinstance(url, str)
    return url


def _journal_opener(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    if backend == "journal_file":
        path = str(tmp_path / "journal.log")
        return lambda: JournalStorage(JournalFileBackend(path))
    url = request.getfixturevalue("redis_url")
    return lambda: JournalStorage(JournalRedisBackend(url, prefix="bad-input"))


@pytest.fixture(params=RDB_BACKENDS)
def rdb_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of each RDB backend."""
    return _rdb_url(request.param, request, tmp_path)


@pytest.fixture(params=JOURNAL_BACKENDS)
def open_journal(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens an empty journal of each journal backend."""
    return _journal_opener(request.param, request, tmp_path)


@pytest.fixture(params=RDB_BACKENDS + JOURNAL_BACKENDS)
def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens an empty storage of each persistent backend."""
    if request.param in RDB_BACKENDS:
        url = _rdb_url(request.param, request, tmp_path)
        return lambda: RDBStorage(url)
    return _journal_opener(request.param, request, tmp_path)


# -- helpers ------------------------------------------------------------------------------------


def _add_existing_study(storage: BaseStorage) -> list[tuple[object, ...]]:
    """Put the study "existing" in ``storage``; return its trials as ``_existing`` reads them."""
    study = tansaku.create_study(
        study_name="existing", storage=storage, sampler=RandomSampler(seed=0)
    )

    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        trial.suggest_categorical("kind", ["a", "b"])
        trial.report(x, step=0)
        trial.set_user_attr("note", "kept")
        return x**2

    study.optimize(objective, n_trials=EXISTING_TRIALS - 1)
    study.ask()
    trials = _existing(storage)
    assert len(trials) == EXISTING_TRIALS
    return trials


def _existing(storage: BaseStorage) -> list[tuple[object, ...]]:
    """The trials of the study "existing": everything a failed call must leave as it was."""
    study_id = storage.get_study_id_from_name("existing")
    return [
        (t.number, t.state, t.params, t.values, t.intermediate_values, t.user_attrs)
        for t in storage.get_all_trials(study_id)
    ]


def _assert_name_round_trips(open_storage: Opener, name: str) -> None:
    existing = _add_existing_study(open_storage())
    study = tansaku.create_study(study_name=name, storage=open_storage())
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)

    fresh = open_storage()
    study_id = fresh.get_study_id_from_name(name)
    assert fresh.get_study_name_from_id(study_id) == name
    assert sorted(s.study_name for s in fresh.get_all_studies()) == sorted(["existing", name])
    assert len(tansaku.load_study(study_name=name, storage=fresh).trials) == 2
    assert _existing(fresh) == existing


# -- study names --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ODD_NAMES.values()), ids=list(ODD_NAMES))
def test_study_name_with_quotes_sql_control_characters_or_unicode_reads_back_exactly(
    open_storage: Opener, name: str
) -> None:
    _assert_name_round_trips(open_storage, name)


def test_study_name_of_10000_characters_is_kept_by_the_journal_and_replayed_exactly(
    open_journal: Opener,
) -> None:
    _assert_name_round_trips(open_journal, LONG_NAME)


def test_study_name_of_10000_characters_is_refused_by_rdb_and_nothing_changes(
    rdb_url: str,
) -> None:
    existing = _add_existing_study(RDBStorage(rdb_url))
    storage = RDBStorage(rdb_url)
    message = "study_name of 10000 characters is too long"
    with pytest.raises(ValueError, match=message):
        storage.create_new_study([StudyDirection.MINIMIZE], LONG_NAME)
    with pytest.raises(ValueError, match=message):
        tansaku.create_study(study_name=LONG_NAME, storage=rdb_url)
    with pytest.raises(KeyError):
        tansaku.load_study(study_name=LONG_NAME, storage=rdb_url)
    fresh = RDBStorage(rdb_url)
    assert [s.study_name for s in fresh.get_all_studies()] == ["existing"]
    assert _existing(fresh) == existing


def test_param_name_or_attr_key_of_10000_characters_is_refused_by_rdb_and_the_trial_kept(
    rdb_url: str,
) -> None:
    existing = _add_existing_study(RDBStorage(rdb_url))
    storage = RDBStorage(rdb_url)
    running = storage.get_all_trials(storage.get_study_id_from_name("existing"))[-1]
    with pytest.raises(ValueError, match="param_name of 10000 characters is too long"):
        storage.set_trial_param(
            running._trial_id, LONG_NAME, 0.5, tansaku.distributions.FloatDistribution(0, 1)
        )
    with pytest.raises(ValueError, match="key of 10000 characters is too long"):
        storage.set_trial_user_attr(running._trial_id, LONG_NAME, "value")
    assert _existing(RDBStorage(rdb_url)) == existing


# -- URLs and servers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "open_url",
    [RDBStorage, lambda url: tansaku.create_study(storage=url)],
    ids=["RDBStorage", "create_study"],
)
@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg//user@host/db",
        "mysql+pymysql:/root@host/db",
        "postgresql+psycopg://user@host:notaport/db",
        "mysql+pymysql://:::",
        "mysql+pymysql://root@127.0.0.1:1:2/db",
        "postgresql+nosuchdriver://user@host/db",
        "not a url at all",
        "",
    ],
)
def test_malformed_url_raises_value_error_naming_it_and_creates_nothing(
    open_url: Callable[[str], object],
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=re.escape(repr(url))):
        open_url(url)
    assert list(tmp_path.iterdir()) == []


def test_storage_url_of_an_unsupported_scheme_raises_naming_the_scheme() -> None:
    with pytest.raises(ValueError, match="'redis' is not supported"):
        tansaku.create_study(storage="redis://127.0.0.1:6379/0")
    with pytest.raises(ValueError, match=r"does not know \('redis'\)"):
        RDBStorage("redis://127.0.0.1:6379/0")


@pytest.mark.parametrize(
    ("name", "message"), [("nul\x00inside", "NUL character"), ("lone \ud800", "lone surrogate")]
)
def test_name_no_database_stores_exactly_is_refused_by_rdb_and_nothing_changes(
    rdb_url: str, name: str, message: str
) -> None:
    storage = RDBStorage(rdb_url)
    existing = _add_existing_study(storage)
    with pytest.raises(ValueError, match=message):
        storage.create_new_study([StudyDirection.MINIMIZE], name)
    trial_id = storage.get_all_trials(storage.get_study_id_from_name("existing"))[-1]._trial_id
    with pytest.raises(ValueError, match=message):
        storage.set_trial_user_attr(trial_id, name, 1)
    assert [s.study_name for s in storage.get_all_studies()] == ["existing"]
    assert _existing(RDBStorage(rdb_url)) == existing


def test_unreachable_redis_raises_naming_the_address_within_seconds() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(redis.ConnectionError, match=f"127.0.0.1:{port}"):
        JournalStorage(JournalRedisBackend(f"redis://127.0.0.1:{port}/0", prefix="p"))
    assert time.monotonic() - started < 5.0


# -- databases and files that are not ours -----------------------------------------------------


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("v9.0.0.a", "newer tansaku or Optuna"),
        ("v3.0.0.d", "older than"),
        ("v2.6.0.a", "older than"),
    ],
)
def test_database_of_another_schema_version_is_refused_untouched(
    rdb_url: str, revision: str, message: str
) -> None:
    existing = _add_existing_study(RDBStorage(rdb_url))
    engine = make_engine(rdb_url, {}, durable_commits=False)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    with pytest.raises(RuntimeError, match=message):
        RDBStorage(rdb_url)
    with pytest.raises(RuntimeError, match=message):
        tansaku.load_study(study_name="existing", storage=rdb_url)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (revision,)
        ]
        connection.execute(
            text("UPDATE alembic_version SET version_num = :r"), {"r": _schema.HEAD_REVISION}
        )
    engine.dispose()
    assert _existing(RDBStorage(rdb_url)) == existing


def test_database_of_another_application_is_refused_untouched(rdb_url: str) -> None:
    engine = make_engine(rdb_url, {}, durable_commits=False)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE studies (id INTEGER PRIMARY KEY, title TEXT)"))
        connection.execute(text("INSERT INTO studies (id, title) VALUES (7, 'theirs')"))
    with pytest.raises(RuntimeError, match="not a tansaku or Optuna storage database"):
        RDBStorage(rdb_url)
    with engine.begin() as connection:
        assert inspect(connection).get_table_names() == ["studies"]
        assert connection.execute(text("SELECT id, title FROM studies")).all() == [(7, "theirs")]
    engine.dispose()


def test_journal_file_opened_as_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    existing = _add_existing_study(JournalStorage(JournalFileBackend(str(path))))
    content = path.read_bytes()
    with pytest.raises(DatabaseError, match="file is not a database"):
        RDBStorage(f"sqlite:///{path}")
    assert path.read_bytes() == content
    assert list(tmp_path.iterdir()) == [path]
    assert _existing(JournalStorage(JournalFileBackend(str(path)))) == existing


@pytest.mark.parametrize(
    "content",
    [
        b"shopping list",
        b'{\n  "a": 1\n}\n',
        b"SQLite format 3\x00" + bytes(200),
        b'["op_code", 0]\n',
    ],
    ids=["one-line-text", "pretty-json", "sqlite-header", "json-not-a-record"],
)
def test_file_that_is_not_a_journal_is_refused_and_left_unchanged(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "not-a-journal"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a journal"):
        JournalStorage(JournalFileBackend(str(path)))
    assert path.read_bytes() == content


def test_journal_whose_first_record_was_torn_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    path.write_bytes(b'{"op_code": 0, "worker_id": "dead", "study_')
    storage = JournalStorage(JournalFileBackend(str(path)))  # the torn record is being written
    with pytest.warns(RuntimeWarning, match="torn"):
        study_id = storage.create_new_study([StudyDirection.MINIMIZE], "after-the-tear")
    with pytest.warns(RuntimeWarning, match="torn"):
        reopened = JournalStorage(JournalFileBackend(str(path)))
    assert reopened.get_study_name_from_id(study_id) == "after-the-tear"
