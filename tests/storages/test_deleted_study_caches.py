"""Two storage objects on one database: one deletes a study, the other must not serve it.

SQLite gives a new row the highest id of its table plus one, so a study created after a
deletion (and its trials) may take the deleted ones' ids. PostgreSQL's sequences and MariaDB's
AUTO_INCREMENT do not go back by themselves, but they do after ``setval`` / ``ALTER TABLE``
(and MySQL before 8.0 after a restart): ``rewind_ids`` makes them reuse ids the same way, so
every database is tested with reused ids. A storage that read the deleted study must answer
for the new one as a fresh storage would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tansaku.storages import BaseStorage, JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend
from tansaku.trial import TrialState, create_trial
from tests.storages import servers
from tests.storages._contract_backends import MAX, MIN, new_study

_TABLES = (
    "studies",
    "study_directions",
    "study_user_attributes",
    "study_system_attributes",
    "trials",
    "trial_params",
    "trial_values",
    "trial_intermediate_values",
    "trial_user_attributes",
    "trial_system_attributes",
    "trial_heartbeats",
)


def rewind_ids(storage: BaseStorage) -> None:
    """Make each table's next id the highest left plus one, as SQLite does by itself."""
    if not isinstance(storage, RDBStorage) or storage.engine.dialect.name == "sqlite":
        return
    with storage.engine.begin() as connection:
        for table in _TABLES:
            if storage.engine.dialect.name == "postgresql":
                column = {"studies": "study_id", "trials": "trial_id"}.get(table)
                if column is None:
                    column = connection.execute(
                        text(
                            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
                            "a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                            "WHERE i.indrelid = CAST(:t AS regclass) AND i.indisprimary"
                        ),
                        {"t": table},
                    ).scalar_one()
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
                    )
                )
            else:  # InnoDB sets AUTO_INCREMENT to at least the highest id plus one
                connection.execute(text(f"ALTER TABLE {table} AUTO_INCREMENT = 1"))


# Pairs of storage objects sharing one database: (ours, another process's).
PairFactory = Callable[[Path], tuple[BaseStorage, BaseStorage]]


def _rdb_pair(url: str) -> tuple[BaseStorage, BaseStorage]:
    return RDBStorage(url), RDBStorage(url)


def _journal_file_pair(directory: Path) -> tuple[BaseStorage, BaseStorage]:
    path = str(directory / "journal.log")
    return JournalStorage(JournalFileBackend(path)), JournalStorage(JournalFileBackend(path))


def _journal_redis_pair(directory: Path) -> tuple[BaseStorage, BaseStorage]:
    args = servers.new_redis_backend_args()
    return JournalStorage(JournalRedisBackend(**args)), JournalStorage(JournalRedisBackend(**args))


PAIRS: dict[str, PairFactory] = {
    "sqlite": lambda directory: _rdb_pair(f"sqlite:///{directory / 'shared.db'}"),
    "postgresql": lambda directory: _rdb_pair(servers.new_postgresql_url()),
    "mysql": lambda directory: _rdb_pair(servers.new_mysql_url()),
    "journal_file": _journal_file_pair,
    "journal_redis": _journal_redis_pair,
}
RDB_BACKENDS = ["sqlite", "postgresql", "mysql"]


@pytest.fixture(name="pair", params=list(PAIRS))
def shared_pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[BaseStorage, BaseStorage]]:
    """Two storage objects on one database: ``(reader, writer)``."""
    reader, writer = PAIRS[request.param](tmp_path)
    yield reader, writer
    reader.remove_session()
    writer.remove_session()


@pytest.fixture(name="rdb_pair", params=RDB_BACKENDS)
def shared_rdb_pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[BaseStorage, BaseStorage]]:
    reader, writer = PAIRS[request.param](tmp_path)
    yield reader, writer
    reader.remove_session()
    writer.remove_session()


def _complete(storage: BaseStorage, study_id: int, name: str, value: float) -> int:
    trial_id = storage.create_new_trial(study_id)
    from tansaku.distributions import FloatDistribution

    storage.set_trial_param(trial_id, name, value, FloatDistribution(-100, 100))
    storage.set_trial_user_attr(trial_id, "tag", name)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [value])
    return trial_id


def _view(storage: BaseStorage, study_id: int) -> list[tuple[int, int, str, object, object]]:
    return [
        (t._trial_id, t.number, t.state.name, t.params, t.values)
        for t in storage.get_all_trials(study_id)
    ]


@pytest.mark.parametrize("same_name", [True, False])
@pytest.mark.parametrize("n_new", [1, 5])
def test_new_study_on_reused_ids_is_not_served_from_the_deleted_one(
    pair: tuple[BaseStorage, BaseStorage], same_name: bool, n_new: int
) -> None:
    reader, writer = pair
    old = new_study(writer, MIN, name="reused")
    old_trials = [_complete(writer, old, "x", v) for v in (3.0, 1.0, 2.0)]
    running = writer.create_new_trial(old)
    assert reader.get_best_trial(old).values == [1.0]  # the reader has read the old study
    assert reader.get_study_directions(old) == [MIN]
    assert len(reader.get_all_trials(old)) == 4

    writer.delete_study(old)
    rewind_ids(writer)
    new = new_study(writer, MAX, name="reused" if same_name else "other")
    new_trials = [_complete(writer, new, "y", 10.0 * (i + 1)) for i in range(n_new)]
    if isinstance(writer, RDBStorage):  # the case that matters: ids were reused
        assert new == old
        assert new_trials[0] == old_trials[0]

    assert _view(reader, new) == _view(writer, new)
    assert reader.get_study_directions(new) == [MAX]
    assert reader.get_best_trial(new).values == [10.0 * n_new]
    for trial_id in new_trials:
        assert reader.get_trial(trial_id).params == {"y": writer.get_trial(trial_id).params["y"]}
    if running in new_trials:
        assert reader.get_trial(running).number == new_trials.index(running)


def test_study_replaced_before_any_trial_finished(pair: tuple[BaseStorage, BaseStorage]) -> None:
    """A cache holding only live trials (no finished one to re-read) also sees the change."""
    reader, writer = pair
    old = new_study(writer, MIN, name="live-only")
    live = [writer.create_new_trial(old) for _ in range(3)]
    writer.create_new_trial(old, create_trial(state=TrialState.WAITING))
    assert len(reader.get_all_trials(old)) == 4
    assert reader.get_study_directions(old) == [MIN]

    writer.delete_study(old)
    rewind_ids(writer)
    new = new_study(writer, MAX, name="live-only")
    _complete(writer, new, "y", 5.0)
    _complete(writer, new, "y", 6.0)
    if isinstance(writer, RDBStorage):
        assert new == old and live[0] in [t._trial_id for t in writer.get_all_trials(new)]

    assert _view(reader, new) == _view(writer, new)
    assert reader.get_study_directions(new) == [MAX]


def test_trial_ids_reused_by_another_study_are_not_served_from_the_deleted_one(
    pair: tuple[BaseStorage, BaseStorage],
) -> None:
    reader, writer = pair
    kept = new_study(writer, MIN, name="kept")
    _complete(writer, kept, "k", 0.5)
    gone = new_study(writer, MIN, name="gone")
    gone_trials = [_complete(writer, gone, "x", v) for v in (1.0, 2.0)]
    assert len(reader.get_all_trials(kept)) == 1
    assert len(reader.get_all_trials(gone)) == 2

    writer.delete_study(gone)
    rewind_ids(writer)
    reused = [_complete(writer, kept, "k", v) for v in (7.0, 8.0)]
    if isinstance(writer, RDBStorage):
        assert reused == gone_trials

    assert _view(reader, kept) == _view(writer, kept)
    for trial_id in reused:
        assert reader.get_trial(trial_id).params == writer.get_trial(trial_id).params
    with pytest.raises(KeyError, match=str(gone)):
        reader.get_all_trials(gone)


def test_directions_of_a_study_created_again_without_trials(
    pair: tuple[BaseStorage, BaseStorage],
) -> None:
    reader, writer = pair
    old = new_study(writer, MIN, name="directions")
    _complete(writer, old, "x", 1.0)
    assert reader.get_study_directions(old) == [MIN]
    assert len(reader.get_all_trials(old)) == 1

    writer.delete_study(old)
    rewind_ids(writer)
    new = new_study(writer, MAX, MAX, name="directions")
    assert reader.get_study_directions(new) == [MAX, MAX]
    assert reader.get_all_trials(new) == []


def test_study_api_on_a_study_created_again_under_the_same_name(
    rdb_pair: tuple[BaseStorage, BaseStorage],
) -> None:
    """The Optuna-style program of the report: best_trial and the sampler see the new study."""
    import tansaku

    reader, writer = rdb_pair
    first = tansaku.create_study(study_name="again", storage=writer)
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(tansaku.load_study(study_name="again", storage=reader).trials) == 3

    tansaku.delete_study(study_name="again", storage=writer)
    rewind_ids(writer)
    second = tansaku.create_study(study_name="again", storage=writer, direction="maximize")
    second.optimize(lambda t: t.suggest_float("y", 5, 6), n_trials=2)

    loaded = tansaku.load_study(study_name="again", storage=reader)
    assert loaded.directions == [MAX]
    assert [t.params for t in loaded.trials] == [t.params for t in second.trials]
    assert loaded.best_trial.params == second.best_trial.params
    loaded.optimize(lambda t: t.suggest_float("y", 5, 6), n_trials=1)
    assert [set(t.params) for t in loaded.trials] == [{"y"}] * 3
