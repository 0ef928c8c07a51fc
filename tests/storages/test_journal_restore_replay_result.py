"""JournalStorage.restore_replay_result: start from a snapshot, then replay what follows it."""

from __future__ import annotations

from pathlib import Path

import pytest

import tansaku
from tansaku.storages import JournalStorage
from tansaku.storages.journal import JournalFileBackend, _snapshot


def _objective(trial: tansaku.Trial) -> float:
    return trial.suggest_float("x", 0, 1)


def test_restore_from_a_snapshot_then_replay_the_records_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "journal.log")
    monkeypatch.setattr(_snapshot, "SNAPSHOT_MIN_RECORDS", 1)  # a snapshot after every write
    writer = JournalStorage(JournalFileBackend(path))
    study = tansaku.create_study(study_name="s", storage=writer)
    study.optimize(_objective, n_trials=3)
    snapshot = JournalFileBackend(path).load_snapshot()
    assert snapshot is not None
    monkeypatch.setattr(_snapshot, "SNAPSHOT_MIN_RECORDS", 10**9)  # no newer snapshot
    study.optimize(_objective, n_trials=2)

    reader = JournalStorage(JournalFileBackend(path))
    reader.restore_replay_result(snapshot)
    replayed_before = reader.n_records_replayed
    trials = tansaku.load_study(study_name="s", storage=reader).trials
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    assert [t.value for t in trials] == [t.value for t in study.trials]
    # Only the records of the two trials after the snapshot were replayed one by one.
    assert 0 < reader.n_records_replayed - replayed_before < len(_records(path))


def test_an_unreadable_snapshot_changes_nothing(tmp_path: Path) -> None:
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))
    study = tansaku.create_study(study_name="s", storage=storage)
    study.optimize(_objective, n_trials=2)
    with pytest.warns(RuntimeWarning, match="unreadable snapshot"):
        storage.restore_replay_result(b"not a snapshot")
    assert len(tansaku.load_study(study_name="s", storage=storage).trials) == 2


def _records(path: str) -> list[object]:
    return list(JournalFileBackend(path).read_logs(0))
