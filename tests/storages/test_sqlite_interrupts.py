"""Ctrl-C at any moment of a SQLite write: the writer lock is released and the storage works on.

A user who interrupts ``study.optimize`` (in a notebook, say) catches KeyboardInterrupt and goes
on. Whatever the moment the interrupt lands, the process must not keep the writer lock (other
workers would wait on it) nor leave SQLite's own write lock behind, the user must see the
KeyboardInterrupt itself, and the storage's next call must work.
"""

from __future__ import annotations

import contextlib
import dis
import fcntl
import gc
import inspect
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.engine
import sqlalchemy.engine.util
import sqlalchemy.pool.base
from sqlalchemy import event

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.exceptions import StorageInternalError, StorageLockTimeoutError
from tansaku.storages import _file_lock
from tansaku.storages._rdb import RDBStorage, _engine, _transactions
from tansaku.study import StudyDirection
from tansaku.trial import TrialState

REPO = Path(__file__).resolve().parents[2]
_FINISHED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)

# A notebook user: optimize until interrupted, catch the interrupt, wait to be told to go on.
# It takes Ctrl-C as a terminal gives it, even when the test run was started where SIGINT is
# ignored (a background job of a non-interactive shell), which it would otherwise inherit.
_INTERRUPTED_USER = """
import signal
import sys
import tansaku
signal.signal(signal.SIGINT, signal.default_int_handler)
from tansaku.storages._rdb import RDBStorage
tansaku.logging.set_verbosity(tansaku.logging.ERROR)

study = tansaku.load_study(study_name="interrupted", storage=RDBStorage(sys.argv[1]))

def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    y = trial.suggest_int("y", 0, 9)
    for step in range(3):
        trial.report(x + step, step)
    trial.set_user_attr("y", y)
    return x * x + y

# The first trials import what the sampler loads on first use. An interrupt landing in an
# import can land in a callback of the import system, where Python discards it ("Exception
# ignored"), which no library can change: the interrupts below land after those imports.
study.optimize(objective, n_trials=20)
while True:
    try:
        print("running", flush=True)
        study.optimize(objective, n_trials=10**9)
    except BaseException as error:
        print("caught", type(error).__name__, flush=True)
    if sys.stdin.readline().strip() != "go":
        break
study.optimize(objective, n_trials=3)
print("done", len(study.trials), flush=True)
"""


def _read_line(process: subprocess.Popen[str], bound_s: float = 60.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], bound_s)
    assert ready, f"the child said nothing for {bound_s} s"
    return process.stdout.readline().strip()


def _finished_trials(storage: RDBStorage, study_id: int) -> int:
    return len(storage.get_all_trials(study_id, deepcopy=False, states=_FINISHED))


def _interrupt(
    child: subprocess.Popen[str], other: RDBStorage, study_id: int, bound_s: float = 60.0
) -> tuple[str, int]:
    """Send the child SIGINT and return the line it answers with, and how many were lost.

    Python discards an exception raised in a callback it runs for the collector or a weak
    reference ("Exception ignored in ..."): a SIGINT whose handler runs there is lost, whatever
    the library, and a user presses Ctrl-C again. A lost one is told by the child going on with
    its trials (a SIGINT handled anywhere else ends them at once), and is sent again. A child
    that neither answers nor goes on for ``bound_s`` is stuck: on a lock it kept, say.
    """
    assert child.stdout is not None
    lost = 0
    child.send_signal(signal.SIGINT)
    sent_at = _finished_trials(other, study_id)
    quiet_since = time.monotonic()
    while True:
        ready, _, _ = select.select([child.stdout], [], [], 2.0)
        if ready:
            return child.stdout.readline().strip(), lost
        finished = _finished_trials(other, study_id)
        if finished >= sent_at + 3:  # more than the trial the signal may have met
            lost += 1
            assert lost <= 5, "interrupts keep being lost"
            child.send_signal(signal.SIGINT)
            sent_at, quiet_since = _finished_trials(other, study_id), time.monotonic()
        assert time.monotonic() - quiet_since < bound_s, f"the child is stuck for {bound_s} s"


def _lock_is_free(lock_path: str) -> bool:
    """Whether another open file (as another process has) can take the writer lock now."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing the only descriptor releases the lock if it was taken
    return True


def test_interrupts_at_random_moments_leave_no_lock_and_surface_as_keyboard_interrupt(
    tmp_path: Path,
) -> None:
    db = tmp_path / "interrupted.db"
    url = f"sqlite:///{db}"
    tansaku.create_study(study_name="interrupted", storage=RDBStorage(url))
    # Another worker: it must be able to write after every interrupt (2 s bounds its waits).
    other = RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 2.0}})
    study_id = other.get_study_id_from_name("interrupted")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_USER, url],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # SQLAlchemy logs the interrupts it met
        text=True,
    )
    assert child.stdin is not None
    delays = random.Random(20240607)
    seen: list[str] = []
    total_lost = 0
    try:
        for attempt in range(50):
            assert _read_line(child) == "running"
            # Let it run into its trials (the first time, past its first connection).
            time.sleep((0.2 if attempt == 0 else 0.0) + delays.uniform(0.0, 0.02))
            caught, lost = _interrupt(child, other, study_id)
            seen.append(caught)
            total_lost += lost
            # The child now waits at its prompt, as a user does: nothing it holds can be
            # released later by itself, so what is held now stays held.
            assert _lock_is_free(f"{db}-writer-lock"), f"interrupt {attempt}: lock kept"
            other.set_study_user_attr(study_id, "written_after", attempt)
            child.stdin.write("go\n")
            child.stdin.flush()
        assert _read_line(child) == "running"
        seen.append(_interrupt(child, other, study_id)[0])
        child.stdin.write("stop\n")
        child.stdin.flush()
        assert _read_line(child).startswith("done")
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert set(seen) == {"caught KeyboardInterrupt"}, seen
    assert other.get_study_user_attrs(study_id)["written_after"] == 49
    assert total_lost <= 10, f"{total_lost} of the interrupts were lost"


# -- an interrupt at each line of the locking code, deterministically --------------------------


def _line_starts(code: types.CodeType) -> list[int]:
    """The lines of ``code``'s body where a signal can land.

    A line of only ``NOP`` (a ``try:``) is left out: nothing runs there, so no signal lands
    there, and the handlers of the block it opens do not cover it.
    """
    operations: dict[int, set[str]] = {}
    line = 0
    for instruction in dis.get_instructions(code):
        line = instruction.starts_line or line
        operations.setdefault(line, set()).add(instruction.opname)
    return sorted(
        line
        for line, names in operations.items()
        if line > code.co_firstlineno and names != {"NOP"}
    )


def _closure_code(function: types.FunctionType, name: str) -> types.CodeType:
    """The code of the function ``name`` defined inside ``function``."""
    for constant in function.__code__.co_consts:
        if isinstance(constant, types.CodeType) and constant.co_name == name:
            return constant
    raise LookupError(name)


# Every function a write runs that takes, holds or releases the writer lock, SQLAlchemy's
# return of a connection to its pool included (the release runs at its end).
_LOCKING_CODE = {
    "begin_write": _engine.begin_write.__code__,
    "end_write": _engine.end_write.__code__,
    "sqlite_write": _engine.sqlite_write.__code__,
    "acquire": _engine.WriterLock.acquire.__code__,
    "release": _engine.WriterLock.release.__code__,
    "lock_exclusive": _file_lock.lock_exclusive.__code__,
    "on_begin": _closure_code(_engine._configure_sqlite, "_on_begin"),
    "on_reset": _closure_code(_engine._configure_sqlite, "_on_reset"),
    "write_rows": _transactions.Transactions.write_rows.__code__,
    "write": _transactions.Transactions.write.__code__,
    "retrying": _transactions._retrying.__code__,
    "engine_write": _engine.engine_write.__code__,
    "transaction_enter": sqlalchemy.engine.util.TransactionalContext.__enter__.__code__,
    "transaction_exit": sqlalchemy.engine.util.TransactionalContext.__exit__.__code__,
    "discard_if_abandoned": _engine.discard_if_abandoned.__code__,
    "connection_close": sqlalchemy.engine.Connection.close.__code__,
    "fairy_close": sqlalchemy.pool.base._ConnectionFairy.close.__code__,
    "fairy_close_special": sqlalchemy.pool.base._ConnectionFairy._close_special.__code__,
    "fairy_checkin": sqlalchemy.pool.base._ConnectionFairy._checkin.__code__,
    "finalize_fairy": sqlalchemy.pool.base._finalize_fairy.__code__,
    "fairy_reset": sqlalchemy.pool.base._ConnectionFairy._reset.__code__,
}


def _first_line_of_cleanup(function: Any, statement: str) -> int:
    """The line of ``statement``, the first one of a ``finally`` block in ``function``.

    Python runs a pending signal's handler when a function starts, after a call returns and
    on a jump back, never between entering a cleanup block and its first call: a SIGINT cannot
    land before such a line (the trace below could), so it is not a case.
    """
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, text in enumerate(lines) if text.strip().startswith(statement))


_BEFORE_CLEANUP = {
    ("sqlite_write", _first_line_of_cleanup(_engine.sqlite_write, "pooled.close()")),
    ("sqlite_write", _first_line_of_cleanup(_engine.sqlite_write, "discard_if_abandoned(")),
    ("engine_write", _first_line_of_cleanup(_engine.engine_write, "connection.close()")),
    ("engine_write", _first_line_of_cleanup(_engine.engine_write, "discard_if_abandoned(")),
}
_CASES = [
    pytest.param(path, name, line, id=f"{path}-{name}-{line - code.co_firstlineno}")
    for path in ("driver", "sqlalchemy")
    for name, code in _LOCKING_CODE.items()
    for line in _line_starts(code)
    if (name, line) not in _BEFORE_CLEANUP
]


@contextlib.contextmanager
def _interrupt_at(code: types.CodeType, line: int) -> Iterator[list[bool]]:
    """Raise KeyboardInterrupt the first time ``line`` of ``code`` is about to run.

    As SIGINT does: Python raises it between two steps of whatever runs. Yields a list that
    holds True once it was raised.
    """
    raised: list[bool] = []

    def local(frame: types.FrameType, event: str, arg: object) -> Any:
        if event == "line" and frame.f_lineno == line and not raised:
            raised.append(True)
            raise KeyboardInterrupt
        return local

    def calls(frame: types.FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code is code and not raised else None

    sys.settrace(calls)
    try:
        yield raised
    finally:
        sys.settrace(None)


def _database_is_free(db: Path) -> bool:
    """Whether another connection can start a write transaction at once."""
    connection = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("interrupts") / "lines.db"
    RDBStorage(f"sqlite:///{db}").create_new_study([StudyDirection.MINIMIZE], "lines")
    return db


@pytest.mark.parametrize(("path", "name", "line"), _CASES)
def test_interrupt_at_any_line_of_a_write_releases_every_lock_and_the_next_write_works(
    shared_db: Path, path: str, name: str, line: int
) -> None:
    db = shared_db
    # 2 s bounds the waits of a case that would leave a lock behind, so the others still run.
    storage = RDBStorage(f"sqlite:///{db}", engine_kwargs={"connect_args": {"timeout": 2.0}})
    study_id = storage.get_study_id_from_name("lines")
    trial_id = storage.create_new_trial(study_id)
    distribution = FloatDistribution(0.0, 1.0)

    def write(value: float) -> None:
        if path == "driver":  # a param: SQLite's driver, in sqlite_write
            storage.set_trial_param(trial_id, "x", value, distribution)
        else:  # a study attr: a SQLAlchemy transaction
            storage.set_study_user_attr(study_id, "x", value)

    error: BaseException | None = None
    # The earlier cases' garbage is collected now, not in the middle of this write: a pooled
    # connection freed by the collector goes back to its pool in a callback, where Python
    # discards an interrupt (prints "Exception ignored"), which no library can change.
    gc.collect()
    gc.disable()
    try:
        with _interrupt_at(_LOCKING_CODE[name], line) as raised:
            try:
                write(0.25)
            except BaseException as caught:  # kept, with its traceback, as a notebook keeps it
                error = caught
    finally:
        gc.enable()
    if raised:
        assert isinstance(error, KeyboardInterrupt), repr(error)
    else:  # a line this path does not run
        assert error is None, repr(error)
    assert _lock_is_free(f"{db}-writer-lock")
    assert _database_is_free(db)
    write(0.75)
    if path == "driver":
        assert storage.get_trial(trial_id).params == {"x": 0.75}
    else:
        assert storage.get_study_user_attrs(study_id)["x"] == 0.75


def test_interrupt_inside_a_sqlalchemy_statement_surfaces_as_itself(tmp_path: Path) -> None:
    db = tmp_path / "statement.db"
    storage = RDBStorage(f"sqlite:///{db}")
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "statement")
    raised: list[bool] = []

    # SQLAlchemy treats an interrupt inside a statement as a lost connection and drops it.
    @event.listens_for(storage.engine, "before_cursor_execute")
    def _interrupt_once(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not raised and not statement.startswith("BEGIN"):
            raised.append(True)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        storage.set_study_user_attr(study_id, "k", 1)
    assert _lock_is_free(f"{db}-writer-lock")
    assert _database_is_free(db)
    storage.set_study_user_attr(study_id, "k", 2)
    assert storage.get_study_user_attrs(study_id) == {"k": 2}


_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("holding", flush=True)
sys.stdin.read()
"""


def test_lock_held_by_another_live_process_raises_after_the_bound_naming_file_and_holder(
    tmp_path: Path,
) -> None:
    db = tmp_path / "held.db"
    storage = RDBStorage(f"sqlite:///{db}", engine_kwargs={"connect_args": {"timeout": 1.0}})
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "held")
    trial_id = storage.create_new_trial(study_id)
    lock_path = f"{db}-writer-lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, lock_path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert _read_line(holder) == "holding"
        writes = [
            lambda: storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0.0, 1.0)),
            lambda: storage.set_study_user_attr(study_id, "k", 1),
        ]
        for write in writes:  # SQLite's driver, then SQLAlchemy
            with pytest.raises(StorageLockTimeoutError) as raised:
                write()
            assert isinstance(raised.value, StorageInternalError)
            assert raised.value.lock_path == lock_path
            assert raised.value.holder_pids == (holder.pid,)
            assert lock_path in str(raised.value) and str(holder.pid) in str(raised.value)
            assert "'timeout'" in str(raised.value)  # how to wait longer
    finally:
        holder.communicate("")
    for write in writes:  # the holder is gone: the storage works on
        write()
    assert storage.get_trial(trial_id).params == {"x": 0.5}
