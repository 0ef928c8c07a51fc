"""Storages the parallel tests share between worker processes: SQLite and a journal file."""

from __future__ import annotations

from pathlib import Path

import pytest

import tansaku
from tansaku.storages import (
    BaseStorage,
    JournalStorage,
    RDBStorage,
    RetryHeartbeatStaleTrialCallback,
)
from tansaku.storages.journal import JournalFileBackend


def make_storage(kind: str, directory: Path, retry: bool = False) -> BaseStorage:
    """A storage of ``kind`` in ``directory``; ``retry`` re-enqueues trials of lost workers."""
    callback = RetryHeartbeatStaleTrialCallback() if retry else None
    if kind == "sqlite":
        return RDBStorage(
            f"sqlite:///{directory / 'study.db'}", heartbeat_stale_trial_callback=callback
        )
    return JournalStorage(
        JournalFileBackend(str(directory / "study.log")), heartbeat_stale_trial_callback=callback
    )


@pytest.fixture(params=["sqlite", "journal_file"])
def shared_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def shared_study(shared_kind: str, tmp_path: Path) -> tansaku.Study:
    return tansaku.create_study(storage=make_storage(shared_kind, tmp_path))
