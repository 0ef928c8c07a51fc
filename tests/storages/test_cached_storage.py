"""_CachedStorage, the name Optuna exports for its RDBStorage wrapper, forwards every call."""

from __future__ import annotations

import pickle
from pathlib import Path

import tansaku
from tansaku.storages import BaseStorage, RDBStorage, _CachedStorage
from tansaku.storages._heartbeat import is_heartbeat_enabled


def test_a_wrapped_rdb_storage_runs_a_study_and_pickles(tmp_path: Path) -> None:
    rdb = RDBStorage(f"sqlite:///{tmp_path / 'db.sqlite'}", heartbeat_interval=5)
    storage = _CachedStorage(rdb)
    assert isinstance(storage, BaseStorage) and is_heartbeat_enabled(storage)
    study = tansaku.create_study(study_name="s", storage=storage)
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3)
    copy = pickle.loads(pickle.dumps(storage))
    assert [t.number for t in tansaku.load_study(study_name="s", storage=copy).trials] == [0, 1, 2]
    assert len(tansaku.load_study(study_name="s", storage=rdb).trials) == 3
    assert storage.url == rdb.url  # other attributes are the wrapped storage's
