"""The journal writes each param's own distribution text, whatever it wrote before (it keeps
the texts it wrote, and equal distributions may have different texts)."""

from __future__ import annotations

from pathlib import Path

import tansaku
from tansaku.storages import JournalStorage
from tansaku.storages.journal import JournalFileBackend


def test_equal_categorical_choices_of_other_types_read_back_as_written(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.log")
    study = tansaku.create_study(study_name="s", storage=JournalStorage(JournalFileBackend(path)))
    trial = study.ask()
    # (1, 2) and (1.0, 2.0) are equal distributions; their texts differ.
    trial.suggest_categorical("ints", [1, 2])
    trial.suggest_categorical("floats", [1.0, 2.0])
    trial.suggest_categorical("ints_again", [1, 2])
    trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_float("y", 0.0, 1.0)
    study.tell(trial, 0.0)
    reread = tansaku.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(path)))
    params = reread.trials[0].params
    assert [type(params[name]) for name in ("ints", "floats", "ints_again")] == [int, float, int]
    assert reread.trials[0].distributions == study.trials[0].distributions
