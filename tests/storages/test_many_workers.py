"""Many worker processes sharing one study: nothing lost, nothing doubled, dead workers retried.

Real processes (``python -c``) share the storage through its URL or path, as users run them,
on every persistent backend: SQLite, a journal file, a journal in Redis, PostgreSQL and MariaDB
(the servers are real, from ``servers.py``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tansaku.storages import BaseStorage
from tansaku.storages._callbacks import RetryHeartbeatStaleTrialCallback
from tansaku.storages._rdb import RDBStorage
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend, JournalStorage
from tansaku.trial import TrialState
from tests.storages import servers

N_WORKERS = 8
# Enough for the eight to overlap through most of the run (each asks, reports and tells in a
# loop, so a race between two of them shows within tens of trials).
TRIALS_PER_WORKER = 100
REPO = Path(__file__).resolve().parents[2]
KINDS = ["sqlite", "journal_file", "journal_redis", "postgresql", "mysql"]

# What a worker runs first, by kind: ``open_storage(where, **kw)`` opens the shared storage.
_OPEN_RDB = (
    "from tansaku.storages._rdb import RDBStorage\n"
    "def open_storage(where, **kw):\n    return RDBStorage(where, **kw)\n"
)
_OPEN = {
    "sqlite": _OPEN_RDB,
    "postgresql": _OPEN_RDB,
    "mysql": _OPEN_RDB,
    "journal_file": "from tansaku.storages.journal import JournalFileBackend, JournalStorage\n"
    "def open_storage(where, **kw):\n"
    "    return JournalStorage(JournalFileBackend(where), **kw)\n",
    "journal_redis": "from tansaku.storages.journal import JournalRedisBackend, JournalStorage\n"
    "def open_storage(where, **kw):\n"
    "    url, prefix = where.split(' ', 1)\n"
    "    return JournalStorage(JournalRedisBackend(url, prefix=prefix), **kw)\n",
}

_PLAIN_WORKER = """
import sys, time
import tansaku
tansaku.logging.set_verbosity(tansaku.logging.WARNING)
where, n_trials = sys.argv[1], int(sys.argv[2])
study = tansaku.load_study(study_name="shared", storage=open_storage(where))

def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    for step in range(3):
        trial.report(x + step, step)
    time.sleep(0.002)
    return x * x

study.optimize(objective, n_trials=n_trials)
"""


def open_shared(kind: str, tmp_path: Path) -> tuple[str, BaseStorage]:
    """Where the workers of ``kind`` find an empty storage (a URL or path), and the storage."""
    if kind == "sqlite":
        where = f"sqlite:///{tmp_path / 'shared.db'}"
        return where, RDBStorage(where)
    if kind == "journal_file":
        where = str(tmp_path / "shared.log")
        return where, JournalStorage(JournalFileBackend(where))
    if kind == "journal_redis":
        args = servers.new_redis_backend_args()
        return f"{args['url']} {args['prefix']}", JournalStorage(JournalRedisBackend(**args))
    if kind == "postgresql":
        where = servers.shared_postgresql().create_database("workers")
    else:
        where = servers.shared_mysql().create_database("workers")
    return where, RDBStorage(where)


def _start(kind: str, code: str, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-c", _OPEN[kind] + code, *args], env=env, stderr=subprocess.PIPE
    )


@pytest.mark.parametrize("kind", KINDS)
def test_eight_processes_complete_exactly_their_trials_with_dense_numbers(
    kind: str, tmp_path: Path
) -> None:
    where, storage = open_shared(kind, tmp_path)
    study_id = storage.create_new_study([1], "shared")
    workers = [
        _start(kind, _PLAIN_WORKER, where, str(TRIALS_PER_WORKER)) for _ in range(N_WORKERS)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err.decode()[-2000:]
    trials = storage.get_all_trials(study_id)
    assert len(trials) == N_WORKERS * TRIALS_PER_WORKER
    assert [t.number for t in trials] == list(range(N_WORKERS * TRIALS_PER_WORKER))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert all(len(t.intermediate_values) == 3 for t in trials)


# A victim writes the number of its first trial to its marker file and hangs in it until it is
# killed. A survivor runs trials (failing stale ones first, as Study.optimize does) until the
# target is reached, both killed trials have failed and their retries have run.
_HEARTBEAT_WORKER = """
import sys, time
from pathlib import Path
import tansaku
from tansaku.storages._callbacks import RetryHeartbeatStaleTrialCallback
from tansaku.storages._heartbeat import fail_stale_trials, heartbeat_thread
from tansaku.trial import TrialState
tansaku.logging.set_verbosity(tansaku.logging.ERROR)
where, role, target, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
storage = open_storage(
    where, heartbeat_interval=1, grace_period=2,
    heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=2),
)
study = tansaku.load_study(study_name="shared", storage=storage)
deadline = time.monotonic() + 120
while True:
    assert time.monotonic() < deadline, "the killed trials were never failed and retried"
    fail_stale_trials(study)
    counts = {
        state: study._storage.get_n_trials(study._study_id, state)
        for state in (TrialState.COMPLETE, TrialState.WAITING, TrialState.FAIL)
    }
    if (
        counts[TrialState.COMPLETE] >= target
        and counts[TrialState.WAITING] == 0
        and counts[TrialState.FAIL] >= 2
    ):
        break
    trial = study.ask()
    with heartbeat_thread(study._storage, trial._trial_id):
        x = trial.suggest_float("x", -1, 1)
        if role == "victim" and "retry_history" not in trial.system_attrs:
            marker.write_text(str(trial.number))
            time.sleep(3600)  # killed here, mid-trial
        time.sleep(0.05)
    study.tell(trial, x * x)
"""


@pytest.mark.parametrize("kind", KINDS)
def test_killed_workers_trials_fail_by_heartbeat_and_are_retried(
    kind: str, tmp_path: Path
) -> None:
    where, storage = open_shared(kind, tmp_path)
    study_id = storage.create_new_study([1], "shared")
    target = 40
    markers = [tmp_path / f"victim{i}" for i in range(2)]
    victims = [
        _start(kind, _HEARTBEAT_WORKER, where, "victim", str(target), str(m)) for m in markers
    ]
    survivors = [
        _start(kind, _HEARTBEAT_WORKER, where, "survivor", str(target), "-") for _ in range(2)
    ]
    deadline = time.monotonic() + 120
    while not all(m.exists() and m.read_text() for m in markers):
        assert time.monotonic() < deadline, "the victims never started a trial"
        for victim in victims:
            if victim.poll() is not None:
                pytest.fail(f"a victim exited early: {victim.communicate()[1].decode()[-2000:]}")
        time.sleep(0.05)
    for victim in victims:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    for survivor in survivors:
        _, err = survivor.communicate(timeout=240)
        assert survivor.returncode == 0, err.decode()[-2000:]

    trials = storage.get_all_trials(study_id)
    killed = {int(m.read_text()) for m in markers}
    assert {t.number for t in trials if t.state is TrialState.FAIL} == killed
    retries = {
        RetryHeartbeatStaleTrialCallback.retried_trial_number(t): t
        for t in trials
        if RetryHeartbeatStaleTrialCallback.retried_trial_number(t) is not None
    }
    assert set(retries) == killed
    for number, retry in retries.items():
        assert retry.state is TrialState.COMPLETE
        assert RetryHeartbeatStaleTrialCallback.retry_history(retry) == [number]
        assert retry.params == trials[number].params
    assert sum(t.state is TrialState.COMPLETE for t in trials) >= target
    assert not any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in trials)
    # The heartbeats are bookkeeping, not attrs of the trials.
    assert not any(key.endswith("heartbeat") for t in trials for key in t.system_attrs)
