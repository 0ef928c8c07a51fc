"""A study deleted while a process optimizes it: the error names the study, on every storage."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tansaku
from tansaku.storages import BaseStorage, InMemoryStorage
from tansaku.study._deleted import DeletedStudyError
from tansaku.trial import Trial
from tests.storages.test_deleted_study_caches import PAIRS

BACKENDS = ["inmemory", *PAIRS]


@pytest.fixture(name="pair", params=BACKENDS)
def storage_pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[BaseStorage, BaseStorage]]:
    """The optimizing process's storage, and another object on the same data (the deleter)."""
    if request.param == "inmemory":
        shared = InMemoryStorage()  # a second thread would share the object itself
        yield shared, shared
        return
    mine, other = PAIRS[request.param](tmp_path)
    yield mine, other
    mine.remove_session()
    other.remove_session()


def _deleting_objective(other: BaseStorage, step: str) -> Callable[[Trial], float]:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            tansaku.delete_study(study_name="victim", storage=other)
            if step == "suggest":
                trial.suggest_float("y", 0, 1)
            elif step == "report":
                trial.report(0.5, 1)
            elif step == "user_attr":
                trial.set_user_attr("k", 1)
            elif step == "prune":
                trial.should_prune()
        return x

    return objective


@pytest.mark.parametrize("step", ["suggest", "report", "user_attr", "prune", "tell"])
def test_optimize_names_the_study_deleted_under_it(
    pair: tuple[BaseStorage, BaseStorage], step: str
) -> None:
    mine, other = pair
    study = tansaku.create_study(study_name="victim", storage=mine)
    study_id = study._study_id
    with pytest.raises(DeletedStudyError) as raised:
        study.optimize(_deleting_objective(other, step), n_trials=5)
    message = str(raised.value)
    assert "Study 'victim'" in message and f"study_id {study_id}" in message
    assert "deleted" in message
    assert isinstance(raised.value, KeyError)  # code that caught the storage's error still works


def test_ask_names_the_study_deleted_between_trials(
    pair: tuple[BaseStorage, BaseStorage],
) -> None:
    mine, other = pair
    study = tansaku.create_study(study_name="victim", storage=mine)
    study.tell(study.ask(), 1.0)
    tansaku.delete_study(study_name="victim", storage=other)
    with pytest.raises(DeletedStudyError, match=rf"Study 'victim' \(study_id {study._study_id}\)"):
        study.ask()


def test_tell_names_the_study_deleted_by_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    study = tansaku.create_study(study_name="victim", storage=url)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    code = f"import tansaku; tansaku.delete_study(study_name='victim', storage={url!r})"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=environment, timeout=120)
    with pytest.raises(KeyError):  # the trial's own calls get the storage's error
        trial.report(1.0, 0)
    with pytest.raises(DeletedStudyError, match=r"Study 'victim' \(study_id \d+\)"):
        study.tell(trial, 1.0)


def test_an_unrelated_key_error_passes_unchanged(pair: tuple[BaseStorage, BaseStorage]) -> None:
    mine, _ = pair
    study = tansaku.create_study(study_name="alive", storage=mine)

    def objective(trial: Trial) -> float:
        raise KeyError("the user's own")

    with pytest.raises(KeyError, match="the user's own") as raised:
        study.optimize(objective, n_trials=1)
    assert not isinstance(raised.value, DeletedStudyError)
