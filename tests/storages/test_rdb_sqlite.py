"""RDBStorage on SQLite: Optuna's databases, schema versions, bad input, caching."""

from __future__ import annotations

import math
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.storages._rdb import RDBStorage, _schema
from tansaku.storages._rdb._engine import make_engine
from tansaku.trial import TrialState
from tests.storages._optuna_fixtures import FIXTURES, dump, expected, normalize


@pytest.fixture
def optuna_db(tmp_path: Path) -> Path:
    path = tmp_path / "optuna.db"
    shutil.copy(FIXTURES / "optuna_5_0.db", path)
    return path


def test_database_written_by_optuna_reads_as_optuna_read_it(optuna_db: Path) -> None:
    storage = RDBStorage(f"sqlite:///{optuna_db}")
    assert normalize(dump(storage)) == normalize(expected("rdb"))


def test_study_written_by_optuna_continues_with_dense_numbers(optuna_db: Path) -> None:
    url = f"sqlite:///{optuna_db}"
    study = tansaku.load_study(study_name="single", storage=url)
    study.optimize(lambda t: t.suggest_float("x", -5.0, 5.0) ** 2, n_trials=3)
    numbers = [t.number for t in study.trials]
    assert numbers == list(range(len(numbers)))
    # The trial Optuna left RUNNING stays so, with its param; the new ones completed.
    assert study.trials[5].params == {"x": 1.5}
    assert study.trials[5].state is TrialState.RUNNING
    assert all(t.state is TrialState.COMPLETE for t in study.trials[6:])
    with sqlite3.connect(optuna_db) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("v3.2.0.a",)
        ]


def test_new_database_records_optunas_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    RDBStorage(f"sqlite:///{path}").create_new_study([tansaku.study.StudyDirection.MINIMIZE])
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (_schema.HEAD_REVISION,)
        ]
        assert connection.execute("SELECT schema_version FROM version_info").fetchall() == [(12,)]
        assert connection.execute("PRAGMA journal_mode").fetchall() == [("wal",)]


def test_database_at_schema_version_1_upgrades_with_data_intact(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url, {}, durable_commits=False)
    _schema.upgrade(engine, "v3.0.0.d")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO studies (study_name) VALUES ('old')"))
        connection.execute(
            text(
                "INSERT INTO study_directions (direction, study_id, objective) "
                "VALUES ('MAXIMIZE', 1, 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete)"
                " VALUES (0, 1, 'COMPLETE', '2024-01-01 00:00:00', '2024-01-01 00:00:01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO trial_values (trial_id, objective, value, value_type) "
                "VALUES (1, 0, 0.5, 'FINITE')"
            )
        )
    engine.dispose()

    with pytest.raises(RuntimeError, match="older than"):
        RDBStorage(url)
    old = RDBStorage(url, skip_compatibility_check=True)
    assert old.get_current_version() == "v3.0.0.d"
    old.upgrade()
    assert old.get_current_version() == old.get_head_version() == "v3.2.0.a"

    study = tansaku.load_study(study_name="old", storage=RDBStorage(url))
    assert study.direction == tansaku.study.StudyDirection.MAXIMIZE
    assert [t.value for t in study.trials] == [0.5]
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.number for t in study.trials] == [0, 1, 2]


def test_database_of_unknown_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    RDBStorage(f"sqlite:///{path}").create_new_study([tansaku.study.StudyDirection.MINIMIZE])
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'v9.0.0.a'")
    with pytest.raises(RuntimeError, match="newer"):
        RDBStorage(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM studies").fetchall() == [(1,)]


def test_malformed_url_names_the_problem() -> None:
    with pytest.raises(ValueError, match="not a database URL"):
        RDBStorage("sqlite//no-scheme-separator")


def test_study_name_with_quotes_and_sql_is_stored_and_read_back(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'names.db'}")
    name = 'x\'); DROP TABLE studies; -- "quoted" 名前'
    study_id = storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], name)
    assert storage.get_study_id_from_name(name) == study_id
    assert storage.get_study_name_from_id(study_id) == name


def test_study_name_longer_than_the_column_raises_and_stores_nothing(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'long.db'}")
    with pytest.raises(ValueError, match="study_name of 10000 characters"):
        storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], "n" * 10_000)
    assert storage.get_all_studies() == []


def test_finished_trials_are_read_from_the_database_once(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'cache.db'}")
    study = tansaku.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    first = storage.get_all_trials(study._study_id, deepcopy=False)
    second = storage.get_all_trials(study._study_id, deepcopy=False)
    assert all(a is b for a, b in zip(first, second, strict=True))


def test_running_trial_params_are_visible_to_another_process_storage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    study = tansaku.create_study(storage=RDBStorage(url))
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    other = RDBStorage(url)
    (running,) = other.get_all_trials(study._study_id, states=(TrialState.RUNNING,))
    assert running.params == {"x": trial.params["x"]}


def test_read_of_waiting_trials_leaves_no_stale_running_trial_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'states.db'}"
    study = tansaku.create_study(storage=RDBStorage(url))
    running = study.ask()
    reader = RDBStorage(url)
    study_id = study._study_id
    assert [t.state for t in reader.get_all_trials(study_id)] == [TrialState.RUNNING]
    running.suggest_float("x", 0, 1)
    study.enqueue_trial({"x": 0.25})
    study.tell(running, 1.0)
    # A read of the waiting trials sees the enqueued one and need not read the running one...
    (waiting,) = reader.get_all_trials(study_id, states=(TrialState.WAITING,))
    assert waiting.number == 1
    # ...but a later read of any state the running trial may have reached sees where it is.
    (complete,) = reader.get_all_trials(study_id, states=(TrialState.COMPLETE,))
    assert (complete.number, complete.value, complete.params) == (0, 1.0, running.params)
    assert reader.get_n_trials(study_id, TrialState.RUNNING) == 0


def test_values_written_before_the_end_are_replaced_at_the_end(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'values.db'}")
    study_id = storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], "v")
    trial_id = storage.create_new_trial(study_id)
    assert storage.set_trial_state_values(trial_id, TrialState.WAITING, [1.0])
    assert storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [2.0])
    assert RDBStorage(storage.url).get_trial(trial_id).values == [2.0]


def test_trial_just_created_reads_back_as_it_was_served(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'created.db'}"
    storage = RDBStorage(url, heartbeat_interval=60)
    study_id = storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], "c")
    served = [storage.get_trial(storage.create_new_trial(study_id)) for _ in range(3)]
    assert [t.number for t in served] == [0, 1, 2]
    stored = RDBStorage(url).get_all_trials(study_id)
    assert stored == served
    assert [t.datetime_start for t in stored] == [t.datetime_start for t in served]


# SQLAlchemy's text for a DateTime on SQLite; the driver's path must write the same.
_TRIAL_TABLES = (
    "trials",
    "trial_params",
    "trial_values",
    "trial_intermediate_values",
    "trial_user_attributes",
    "trial_system_attributes",
    "trial_heartbeats",
)
_TIME_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def _rows(storage: RDBStorage) -> dict[str, list[tuple[object, ...]]]:
    """Every trial row as stored, with each time replaced by whether it has SQLAlchemy's form."""
    tables = {}
    with storage.engine.connect() as connection:
        for table in _TRIAL_TABLES:
            rows = connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").all()
            tables[table] = [
                tuple(
                    "<time>" if isinstance(v, str) and _TIME_TEXT.fullmatch(v) else v for v in row
                )
                for row in rows
            ]
    return tables


def test_driver_and_sqlalchemy_paths_write_the_same_rows(tmp_path: Path) -> None:
    # A file database takes the driver's path for trial creation and a live trial's rows;
    # an in-memory one runs the same statements through SQLAlchemy.
    storages = [
        RDBStorage(f"sqlite:///{tmp_path / 'driver.db'}", heartbeat_interval=60),
        RDBStorage("sqlite:///:memory:", heartbeat_interval=60),
    ]
    assert [storage._tx.sqlite_file for storage in storages] == [True, False]
    for storage in storages:
        study_id = storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], "same")
        for number, state in enumerate([TrialState.COMPLETE, TrialState.PRUNED, None]):
            trial_id = storage.create_new_trial(study_id)
            storage.set_trial_param(trial_id, "x", 0.5 * number, FloatDistribution(0, 1))
            storage.set_trial_param(trial_id, "x", 0.25, FloatDistribution(0, 1))  # an update
            storage.set_trial_param(trial_id, "c", 1, CategoricalDistribution(["a", None]))
            for step, value in enumerate([1.0, math.inf, -math.inf, math.nan]):
                storage.set_trial_intermediate_value(trial_id, step, value)
            storage.set_trial_user_attr(trial_id, "u", {"n": number})
            storage.set_trial_system_attr(trial_id, "s", [number, "é"])
            storage.set_trial_system_attr(trial_id, "s", None)
            if state is not None:
                storage.set_trial_state_values(trial_id, state, [float(number)])
        with pytest.raises(UpdateFinishedTrialError):
            storage.set_trial_user_attr(1, "late", 1)
    driver, sqlalchemy = (_rows(storage) for storage in storages)
    assert driver["trials"][0][3:] == ("COMPLETE", "<time>", "<time>")
    assert driver["trial_heartbeats"] == [(1, 3, "<time>")]
    assert driver == sqlalchemy
