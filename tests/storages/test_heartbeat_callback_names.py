"""The stale-trial callback under Optuna 5's name and its deprecated old names.

``heartbeat_stale_trial_callback`` / ``get_heartbeat_stale_trial_callback`` /
``RetryHeartbeatStaleTrialCallback`` are current; ``failed_trial_callback``,
``get_failed_trial_callback`` and ``RetryFailedTrialCallback`` still work and warn with a
FutureWarning, as in Optuna.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tansaku.storages import (
    BaseHeartbeat,
    JournalStorage,
    RDBStorage,
    RetryFailedTrialCallback,
    RetryHeartbeatStaleTrialCallback,
)
from tansaku.storages.journal import JournalFileBackend

StorageWithHeartbeat = Callable[..., BaseHeartbeat]
BACKENDS: dict[str, Callable[[Path], StorageWithHeartbeat]] = {
    "sqlite": lambda d: lambda **kw: RDBStorage(f"sqlite:///{d / 'db.sqlite'}", **kw),
    "journal_file": lambda d: (
        lambda **kw: JournalStorage(JournalFileBackend(str(d / "journal.log")), **kw)
    ),
}


@pytest.fixture(params=sorted(BACKENDS))
def make_storage(request: pytest.FixtureRequest, tmp_path: Path) -> StorageWithHeartbeat:
    return BACKENDS[request.param](tmp_path)


def _callback(study: Any, trial: Any) -> None:
    pass


def test_new_name_is_kept_without_warning(make_storage: StorageWithHeartbeat) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        storage = make_storage(heartbeat_interval=1, heartbeat_stale_trial_callback=_callback)
        assert storage.get_heartbeat_stale_trial_callback() is _callback
        copy = pickle.loads(pickle.dumps(storage))
        assert copy.get_heartbeat_stale_trial_callback() is _callback


def test_old_argument_name_warns_and_still_works(make_storage: StorageWithHeartbeat) -> None:
    with pytest.warns(FutureWarning, match="failed_trial_callback"):
        storage = make_storage(heartbeat_interval=1, failed_trial_callback=_callback)
    assert storage.get_heartbeat_stale_trial_callback() is _callback
    with pytest.warns(FutureWarning, match="get_failed_trial_callback"):
        assert storage.get_failed_trial_callback() is _callback


def test_both_argument_names_are_refused(make_storage: StorageWithHeartbeat) -> None:
    with pytest.raises(ValueError, match="failed_trial_callback=.*heartbeat_stale_trial_callback"):
        make_storage(
            heartbeat_interval=1,
            heartbeat_stale_trial_callback=_callback,
            failed_trial_callback=_callback,
        )


def test_retry_callback_old_name_warns_and_is_the_new_class() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        RetryHeartbeatStaleTrialCallback(max_retry=1)
    with pytest.warns(FutureWarning, match="RetryHeartbeatStaleTrialCallback"):
        old = RetryFailedTrialCallback(max_retry=1)
    assert isinstance(old, RetryHeartbeatStaleTrialCallback)
    with pytest.raises(ValueError, match="max_retry=-1"):
        RetryHeartbeatStaleTrialCallback(max_retry=-1)
