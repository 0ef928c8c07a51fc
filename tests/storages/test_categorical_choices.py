"""Categorical choices beyond plain values on every storage: tuples come back as tuples, in this
process and in others, and one odd suggest never makes a study unreadable."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tansaku
from tansaku.samplers import RandomSampler
from tansaku.storages import BaseStorage, InMemoryStorage, JournalStorage, RDBStorage
from tansaku.storages.journal import JournalFileBackend
from tansaku.trial import TrialState
from tests.storages._contract_backends import contract_storage  # noqa: F401 (the fixture)

LAYERS = [(32,), (64, 32), (128, 64, 32)]


def _reopened(storage: BaseStorage) -> BaseStorage:
    """The same data through a new storage object with empty caches, as another process sees it."""
    return pickle.loads(pickle.dumps(storage))  # type: ignore[no-any-return]


def _layers_objective(trial: tansaku.Trial) -> float:
    layers = trial.suggest_categorical("layers", LAYERS)
    assert type(layers) is tuple
    return float(sum(layers))


def test_tuple_suggest_after_good_trials_completes_and_the_study_stays_readable(
    storage: BaseStorage,
) -> None:
    study = tansaku.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=5)
    study.optimize(lambda t: len(t.suggest_categorical("c", [(1, 2), (3, 4)])), n_trials=1)

    for seen in (storage, _reopened(storage)):
        trials = tansaku.load_study(study_name="s", storage=seen).trials
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
        assert trials[5].params["c"] in [(1, 2), (3, 4)]
        assert type(trials[5].params["c"]) is tuple
        (summary,) = tansaku.get_all_study_summaries(seen)
        assert summary.n_trials == 6
    copy = InMemoryStorage()
    tansaku.copy_study(from_study_name="s", from_storage=_reopened(storage), to_storage=copy)
    assert type(tansaku.load_study(study_name="s", storage=copy).trials[5].params["c"]) is tuple
    again = tansaku.load_study(study_name="s", storage=_reopened(storage))
    again.optimize(lambda t: len(t.suggest_categorical("c", [(1, 2), (3, 4)])), n_trials=1)
    assert len(again.trials) == 7


def test_tuple_choices_come_back_as_tuples_to_a_new_storage_object(storage: BaseStorage) -> None:
    study = tansaku.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(_layers_objective, n_trials=4)
    second = _reopened(storage)  # for InMemoryStorage, a copy: the reads below use it
    other = tansaku.load_study(study_name="s", storage=second, sampler=RandomSampler(seed=1))
    other.optimize(_layers_objective, n_trials=4)  # the same choices: no "dynamic value space"
    trials = tansaku.load_study(study_name="s", storage=_reopened(second)).trials
    assert len(trials) == 8
    for trial in trials:
        assert type(trial.params["layers"]) is tuple
        assert trial.distributions["layers"].choices == tuple(LAYERS)  # type: ignore[attr-defined]


_SECOND_PROCESS = textwrap.dedent(
    """
    import sys

    import tansaku
    from tansaku.storages import JournalStorage
    from tansaku.storages.journal import JournalFileBackend

    target = sys.argv[1]
    storage = target if "://" in target else JournalStorage(JournalFileBackend(target))
    study = tansaku.load_study(study_name="s", storage=storage)

    def objective(trial):
        layers = trial.suggest_categorical("layers", [(32,), (64, 32), (128, 64, 32)])
        assert type(layers) is tuple, layers
        return float(sum(layers))

    study.optimize(objective, n_trials=3)
    assert all(type(t.params["layers"]) is tuple for t in study.trials), study.trials
    """
)


@pytest.mark.parametrize("backend", ["sqlite", "journal_file"])
def test_second_process_suggesting_the_same_tuple_choices_works(
    tmp_path: Path, backend: str
) -> None:
    if backend == "sqlite":
        target = f"sqlite:///{tmp_path / 'study.db'}"
        storage: BaseStorage = RDBStorage(target)
    else:
        target = str(tmp_path / "journal.log")
        storage = JournalStorage(JournalFileBackend(target))
    study = tansaku.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(_layers_objective, n_trials=3)

    done = subprocess.run(
        [sys.executable, "-c", _SECOND_PROCESS, target],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr

    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
    assert all(type(t.params["layers"]) is tuple for t in trials)
