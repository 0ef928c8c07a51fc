"""A replayed trial carries the times its records hold from the moment the in-memory state
holds it: no reader ever sees the replaying process's clock in their place."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from tansaku.storages import JournalStorage
from tansaku.storages._in_memory import InMemoryStorage
from tansaku.storages.journal import JournalFileBackend
from tansaku.trial import FrozenTrial, TrialState

START = "2001-02-03T04:05:06+00:00"
COMPLETE = "2001-02-03T04:05:07+00:00"


def _local(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).astimezone().replace(tzinfo=None)


def test_replayed_trial_is_indexed_with_the_recorded_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = JournalFileBackend(str(tmp_path / "journal.log"))
    backend.append_logs(
        [
            {"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]},
            {"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": START},
            {
                "op_code": 6,
                "worker_id": "w",
                "trial_id": 0,
                "state": int(TrialState.COMPLETE),
                "values": [1.0],
                "datetime_complete": COMPLETE,
            },
        ]
    )
    # What the state holds each time a trial is stored or changes state (under its lock, at
    # the moment the trial becomes visible to readers in that state).
    seen: list[tuple[TrialState, Any, Any]] = []
    index_new_state = InMemoryStorage._index_new_state

    def watched(self: InMemoryStorage, record: Any, trial: FrozenTrial) -> None:
        index_new_state(self, record, trial)
        seen.append((trial.state, trial.datetime_start, trial.datetime_complete))

    monkeypatch.setattr(InMemoryStorage, "_index_new_state", watched)
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))
    assert seen == [
        (TrialState.RUNNING, _local(START), None),
        (TrialState.COMPLETE, _local(START), _local(COMPLETE)),
    ]
    trial = storage.get_trial(0)
    assert (trial.datetime_start, trial.datetime_complete) == (_local(START), _local(COMPLETE))
