"""JournalStorage on a file: Optuna's journals, torn records, files that are not journals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import tansaku
from tansaku.storages.journal import JournalFileBackend, JournalStorage
from tansaku.study import StudyDirection
from tansaku.trial import TrialState
from tests.storages._optuna_fixtures import FIXTURES, dump, expected, normalize


@pytest.fixture
def optuna_log(tmp_path: Path) -> Path:
    path = tmp_path / "optuna.log"
    shutil.copy(FIXTURES / "optuna_5_0.log", path)
    return path


def _storage(path: Path) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(path)))


def test_journal_written_by_optuna_reads_as_optuna_read_it(optuna_log: Path) -> None:
    assert normalize(dump(_storage(optuna_log))) == normalize(expected("journal"))


def test_study_in_optuna_journal_continues_with_dense_numbers(optuna_log: Path) -> None:
    study = tansaku.load_study(study_name="single", storage=_storage(optuna_log))
    study.optimize(lambda t: t.suggest_float("x", -5.0, 5.0) ** 2, n_trials=3)
    assert [t.number for t in study.trials] == list(range(9))
    assert study.trials[5].params == {"x": 1.5}
    assert all(t.state is TrialState.COMPLETE for t in study.trials[6:])
    # A fresh reader replays the records tansaku appended in Optuna's format.
    assert len(_storage(optuna_log).get_all_trials(study._study_id)) == 9


def test_torn_last_record_is_skipped_and_later_records_are_read(tmp_path: Path) -> None:
    path = tmp_path / "torn.log"
    storage = _storage(path)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    storage.create_new_trial(study_id)
    with path.open("ab") as log:  # a writer killed in the middle of its record
        log.write(b'{"op_code": 4, "worker_id": "dead", "study_')
    reader = _storage(path)
    assert len(reader.get_all_trials(study_id)) == 1
    with pytest.warns(RuntimeWarning, match="torn"):
        storage.create_new_trial(study_id)
        trials = _storage(path).get_all_trials(study_id)
        assert len(reader.get_all_trials(study_id)) == 2
    assert [t.number for t in trials] == [0, 1]


def test_file_that_is_not_a_journal_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\neggs\n")
    with pytest.raises(ValueError, match="not a journal"):
        JournalFileBackend(str(path))
    assert path.read_text() == "shopping list\neggs\n"


def test_records_are_json_lines_in_optunas_format(tmp_path: Path) -> None:
    path = tmp_path / "format.log"
    study = tansaku.create_study(study_name="f", storage=_storage(path))
    study.optimize(lambda t: t.suggest_int("n", 0, 3), n_trials=1)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["op_code"] for r in records] == [0, 4, 5, 6]
    assert records[3]["state"] == int(TrialState.COMPLETE)
    assert records[2]["distribution"].startswith('{"name": "IntDistribution"')
