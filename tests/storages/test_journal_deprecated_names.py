"""The journal names Optuna deprecated in 4.0 still work from ``tansaku.storages`` and warn."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku import storages
from tansaku.storages import journal
from tests.storages import servers


def test_journal_file_storage_warns_and_is_a_working_backend(tmp_path: Path) -> None:
    with pytest.warns(FutureWarning, match="JournalFileStorage.*JournalFileBackend"):
        backend = storages.JournalFileStorage(str(tmp_path / "journal.log"))
    assert isinstance(backend, journal.JournalFileBackend)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        copy = pickle.loads(pickle.dumps(backend))  # a copy does not warn again
    study = tansaku.create_study(storage=storages.JournalStorage(copy))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2


def test_journal_redis_storage_warns_and_is_a_working_backend() -> None:
    with pytest.warns(FutureWarning, match="JournalRedisStorage.*JournalRedisBackend"):
        backend = storages.JournalRedisStorage(**servers.new_redis_backend_args())
    assert isinstance(backend, journal.JournalRedisBackend)
    study = tansaku.create_study(storage=storages.JournalStorage(backend))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2


def test_base_journal_log_storage_warns_and_is_a_backend_base() -> None:
    class ListBackend(storages.BaseJournalLogStorage):
        def __init__(self) -> None:
            super().__init__()
            self.logs: list[dict[str, Any]] = []

        def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
            return self.logs[log_number_from:]

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            self.logs.extend(logs)

    assert issubclass(storages.BaseJournalLogStorage, journal.BaseJournalBackend)
    with pytest.warns(FutureWarning, match="BaseJournalLogStorage.*BaseJournalBackend"):
        backend = ListBackend()
    study = tansaku.create_study(storage=storages.JournalStorage(backend))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2


@pytest.mark.parametrize("name", ["JournalFileSymlinkLock", "JournalFileOpenLock"])
def test_locks_from_the_old_import_path_warn(name: str, tmp_path: Path) -> None:
    with pytest.warns(FutureWarning, match=f"tansaku.storages.{name}.*journal.{name}"):
        lock = getattr(storages, name)(str(tmp_path / "journal.log"))
    assert isinstance(lock, getattr(journal, name))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        getattr(journal, name)(str(tmp_path / "journal.log"))
        pickle.loads(pickle.dumps(lock))
