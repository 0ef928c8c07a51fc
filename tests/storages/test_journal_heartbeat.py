"""Heartbeats on a journal: records that stay out of the trials, staleness, snapshots, Optuna.

The end-to-end test (workers SIGKILLed mid-trial, their trials failed and retried) is in
``test_many_workers.py``, on journal files and Redis alike.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import time
from pathlib import Path

import pytest

import tansaku
from tansaku.storages._callbacks import RetryHeartbeatStaleTrialCallback
from tansaku.storages._heartbeat import fail_stale_trials, is_heartbeat_enabled
from tansaku.storages.journal import JournalFileBackend, JournalStorage, _heartbeats
from tansaku.storages.journal._snapshot import dump_state, load_state
from tansaku.study import StudyDirection
from tansaku.trial import TrialState

REPO = Path(__file__).resolve().parents[2]
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"


def _storage(path: Path, **heartbeat: object) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(path)), **heartbeat)  # type: ignore[arg-type]


def test_heartbeats_are_off_unless_an_interval_is_given(tmp_path: Path) -> None:
    assert not is_heartbeat_enabled(_storage(tmp_path / "j.log"))
    assert is_heartbeat_enabled(_storage(tmp_path / "j.log", heartbeat_interval=5))


@pytest.mark.parametrize(
    ("argument", "value"),
    [("heartbeat_interval", 0), ("heartbeat_interval", -1), ("grace_period", 0)],
)
def test_interval_and_grace_must_be_positive(tmp_path: Path, argument: str, value: int) -> None:
    with pytest.raises(ValueError, match=f"JournalStorage: {argument}={value} must be > 0"):
        _storage(tmp_path / "j.log", **{argument: value})


def test_trial_is_stale_once_its_heartbeats_stop_for_the_grace_period(tmp_path: Path) -> None:
    storage = _storage(tmp_path / "j.log", heartbeat_interval=1, grace_period=1)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    beating = storage.create_new_trial(study_id)
    # Its worker has heartbeats off, so sends none.
    silent = _storage(tmp_path / "j.log").create_new_trial(study_id)
    storage.record_heartbeat(beating)
    assert storage._get_stale_trial_ids(study_id) == []
    time.sleep(1.2)
    # Another process that has just opened the journal judges by the time the heartbeat
    # was written: a short-lived worker can fail a dead worker's trial at once.
    other = _storage(tmp_path / "j.log", heartbeat_interval=1, grace_period=1)
    assert other._get_stale_trial_ids(study_id) == [beating]
    assert storage._get_stale_trial_ids(study_id) == [beating]
    storage.record_heartbeat(beating)
    assert storage._get_stale_trial_ids(study_id) == []
    assert silent not in storage._get_stale_trial_ids(study_id)


class _Later:
    """The clocks of ``_heartbeats.py``, ``seconds`` ahead: time passes without a sleep."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def monotonic(self) -> float:
        return time.monotonic() + self.seconds

    def time(self) -> float:
        return time.time() + self.seconds


@pytest.mark.parametrize("start", ["create", "claim_waiting"])
def test_trial_whose_worker_never_beat_goes_stale(
    tmp_path: Path, start: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Creating a trial (or claiming a waiting one) is its first heartbeat: a worker killed
    before its heartbeat thread beats once leaves a trial that goes stale, in this process,
    in one that opens the journal later, and in one that starts from a snapshot."""
    path = tmp_path / "j.log"
    storage = _storage(path, heartbeat_interval=1, grace_period=2)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    if start == "create":
        trial_id = storage.create_new_trial(study_id)
    else:
        waiting = tansaku.trial.create_trial(state=TrialState.WAITING)
        trial_id = storage.create_new_trial(study_id, template_trial=waiting)
        assert storage.set_trial_state_values(trial_id, TrialState.RUNNING)
    # One record started the trial: no extra append for its heartbeat.
    assert len(path.read_text().splitlines()) == (2 if start == "create" else 3)
    fresh = _storage(path, heartbeat_interval=1, grace_period=2)
    fresh._save_snapshot()
    from_snapshot = _storage(path, heartbeat_interval=1, grace_period=2)
    assert from_snapshot.n_records_replayed == 0
    readers = [storage, fresh, from_snapshot]
    assert [reader._get_stale_trial_ids(study_id) for reader in readers] == [[], [], []]

    monkeypatch.setattr(_heartbeats, "time", _Later(2.5))

    assert [reader._get_stale_trial_ids(study_id) for reader in readers] == [[trial_id]] * 3


def test_trial_started_without_heartbeats_is_never_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage with heartbeats off writes none: its trials never go stale elsewhere."""
    path = tmp_path / "j.log"
    storage = _storage(path)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    storage.create_new_trial(study_id)
    assert "tansaku:heartbeat" not in path.read_text()
    monkeypatch.setattr(_heartbeats, "time", _Later(100))
    checker = _storage(path, heartbeat_interval=1, grace_period=1)
    assert checker._get_stale_trial_ids(study_id) == []


def test_heartbeat_records_are_not_trial_attrs_and_end_with_the_trial(tmp_path: Path) -> None:
    storage = _storage(tmp_path / "j.log", heartbeat_interval=1, grace_period=1)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    storage.record_heartbeat(trial_id)
    storage.set_trial_system_attr(trial_id, "kept", 1)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    storage.record_heartbeat(trial_id)  # a late beat of a finished trial: harmless
    assert storage.get_trial(trial_id).system_attrs == {"kept": 1}
    time.sleep(1.2)
    assert storage._get_stale_trial_ids(study_id) == []
    assert _storage(tmp_path / "j.log").get_trial(trial_id).system_attrs == {"kept": 1}


def test_stale_trial_is_failed_once_and_retried_with_its_params(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    options = {
        "heartbeat_interval": 1,
        "grace_period": 1,
        "heartbeat_stale_trial_callback": RetryHeartbeatStaleTrialCallback(),
    }
    study = tansaku.create_study(study_name="s", storage=_storage(path, **options))
    dead = study.ask()
    dead.suggest_float("x", 0, 1)
    study._storage.record_heartbeat(dead._trial_id)  # type: ignore[attr-defined]
    time.sleep(1.2)
    # Two workers check in turn: the trial is failed and retried exactly once.
    other = tansaku.load_study(study_name="s", storage=_storage(path, **options))
    time.sleep(1.2)
    fail_stale_trials(study)
    fail_stale_trials(other)
    trials = other.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.WAITING]
    assert RetryHeartbeatStaleTrialCallback.retried_trial_number(trials[1]) == dead.number
    assert trials[1].params == trials[0].params


def test_snapshot_keeps_which_running_trials_send_heartbeats(tmp_path: Path) -> None:
    storage = _storage(tmp_path / "j.log", heartbeat_interval=1)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    storage.record_heartbeat(trial_id)
    snapshot = dump_state(storage._state, 4, storage._replay.heartbeats.trial_ids())
    _, n_records, beating = load_state(snapshot)
    assert (n_records, beating) == (4, [trial_id])


def test_pickled_storage_keeps_its_heartbeat_settings(tmp_path: Path) -> None:
    storage = _storage(tmp_path / "j.log", heartbeat_interval=3, grace_period=7)
    copy = pickle.loads(pickle.dumps(storage))
    assert (copy.get_heartbeat_interval(), copy.grace_period) == (3, 7)


_OPTUNA_READ = """
import json, sys
import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
storage = JournalStorage(JournalFileBackend(sys.argv[1]))
study = optuna.load_study(study_name="s", storage=storage)
print(json.dumps([[t.state.name, t.params, t.value] for t in study.trials]))
"""


def test_optuna_reads_a_journal_with_heartbeat_records(tmp_path: Path) -> None:
    if not BENCH_PYTHON.exists():
        pytest.skip("needs Optuna 5.0 in the benchmark environment (make bench-env)")
    path = tmp_path / "j.log"
    study = tansaku.create_study(study_name="s", storage=_storage(path, heartbeat_interval=1))
    study.enqueue_trial({"x": 0.5})  # claimed by the first trial: a record with a heartbeat
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    study.ask()  # left running: its creation record is its only heartbeat
    records = [json.loads(line) for line in path.read_text().splitlines()]
    starts = [r for r in records if r["op_code"] in (4, 6) and r.get("state", 0) == 0]
    assert len(starts) == 4 and all("tansaku:heartbeat" in r for r in starts)
    result = subprocess.run(
        [str(BENCH_PYTHON), "-c", _OPTUNA_READ, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    read = json.loads(result.stdout)
    assert read == [[t.state.name, t.params, t.value] for t in study.trials]
    assert [state for state, _, _ in read] == ["COMPLETE"] * 3 + ["RUNNING"]
