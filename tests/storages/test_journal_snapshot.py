"""Journal snapshots: a long journal opens from a snapshot, with the same result as a replay."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import tansaku
from tansaku.distributions import FloatDistribution, distribution_to_json
from tansaku.storages.journal import (
    JournalFileBackend,
    JournalRedisBackend,
    JournalStorage,
    _snapshot,
)
from tansaku.storages.journal._storage import OpCode
from tansaku.study import StudyDirection
from tansaku.trial import TrialState
from tests.storages._optuna_fixtures import FIXTURES, dump, expected, normalize

# Twice the records past which a snapshot is written: the snapshot comes from the real
# threshold, and the replay it saves is most of the journal.
N_TRIALS = 2 * _snapshot.SNAPSHOT_MIN_RECORDS


def _file_storage(path: Path) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(path)))


def _write_long_journal(path: Path, n_trials: int) -> None:
    """A journal of one study and ``n_trials`` finished trials, one record each, written
    directly (building it through the API would take longer than the test may)."""
    distribution = distribution_to_json(FloatDistribution(-1.0, 1.0))
    lines = [
        json.dumps(
            {
                "op_code": OpCode.CREATE_STUDY,
                "worker_id": "w",
                "study_name": "long",
                "directions": [int(StudyDirection.MINIMIZE)],
            }  # fmt: skip
        )
    ]
    for number in range(n_trials):
        x = (number % 2000) / 1000.0 - 1.0
        lines.append(
            json.dumps(
                {
                    "op_code": OpCode.CREATE_TRIAL,
                    "worker_id": "w",
                    "study_id": 0,
                    "datetime_start": "2026-01-01T00:00:00+00:00",
                    "datetime_complete": "2026-01-01T00:00:01+00:00",
                    "state": int(TrialState.COMPLETE),
                    "value": None,
                    "values": [x * x],
                    "distributions": {"x": distribution},
                    "params": {"x": x},
                    "user_attrs": {},
                    "system_attrs": {},
                    "intermediate_values": {"0": x},
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")


def test_long_journal_opens_from_its_snapshot_replaying_only_newer_records(
    tmp_path: Path,
) -> None:
    path = tmp_path / "long.log"
    _write_long_journal(path, N_TRIALS)

    first = _file_storage(path)  # no snapshot yet: replays everything, then writes one
    assert first.n_records_replayed == N_TRIALS + 1
    assert Path(f"{path}.snapshot").exists()

    second = _file_storage(path)
    assert second.n_records_replayed == 0
    study_id = second.get_study_id_from_name("long")
    replayed = first.get_all_trials(study_id, deepcopy=False)
    restored = second.get_all_trials(study_id, deepcopy=False)
    assert len(restored) == N_TRIALS
    for index in (0, 1, 777, N_TRIALS - 1):
        assert restored[index] == replayed[index]
        assert restored[index]._trial_id == replayed[index]._trial_id
    assert second.get_best_trial(study_id).number == first.get_best_trial(study_id).number

    # Records appended after the snapshot are replayed on top of it, and nothing else is.
    study = tansaku.load_study(study_name="long", storage=second)
    study.optimize(lambda t: t.suggest_float("x", -1.0, 1.0), n_trials=5)
    third = _file_storage(path)
    assert third.n_records_replayed == 5 * 3  # create, param, state per trial
    assert len(third.get_all_trials(study_id)) == N_TRIALS + 5
    assert third.get_all_trials(study_id)[-1].params == study.trials[-1].params


def test_snapshot_is_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_snapshot, "SNAPSHOT_MIN_RECORDS", 1)
    path = tmp_path / "small.log"
    study = tansaku.create_study(study_name="s", storage=_file_storage(path))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    header, body = Path(f"{path}.snapshot").read_bytes().split(b"\n", 1)
    assert set(json.loads(header)) == {"number", "offset", "digest"}
    assert json.loads(body)["format"] == _snapshot.SNAPSHOT_FORMAT


def test_state_from_snapshot_equals_full_replay_of_optunas_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_snapshot, "SNAPSHOT_MIN_RECORDS", 1)
    path = tmp_path / "optuna.log"
    shutil.copy(FIXTURES / "optuna_5_0.log", path)
    _file_storage(path)  # replays and writes the snapshot
    from_snapshot = _file_storage(path)
    assert from_snapshot.n_records_replayed == 0
    assert normalize(dump(from_snapshot)) == normalize(expected("journal"))
    # Ids continue where the replay left them: a new trial gets the next id and number.
    study_id = from_snapshot.get_study_id_from_name("single")
    trial_id = from_snapshot.create_new_trial(study_id)
    assert trial_id == _file_storage(path).get_trial_id_from_study_id_trial_number(study_id, 6)


def test_snapshot_of_another_journal_is_ignored_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_snapshot, "SNAPSHOT_MIN_RECORDS", 1)
    path = tmp_path / "j.log"
    study = tansaku.create_study(study_name="old", storage=_file_storage(path))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    stale = Path(f"{path}.snapshot").read_bytes()
    path.unlink()
    Path(f"{path}.snapshot").unlink()
    tansaku.create_study(study_name="new", storage=_file_storage(path))
    Path(f"{path}.snapshot").write_bytes(stale)  # left over from the replaced journal
    with pytest.warns(RuntimeWarning, match="does not match"):
        storage = _file_storage(path)
    assert [s.study_name for s in storage.get_all_studies()] == ["new"]


def test_redis_journal_opens_from_its_snapshot(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_snapshot, "SNAPSHOT_MIN_RECORDS", 50)
    monkeypatch.setattr(_snapshot, "SNAPSHOT_FRACTION", 0.0)
    storage = JournalStorage(JournalRedisBackend(redis_url, prefix="snap"))
    study = tansaku.create_study(study_name="s", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40)  # 121 records
    reader = JournalStorage(JournalRedisBackend(redis_url, prefix="snap"))
    assert reader.n_records_replayed < 50
    assert [t.params for t in reader.get_all_trials(study._study_id)] == [
        t.params for t in study.trials
    ]
