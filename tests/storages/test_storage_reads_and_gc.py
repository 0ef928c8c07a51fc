"""Storages never switch the process's garbage collector off, nor back on.

The collector is process-wide: a storage that pauses it while it reads changes what every
other thread of the user's program sees (``gc.isenabled()``, its allocations collected or
not), and one that resumes it afterwards undoes a ``gc.disable()`` the user made meanwhile.
With the collector on, a large read stays fast by building few objects the collector tracks:
the finished trials it reads share one distributions dict per search space.

The storage works in a thread of its own while a profile hook (``sys.setprofile``, which sees
every Python and C call of that thread) looks at the collector after each call: a switch made
anywhere in the storage's code is seen at the very next call, so the tests do not depend on
timing. The user's thread acts at a fixed point of the read, synchronized by events.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from tansaku.distributions import FloatDistribution
from tansaku.storages import BaseStorage, InMemoryStorage, JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend, _snapshot
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests.storages import servers

# Each backend as a way to open (again) one storage: a second opening reads what the first
# wrote, as another process would (replaying a journal, reading a database).
Opener = Callable[[], BaseStorage]


def _opener(kind: str, directory: Path) -> Opener:
    if kind == "inmemory":
        storage = InMemoryStorage()
        return lambda: storage
    if kind in ("sqlite", "postgresql", "mysql"):
        url = {
            "sqlite": lambda: f"sqlite:///{directory / 'gc.db'}",
            "postgresql": servers.new_postgresql_url,
            "mysql": servers.new_mysql_url,
        }[kind]()
        return lambda: RDBStorage(url)
    if kind == "journal_file":
        path = str(directory / "journal.log")
        return lambda: JournalStorage(JournalFileBackend(path))
    redis_args = servers.new_redis_backend_args()
    return lambda: JournalStorage(JournalRedisBackend(**redis_args))


_PERSISTENT = ["sqlite", "journal_file", "postgresql", "mysql", "journal_redis"]


@pytest.fixture(params=["inmemory", *_PERSISTENT])
def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    yield _opener(request.param, tmp_path)


@pytest.fixture(params=_PERSISTENT)
def open_persistent(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    yield _opener(request.param, tmp_path)


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()


def _write_study(storage: BaseStorage, n_trials: int = 5) -> int:
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "gc-study")
    x = FloatDistribution(-1.0, 1.0)
    for i in range(n_trials):
        template = create_trial(value=float(i), params={"x": i / n_trials}, distributions={"x": x})
        storage.create_new_trial(study_id, template_trial=template)
    trial_id = storage.create_new_trial(study_id)
    storage.set_trial_param(trial_id, "x", 0.5, x)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.25])
    return study_id


def _work(open_storage: Opener) -> None:
    """What a worker does with a storage: write a study, open it again and read it."""
    study_id = _write_study(open_storage())
    reader = open_storage()
    trials = reader.get_all_trials(study_id)
    assert len(trials) == 6
    reader.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,))
    reader.get_best_trial(study_id)
    reader.get_trial(trials[-1]._trial_id)


def _in_thread_with_profile(
    target: Callable[[], None], profile: Callable[[FrameType, str, Any], None]
) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        sys.setprofile(profile)
        try:
            target()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)
        finally:
            sys.setprofile(None)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_storage_work_never_switches_the_collector_off(open_storage: Opener) -> None:
    gc.enable()
    seen: list[bool] = []

    def look(frame: FrameType, event: str, arg: Any) -> None:
        seen.append(gc.isenabled())

    _in_thread_with_profile(lambda: _work(open_storage), look)

    assert len(seen) > 100  # the hook saw the storage at work
    assert all(seen), f"the collector was off at {seen.count(False)} of {len(seen)} calls"
    assert gc.isenabled()


def test_users_gc_disable_during_a_read_stays_in_place(open_storage: Opener) -> None:
    """The user's thread switches the collector off while the storage copies trials."""
    gc.enable()
    study_id = _write_study(open_storage())
    reader = open_storage()
    reading, user_done = threading.Event(), threading.Event()

    def pause_at_first_copy(frame: FrameType, event: str, arg: Any) -> None:
        copying = event == "call" and frame.f_code is FrozenTrial.__deepcopy__.__code__
        if copying and not reading.is_set():
            reading.set()
            user_done.wait()

    def users_thread() -> None:
        reading.wait()
        gc.disable()
        user_done.set()

    user = threading.Thread(target=users_thread)
    user.start()
    _in_thread_with_profile(lambda: reader.get_all_trials(study_id), pause_at_first_copy)
    user.join()

    assert reading.is_set()
    assert not gc.isenabled(), "the storage switched the collector back on"


def _assert_one_shared_space(storage: BaseStorage, study_id: int) -> None:
    stored = storage.get_all_trials(study_id, deepcopy=False)
    assert len(stored) == 6
    assert len({id(trial.distributions) for trial in stored}) == 1
    # The copies handed out are the caller's own.
    first, second = storage.get_all_trials(study_id)[:2]
    first.distributions["y"] = FloatDistribution(0.0, 1.0)
    assert "y" not in second.distributions
    assert "y" not in storage.get_all_trials(study_id, deepcopy=False)[0].distributions


def test_finished_trials_read_back_share_their_distributions_dict(
    open_persistent: Opener,
) -> None:
    study_id = _write_study(open_persistent())
    _assert_one_shared_space(open_persistent(), study_id)


def test_finished_trials_loaded_from_a_snapshot_share_their_distributions_dict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_snapshot, "SNAPSHOT_MIN_RECORDS", 1)
    path = str(tmp_path / "journal.log")
    study_id = _write_study(JournalStorage(JournalFileBackend(path)))
    reader = JournalStorage(JournalFileBackend(path))
    assert reader.n_records_replayed == 0  # all of it came from the snapshot
    _assert_one_shared_space(reader, study_id)
