"""A worker SIGKILLed mid-trial: a later short-lived process fails its trial on its first ask.

Real processes: the worker runs ``optimize`` and is killed inside its objective; once the
grace period has passed, a new process that runs a single trial (``optimize(n_trials=1)``, or
one ``ask``/``tell``) finds the dead worker's trial stale and fails it. No process stays up
in between, which is the case a check made only by long-lived workers misses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tansaku
from tansaku.trial import TrialState
from tests.storages import servers

GRACE = 2
_SCRIPT = """
import sys, pathlib, time
import tansaku
from tansaku.storages import JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend

kind, where, role, marker = sys.argv[1:5]
hb = dict(heartbeat_interval=1, grace_period={grace})
if kind == "rdb":
    storage = RDBStorage(where, **hb)
elif kind == "journal_file":
    storage = JournalStorage(JournalFileBackend(where), **hb)
else:
    url, prefix = where.split("|")
    storage = JournalStorage(JournalRedisBackend(url=url, prefix=prefix), **hb)
study = tansaku.load_study(study_name="s", storage=storage)

if role == "hang":
    def objective(trial):
        trial.suggest_float("x", 0, 1)
        pathlib.Path(marker).write_text(str(trial.number))
        time.sleep(3600)
    study.optimize(objective, n_trials=1)
elif role == "optimize":
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
else:
    trial = study.ask()
    study.tell(trial, trial.suggest_float("x", 0, 1))
"""


def _storage_args(kind: str, tmp_path: Path) -> tuple[str, str]:
    if kind == "sqlite":
        return "rdb", f"sqlite:///{tmp_path / 'shared.db'}"
    if kind == "postgresql":
        return "rdb", servers.new_postgresql_url()
    if kind == "journal_file":
        return "journal_file", str(tmp_path / "journal.log")
    args = servers.new_redis_backend_args()
    return "journal_redis", f"{args['url']}|{args['prefix']}"


def _open(kind: str, where: str) -> tansaku.storages.BaseStorage:
    from tansaku.storages import JournalStorage, RDBStorage
    from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend

    if kind == "rdb":
        return RDBStorage(where)
    if kind == "journal_file":
        return JournalStorage(JournalFileBackend(where))
    url, prefix = where.split("|")
    return JournalStorage(JournalRedisBackend(url=url, prefix=prefix))


def _run(script: Path, *args: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, str(script), *args], env=environment)


@pytest.mark.parametrize("role", ["optimize", "ask"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "journal_file", "journal_redis"])
def test_short_lived_process_fails_a_killed_workers_trial(
    tmp_path: Path, backend: str, role: str
) -> None:
    kind, where = _storage_args(backend, tmp_path)
    tansaku.create_study(study_name="s", storage=_open(kind, where))
    script = tmp_path / "worker.py"
    script.write_text(_SCRIPT.format(grace=GRACE))
    marker = tmp_path / "inside-objective"

    worker = _run(script, kind, where, "hang", str(marker))
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # the worker is inside its objective, trial RUNNING
            assert worker.poll() is None, "the worker ended before its objective ran"
            assert time.monotonic() < deadline, "the worker never reached its objective"
            time.sleep(0.05)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
    # Its last heartbeat was sent before the kill: after the grace period (and a margin) it
    # is stale by any clock.
    time.sleep(GRACE + 1)

    recovery = _run(script, kind, where, role, str(marker))
    assert recovery.wait(timeout=120) == 0

    trials = tansaku.load_study(study_name="s", storage=_open(kind, where)).trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE]
