"""Fixtures of the dashboard tests: a SQLite study and a real server over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tansaku
from tansaku.storages import RDBStorage
from tests.dashboard._server import serving

XSS_NAME = "<script>alert(1)</script>"


def objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    choice = trial.suggest_categorical("choice", ["plain", "<img src=x onerror=alert(2)>"])
    for step in range(3):
        trial.report(x * step, step)
    trial.set_user_attr("note", "<b onmouseover=alert(3)>bold</b>")
    return x * x + (1.0 if choice == "plain" else 0.0)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dashboard.db'}"


@pytest.fixture
def storage(db_url: str) -> RDBStorage:
    """A SQLite storage with one study named like a script, of 12 trials, 10 complete."""
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    rdb = RDBStorage(db_url)
    study = tansaku.create_study(
        study_name=XSS_NAME, storage=rdb, sampler=tansaku.samplers.RandomSampler(seed=1)
    )
    study.optimize(objective, n_trials=10)
    study.ask()  # trial 10: RUNNING
    study.enqueue_trial({"x": 1.0, "choice": "plain"})  # trial 11: WAITING
    study.set_user_attr("owner", "<i>someone</i>")
    return rdb


@pytest.fixture
def server(storage: RDBStorage) -> Iterator[str]:
    with serving(storage) as base:
        yield base
