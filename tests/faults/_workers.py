"""Child processes of the fault tests, and how tests and children open a shared storage.

Run as ``python tests/faults/_workers.py COMMAND ARGS...`` with the repository on PYTHONPATH:

- ``victim KIND WHERE SIGNAL MODE SEED REPORT``: run trials (``ask_tell`` or ``optimize``)
  and deliver SIGNAL (``SIGINT`` or ``SIGKILL``) to itself at points drawn from SEED. A
  point is the k-th event of the storage layer in the main thread: the start of a function of
  ``tansaku/storages``, or the return of a C call made from one (a SQLite statement, a
  ``write``, an ``flock``...), so it can land anywhere, mid-transaction included. These are
  points where CPython runs a signal handler: a SIGINT's KeyboardInterrupt is raised at the
  function's first instruction, or just after the C call did its work (a profile hook that
  raised before a C call would skip it, which no signal can do). k is drawn with
  ``random.Random(SEED)`` from the events of a first, undisturbed trial: over two trials for
  a SIGKILL; a SIGINT victim takes ``N_INTERRUPTS`` interrupts, each within one trial, and
  goes on after each, as an interactive session does. After each, before going on, it has
  another process (``prober``) finish a trial, and exits with a message if that takes over
  ``HANG_BOUND_S``: whatever the interrupt left held (a lock, a transaction) shows there
  before this process's own next write could release it. After the interrupts it stays
  alive, waits for a line on stdin and runs one more trial on the same storage object.
  REPORT gets one JSON line per thing the test needs: each trial this process saw finished,
  where each signal went, and that the interrupts are over.
- ``die_after_ask KIND WHERE``: ask for a trial, print its number, and SIGKILL itself before
  the trial's first heartbeat.
- ``prober KIND WHERE``: finish a trial for each line read on stdin (heartbeats on).
- ``finish_one KIND WHERE``: run one trial to completion (heartbeats on), print its number.
- ``recover KIND WHERE``: fail stale trials and run their retries until no trial is RUNNING
  or WAITING (heartbeats on).
- ``reader KIND WHERE``: print the study's trials as JSON, then try to run a trial and add
  the error that raises (``write_error``).

``WHERE`` is a database URL, a journal file's path, or ``"REDIS_URL PREFIX"``.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import tansaku
from tansaku.samplers import RandomSampler
from tansaku.storages import BaseStorage
from tansaku.storages._callbacks import RetryHeartbeatStaleTrialCallback
from tansaku.storages._heartbeat import fail_stale_trials, heartbeat_thread
from tansaku.storages._rdb import RDBStorage
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend, JournalStorage
from tansaku.trial import Trial, TrialState

STUDY_NAME = "faults"
# Heartbeat settings of every process that runs trials: a dead worker's trial is stale 2 s
# after its last heartbeat.
HEARTBEAT_INTERVAL = 1
GRACE_PERIOD = 2
MAX_RETRY = 3
# Seconds a process may take to finish a trial or recover the study: a hang bound.
HANG_BOUND_S = 60.0
# KeyboardInterrupts a SIGINT victim takes, one in each of its trials after the first.
N_INTERRUPTS = 40
STORAGES_DIR = str(Path(tansaku.__file__).resolve().parent / "storages") + os.sep


def open_storage(kind: str, where: str, heartbeats: bool = False) -> BaseStorage:
    """The storage of ``kind`` at ``where``; with ``heartbeats``, those of the fault tests."""
    kwargs: dict[str, Any] = {}
    if heartbeats:
        kwargs = {
            "heartbeat_interval": HEARTBEAT_INTERVAL,
            "grace_period": GRACE_PERIOD,
            "heartbeat_stale_trial_callback": RetryHeartbeatStaleTrialCallback(
                max_retry=MAX_RETRY
            ),
        }
    if kind in ("sqlite", "postgresql", "mysql"):
        return RDBStorage(where, **kwargs)
    if kind == "journal_file":
        return JournalStorage(JournalFileBackend(where), **kwargs)
    if kind == "journal_redis":
        url, prefix = where.split(" ", 1)
        return JournalStorage(JournalRedisBackend(url, prefix=prefix), **kwargs)
    raise ValueError(f"unknown storage kind {kind!r}")


def objective(trial: Trial) -> float:
    """A small objective that touches the storage the ways a real one does."""
    x = trial.suggest_float("x", -1.0, 1.0)
    n = trial.suggest_int("n", 1, 4)
    for step in range(2):
        trial.report(x * step, step)
    trial.set_user_attr("n_twice", 2 * n)
    return x * x + n


class _Report:
    """The victim's report file: one JSON object a line, each flushed at once."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)

    def write(self, **entry: Any) -> None:
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())


class _FaultAtEvent:
    """A profile function that counts storage events and signals this process at the k-th."""

    def __init__(self, k: int | None, signum: int, report: _Report | None) -> None:
        self.k, self.signum, self.report = k, signum, report
        self.count = 0
        self.where = "(no fault yet)"

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event not in ("call", "c_return") or not frame.f_code.co_filename.startswith(
            STORAGES_DIR
        ):
            return
        self.count += 1
        if self.count != self.k:
            return
        sys.setprofile(None)
        callee = getattr(arg, "__qualname__", repr(arg)) if event == "c_return" else ""
        where = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}"
        assert self.report is not None
        self.where = f"event {self.k}: {event} {callee} in {where}".strip()
        self.report.write(fault=self.where)
        os.kill(os.getpid(), self.signum)


class _Prober:
    """Another process that finishes a trial whenever asked (``prober`` below)."""

    def __init__(self, kind: str, where: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__, "prober", kind, where],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def finish_a_trial(self, after: str) -> None:
        """Have the other process finish a trial; exit with a message if it cannot in time."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(b"\n")
        self._process.stdin.flush()
        ready, _, _ = select.select([self._process.stdout], [], [], HANG_BOUND_S)
        if not ready:
            self._process.kill()
            raise SystemExit(
                f"another process did not finish a trial within {HANG_BOUND_S:.0f}s after the "
                f"interrupt at {after}"
            )
        if not self._process.stdout.readline():
            raise SystemExit(f"another process failed to finish a trial after {after}")

    def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=HANG_BOUND_S)


def prober(kind: str, where: str) -> None:
    """Finish one trial for each line read from stdin, and say so on stdout."""
    study = tansaku.load_study(study_name=STUDY_NAME, storage=open_storage(kind, where, True))
    for _ in sys.stdin:
        study.optimize(objective, n_trials=1)
        print("finished", flush=True)


def _run_trials(study: tansaku.Study, mode: str, report: _Report, n_trials: int | None) -> None:
    """Run ``n_trials`` trials (None: until stopped) the way ``mode`` says."""

    def tell_done(frozen_number: int) -> None:
        report.write(finished=frozen_number)

    if mode == "optimize":
        study.optimize(
            objective,
            n_trials=n_trials,
            callbacks=[lambda _study, frozen: tell_done(frozen.number)],
        )
        return
    done = 0
    while n_trials is None or done < n_trials:
        fail_stale_trials(study)
        trial = study.ask()
        with heartbeat_thread(study._storage, trial._trial_id):
            value = objective(trial)
        study.tell(trial, value)
        tell_done(trial.number)
        done += 1


def victim(kind: str, where: str, signame: str, mode: str, seed: str, report_path: str) -> None:
    signum = getattr(signal, signame)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = random.Random(int(seed))
    report = _Report(report_path)
    storage = open_storage(kind, where, heartbeats=True)
    study = tansaku.load_study(
        study_name=STUDY_NAME, storage=storage, sampler=RandomSampler(seed=int(seed))
    )
    counter = _FaultAtEvent(None, signum, None)
    sys.setprofile(counter)
    _run_trials(study, mode, report, 1)
    sys.setprofile(None)
    report.write(events_per_trial=counter.count)
    if signum == signal.SIGKILL:
        sys.setprofile(_FaultAtEvent(rng.randint(1, 2 * counter.count), signum, report))
        _run_trials(study, mode, report, None)
    # A session that survives its interrupts may be interrupted many times: each fault lands
    # in the next trial; after each, another process finishes a trial and this one goes on.
    prober = _Prober(kind, where)
    for _ in range(N_INTERRUPTS):
        fault = _FaultAtEvent(rng.randint(1, counter.count), signum, report)
        try:
            sys.setprofile(fault)
            _run_trials(study, mode, report, None)
        except KeyboardInterrupt:
            sys.setprofile(None)
        prober.finish_a_trial(after=fault.where)
    prober.stop()
    report.write(interrupted=True)
    # Alive after the interrupts, as a notebook is: go on when the test says so.
    sys.stdin.readline()
    study.optimize(objective, n_trials=1)
    report.write(continued=True)


def die_after_ask(kind: str, where: str) -> None:
    """Ask for a trial and die (SIGKILL) before its first heartbeat."""
    study = tansaku.load_study(study_name=STUDY_NAME, storage=open_storage(kind, where, True))
    trial = study.ask()
    print(json.dumps({"asked": trial.number}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def finish_one(kind: str, where: str) -> None:
    study = tansaku.load_study(study_name=STUDY_NAME, storage=open_storage(kind, where, True))
    study.optimize(objective, n_trials=1)
    print(json.dumps({"finished": study.trials[-1].number}))


def recover(kind: str, where: str) -> None:
    """Fail stale trials and run the retries until every trial is finished."""
    storage = open_storage(kind, where, heartbeats=True)
    study = tansaku.load_study(study_name=STUDY_NAME, storage=storage)
    deadline = time.monotonic() + HANG_BOUND_S
    while True:
        fail_stale_trials(study)
        waiting = storage.get_n_trials(study._study_id, (TrialState.WAITING,))
        if waiting:
            study.optimize(objective, n_trials=waiting)
            continue
        running = storage.get_all_trials(study._study_id, states=(TrialState.RUNNING,))
        if not running:
            return
        if time.monotonic() > deadline:
            numbers = [t.number for t in running]
            raise SystemExit(
                f"trials {numbers} still RUNNING {HANG_BOUND_S:.0f}s after their workers "
                "stopped: fail_stale_trials never failed them"
            )
        time.sleep(0.2)


def reader(kind: str, where: str) -> None:
    """Print the study's trials, then try to run a trial and print the error it raises."""
    import warnings

    warnings.simplefilter("always")
    study = tansaku.load_study(study_name=STUDY_NAME, storage=open_storage(kind, where))
    result: dict[str, Any] = {
        "trials": [[t.number, t.state.name, t.values, t.params] for t in study.trials]
    }
    try:
        study.optimize(objective, n_trials=1)
    except Exception as error:
        result["write_error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(result))


if __name__ == "__main__":
    tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    command, *arguments = sys.argv[1:]
    {
        "victim": victim,
        "die_after_ask": die_after_ask,
        "finish_one": finish_one,
        "recover": recover,
        "reader": reader,
        "prober": prober,
    }[command](*arguments)
