"""Removing a waiting trial from the dashboard while a worker takes it at the same moment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.dashboard._service import DashboardService
from tansaku.storages import BaseStorage, JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend
from tansaku.trial import TrialState

# Each backend twice over one file: the dashboard's storage and a worker's, which is another
# process as far as the dashboard's storage knows.
OPENERS: dict[str, Callable[[Path], BaseStorage]] = {
    "sqlite": lambda directory: RDBStorage(f"sqlite:///{directory / 'race.db'}"),
    "journal_file": lambda directory: JournalStorage(
        JournalFileBackend(str(directory / "race.log"))
    ),
}


@pytest.mark.parametrize("backend", list(OPENERS))
def test_a_trial_a_worker_takes_during_the_removal_stays_the_workers(
    backend: str, tmp_path: Path
) -> None:
    dashboard_storage = OPENERS[backend](tmp_path)
    study = tansaku.create_study(study_name="queue", storage=dashboard_storage)
    study.enqueue_trial({"x": 1.0})
    study_id = study._study_id
    trial_id = dashboard_storage.get_trial_id_from_study_id_trial_number(study_id, 0)
    worker = OPENERS[backend](tmp_path)
    service = DashboardService(dashboard_storage)
    service.followed(study_id)
    taken: list[bool] = []
    write = dashboard_storage.set_trial_state_values

    def worker_first(*args: Any, **kwargs: Any) -> bool:
        # The worker takes the trial between whatever the removal checked and its first write.
        if not taken:
            taken.append(worker.set_trial_state_values(trial_id, TrialState.RUNNING))
        return write(*args, **kwargs)

    dashboard_storage.set_trial_state_values = worker_first  # type: ignore[method-assign]

    with pytest.raises(ValueError, match="Trial 0 is RUNNING: only a WAITING trial"):
        service.remove_waiting(study_id, 0)

    assert taken == [True]
    assert worker.get_trial(trial_id).state is TrialState.RUNNING
    worker.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])  # the worker finishes
    assert worker.get_trial(trial_id).state is TrialState.COMPLETE


@pytest.mark.parametrize("backend", list(OPENERS))
def test_removing_a_waiting_trial_fails_it_and_a_finished_one_is_refused(
    backend: str, tmp_path: Path
) -> None:
    storage = OPENERS[backend](tmp_path)
    study = tansaku.create_study(study_name="queue", storage=storage)
    study.enqueue_trial({"x": 1.0})
    study.add_trial(tansaku.trial.create_trial(value=1.0))
    service = DashboardService(storage)

    assert service.remove_waiting(study._study_id, 0)["state"] == "FAIL"
    with pytest.raises(ValueError, match="Trial 1 is COMPLETE: only a WAITING trial"):
        service.remove_waiting(study._study_id, 1)
    with pytest.raises(ValueError, match="Trial 0 is FAIL"):
        service.remove_waiting(study._study_id, 0)
    assert [t.state for t in storage.get_all_trials(study._study_id)] == [
        TrialState.FAIL,
        TrialState.COMPLETE,
    ]
