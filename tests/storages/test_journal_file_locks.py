"""JournalFileBackend's flock-free locks: JournalFileSymlinkLock and JournalFileOpenLock.

Writers in several processes lose no record through either lock, a lock left by a killed
holder is broken once its grace period has passed, and a holder whose lock was broken does not
delete the lock of the process that holds it now.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import pytest

from tansaku.storages.journal import (
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)

LOCKS = {"symlink": JournalFileSymlinkLock, "open": JournalFileOpenLock}
N_RECORDS = 300
# A bound for a wait that ends after a grace period of 1 s (not a timing assertion).
BOUND_S = 60

_WRITER = textwrap.dedent(
    """
    import sys
    from tansaku.storages.journal import JournalFileBackend, JournalFileOpenLock
    from tansaku.storages.journal import JournalFileSymlinkLock
    path, kind, worker, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    lock = {"symlink": JournalFileSymlinkLock, "open": JournalFileOpenLock}[kind](path)
    backend = JournalFileBackend(path, lock_obj=lock)
    for i in range(n):
        backend.append_logs([{"op_code": 0, "worker": worker, "i": i}])
    """
)

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from tansaku.storages.journal import JournalFileOpenLock, JournalFileSymlinkLock
    path, kind = sys.argv[1], sys.argv[2]
    lock = {"symlink": JournalFileSymlinkLock, "open": JournalFileOpenLock}[kind](path)
    lock.acquire()
    print("held", flush=True)
    time.sleep(600)
    """
)


@pytest.fixture(params=sorted(LOCKS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _lock(kind: str, path: Path, grace_period: int | None = 30) -> BaseJournalFileLock:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a short grace period is warned about
        return LOCKS[kind](str(path), grace_period=grace_period)


def test_locks_are_journal_file_locks() -> None:
    for lock in LOCKS.values():
        assert issubclass(lock, BaseJournalFileLock)


def test_two_processes_appending_through_the_lock_lose_no_record(
    kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "journal.log"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), kind, str(worker), str(N_RECORDS)]
        )
        for worker in range(2)
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    records = list(JournalFileBackend(str(path)).read_logs(0))
    assert sorted((r["worker"], r["i"]) for r in records) == [
        (str(w), i) for w in range(2) for i in range(N_RECORDS)
    ]
    assert not os.path.lexists(str(path) + ".lock")


def test_lock_excludes_a_second_holder_until_released(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    first, second = _lock(kind, path), _lock(kind, path)
    first.acquire()
    acquired = threading.Event()

    def take_second() -> None:
        second.acquire()
        acquired.set()

    thread = threading.Thread(target=take_second, daemon=True)
    thread.start()
    assert not acquired.wait(0.3)  # can only wrongly pass, never wrongly fail
    first.release()
    assert acquired.wait(BOUND_S)
    second.release()
    assert not os.path.lexists(str(path) + ".lock")


def test_a_killed_holders_lock_is_broken_after_the_grace_period(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), kind], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert os.path.lexists(str(path) + ".lock")  # the dead holder left its lock behind
    backend = JournalFileBackend(str(path), lock_obj=_lock(kind, path, grace_period=1))
    done = threading.Event()

    def append() -> None:
        backend.append_logs([{"op_code": 0, "after": "kill"}])
        done.set()

    threading.Thread(target=append, daemon=True).start()
    assert done.wait(BOUND_S), "the stale lock was not broken"
    assert [r["after"] for r in JournalFileBackend(str(path)).read_logs(0)] == ["kill"]
    assert not os.path.lexists(str(path) + ".lock")


def test_a_holder_whose_lock_was_broken_leaves_the_new_holders_lock(
    kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "journal.log"
    slow, waiter = _lock(kind, path), _lock(kind, path, grace_period=1)
    slow.acquire()
    waiter.acquire()  # breaks the slow holder's lock after the grace period
    slow.release()
    assert os.path.lexists(str(path) + ".lock"), "the slow holder deleted the new lock"
    waiter.release()
    assert not os.path.lexists(str(path) + ".lock")


@pytest.mark.parametrize("grace_period", [0, -1, True])
def test_a_grace_period_not_above_zero_is_refused(kind: str, grace_period: object) -> None:
    with pytest.raises(ValueError, match=rf"grace_period={grace_period!r} must be > 0 or None"):
        LOCKS[kind]("journal.log", grace_period=grace_period)  # type: ignore[arg-type]


def test_backend_with_a_lock_pickles_with_it(kind: str, tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "journal.log"
    backend = JournalFileBackend(str(path), lock_obj=_lock(kind, path, grace_period=5))
    copy = pickle.loads(pickle.dumps(backend))
    copy.append_logs([{"op_code": 0}])
    assert isinstance(copy._lock_obj, LOCKS[kind])
    assert copy._lock_obj.grace_period == 5  # type: ignore[attr-defined]
    assert json.loads(path.read_text()) == {"op_code": 0}
