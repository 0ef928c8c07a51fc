"""Storages where ``fcntl`` does not exist (Windows), simulated on Linux.

A child process hides ``fcntl`` before importing tansaku: RDBStorage and JournalFileBackend
must import, and two such processes sharing a study on SQLite and on a journal file (whose
lock is then a JournalFileOpenLock) must lose no trial.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tansaku import load_study
from tansaku.storages import JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend

N_TRIALS = 15

_WORKER = textwrap.dedent(
    """
    import sys
    sys.modules["fcntl"] = None  # "import fcntl" now raises ImportError, as on Windows
    import tansaku
    from tansaku.storages import JournalStorage, RDBStorage
    from tansaku.storages import _file_lock
    from tansaku.storages.journal import JournalFileBackend, JournalFileOpenLock

    assert not _file_lock.HAVE_FLOCK
    kind, where, n_trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "sqlite":
        storage = RDBStorage("sqlite:///" + where)
    else:
        backend = JournalFileBackend(where)
        assert isinstance(backend._lock_obj, JournalFileOpenLock)
        storage = JournalStorage(backend)
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.create_study(study_name="s", storage=storage, load_if_exists=True)
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=n_trials)
    """
)


@pytest.mark.parametrize("kind", ["sqlite", "journal_file"])
def test_two_processes_share_a_study_without_fcntl(kind: str, tmp_path: Path) -> None:
    where = str(tmp_path / ("db.sqlite" if kind == "sqlite" else "journal.log"))
    if kind == "sqlite":  # created first, so that the two workers do not race to create it
        RDBStorage("sqlite:///" + where)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, kind, where, str(N_TRIALS)], stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err.decode()
    storage = (
        RDBStorage("sqlite:///" + where)
        if kind == "sqlite"
        else JournalStorage(JournalFileBackend(where))
    )
    trials = load_study(study_name="s", storage=storage).trials
    assert sorted(t.number for t in trials) == list(range(2 * N_TRIALS))
    assert all(t.state.is_finished() and t.value is not None for t in trials)
