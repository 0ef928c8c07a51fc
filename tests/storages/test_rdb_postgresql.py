"""RDBStorage on a real PostgreSQL server: Optuna's databases, isolation, bad input.

Many workers and dead workers on PostgreSQL are in ``test_many_workers.py``.

The server comes from the ``postgresql_server`` fixture (tests/storages/servers.py); each test
gets a new database. The Optuna-written database is produced by Optuna 5.0 from the benchmark
environment (``make bench-env``) against the test server, inside the test.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.storages._rdb import RDBStorage, _schema
from tansaku.study import StudyDirection
from tansaku.trial import TrialState
from tests.storages._optuna_fixtures import FIXTURES, dump, normalize

REPO = Path(__file__).resolve().parents[2]
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
N_WORKERS = 8
TRIALS_PER_WORKER = 250

_OPEN_RDB = (
    "from tansaku.storages._rdb import RDBStorage\n"
    "def open_storage(where, **kw):\n    return RDBStorage(where, **kw)\n"
)

# Runs in the benchmark environment: Optuna 5.0 fills the database with the fixture script's
# studies and prints what it reads back.
_OPTUNA_FILL = """
import json, sys
sys.path.insert(0, sys.argv[2])
import make_optuna_fixtures as fixtures
from optuna.storages import RDBStorage
storage = RDBStorage(sys.argv[1])
fixtures.fill(storage)
print(json.dumps(fixtures.dump(storage)))
"""


@pytest.fixture
def optuna_url(postgresql_url: str) -> tuple[str, dict[str, object]]:
    """A database that Optuna 5.0 wrote, and what Optuna read back from it."""
    probe = subprocess.run(
        [str(BENCH_PYTHON), "-c", "import optuna, psycopg"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(
            "needs Optuna 5.0 and psycopg in the benchmark environment (make bench-env): "
            + probe.stderr.decode(errors="replace")[-200:]
        )
    result = subprocess.run(
        [str(BENCH_PYTHON), "-c", _OPTUNA_FILL, postgresql_url, str(FIXTURES)],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return postgresql_url, json.loads(result.stdout)


def test_database_written_by_optuna_reads_as_optuna_read_it(
    optuna_url: tuple[str, dict[str, object]],
) -> None:
    url, optuna_read = optuna_url
    assert normalize(dump(RDBStorage(url))) == normalize(optuna_read)  # type: ignore[arg-type]


def test_study_written_by_optuna_continues_with_dense_numbers(
    optuna_url: tuple[str, dict[str, object]],
) -> None:
    url, _ = optuna_url
    study = tansaku.load_study(study_name="single", storage=RDBStorage(url))
    study.optimize(lambda t: t.suggest_float("x", -5.0, 5.0) ** 2, n_trials=3)
    assert [t.number for t in study.trials] == list(range(9))
    assert study.trials[5].params == {"x": 1.5}
    assert study.trials[5].state is TrialState.RUNNING
    assert all(t.state is TrialState.COMPLETE for t in study.trials[6:])
    with RDBStorage(url).engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (_schema.HEAD_REVISION,)
        ]


def test_commits_are_asynchronous_unless_durable_commits(postgresql_url: str) -> None:
    for durable, expected in ((False, "off"), (True, "on")):
        storage = RDBStorage(postgresql_url, durable_commits=durable)
        with storage.engine.connect() as connection:
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == expected
        storage.remove_session()


def test_study_name_with_quotes_and_sql_is_stored_and_read_back(postgresql_url: str) -> None:
    storage = RDBStorage(postgresql_url)
    name = 'x\'); DROP TABLE studies; -- "quoted" 名前 \\ %s %(x)s'
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], name)
    assert storage.get_study_id_from_name(name) == study_id
    assert storage.get_study_name_from_id(study_id) == name


def test_unreachable_server_raises_naming_the_address() -> None:
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError, match="127.0.0.1.*port 1 failed"):
        RDBStorage("postgresql://postgres@127.0.0.1:1/nothing")


def test_reader_never_sees_a_trial_half_written_while_writers_create_trials(
    postgresql_url: str,
) -> None:
    # Under READ COMMITTED a read spanning several tables could meet a trial in one table
    # and not in the next; reads must take one snapshot.
    storage = RDBStorage(postgresql_url)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE])
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for i in range(60):
                trial_id = storage.create_new_trial(study_id)
                storage.set_trial_param(trial_id, "x", float(i), FloatDistribution(0, 100))
                storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [float(i)])
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def read() -> None:
        reader = RDBStorage(postgresql_url)
        try:
            while not done.is_set():
                trials = reader.get_all_trials(study_id, deepcopy=False)
                assert [t.number for t in trials] == list(range(len(trials)))
        except BaseException as error:
            errors.append(error)

    writers = [threading.Thread(target=write) for _ in range(3)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in [*writers, *readers]:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert storage.get_n_trials(study_id, TrialState.COMPLETE) == 180


def test_connection_closed_by_the_server_while_idle_is_replaced(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tansaku.storages._rdb import _engine

    monkeypatch.setattr(_engine, "IDLE_PING_S", 0.05)
    storage = RDBStorage(postgresql_url)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "idle")
    storage.create_new_trial(study_id)
    # The server ends every other session, as a restart or an idle timeout would.
    killer = RDBStorage(postgresql_url)
    with killer.engine.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    killer.engine.dispose()
    assert ended and ended >= 1
    threading.Event().wait(0.1)  # idle for longer than IDLE_PING_S: pinged, found dead
    storage.create_new_trial(study_id)
    assert len(storage.get_all_trials(study_id)) == 2
