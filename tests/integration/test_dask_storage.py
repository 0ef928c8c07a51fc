"""DaskStorage on a real local Dask cluster: the storage contract, and workers sharing a study.

The cluster's workers are processes of their own (no mocks). Marked ``cluster``: ``make
test-cluster`` installs Dask (``tansaku[cluster]``) and runs these; ``make test`` leaves them out.
Each contract test of one storage (the ``storage`` fixture of ``tests/storages``) runs here on a
fresh DaskStorage, in memory on the scheduler.
"""

from __future__ import annotations

import inspect
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.exceptions import DuplicatedStudyError
from tansaku.storages import BaseStorage, InMemoryStorage
from tansaku.trial import TrialState
from tests.integration._frameworks import require
from tests.parallel import _objectives
from tests.storages import (
    test_contract_changed_trials,
    test_contract_reading,
    test_contract_stateful,
    test_contract_studies,
    test_contract_trial_updates,
    test_contract_trials,
)

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    distributed = require("distributed", "cluster")
    # The workers unpickle the tests' objectives by module name: they need the repository on
    # their path, which they take from this process's environment when they start.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as dask_client,
        ):
            yield dask_client


@pytest.fixture(name="storage", params=["dask_inmemory"])
def dask_storage(client: Any) -> BaseStorage:
    """A new empty storage on the scheduler (the contract's fixture name and backend id)."""
    return _dask_storage(client=client)


def _dask_storage(*args: Any, **kwargs: Any) -> Any:
    from tansaku.integration.dask import DaskStorage

    return DaskStorage(*args, **kwargs)


def _per_storage_tests() -> Iterator[tuple[str, Callable[..., Any]]]:
    for module in (
        test_contract_changed_trials,
        test_contract_reading,
        test_contract_stateful,
        test_contract_studies,
        test_contract_trial_updates,
        test_contract_trials,
    ):
        for name, test in vars(module).items():
            if name.startswith("test_") and "storage" in inspect.signature(test).parameters:
                yield name, test


globals().update(_per_storage_tests())


def test_tasks_on_every_worker_share_one_study(client: Any) -> None:
    study = tansaku.create_study(storage=_dask_storage(client=client), study_name="shared")
    jobs = [
        client.submit(study.optimize, _objectives.quadratic, n_trials=5, pure=False)
        for _ in range(4)
    ]
    require("distributed", "cluster").wait(jobs)
    for job in jobs:
        job.result()  # raises what a task raised

    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(20))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    # The trials ran in the workers' processes, not here.
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}
    assert study.best_value == min(t.value for t in trials)


def test_a_storage_pickles_as_its_name_and_finds_the_same_study(
    client: Any,
) -> None:
    storage = _dask_storage(client=client)
    study_id = storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], "by-name")
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.name == storage.name
    assert len(pickle.dumps(storage)) < 300  # the name, not the storage
    assert copy.get_study_name_from_id(study_id) == "by-name"
    # Two objects with one name are one storage; registering again keeps what it holds.
    again = _dask_storage(name=storage.name, client=client)
    assert again.get_study_id_from_name("by-name") == study_id


def test_errors_of_the_scheduler_storage_are_raised_in_the_caller(
    client: Any,
) -> None:
    storage = _dask_storage(client=client)
    tansaku.create_study(storage=storage, study_name="taken")
    with pytest.raises(DuplicatedStudyError):
        tansaku.create_study(storage=storage, study_name="taken")
    with pytest.raises(KeyError, match="missing"):
        storage.get_study_id_from_name("missing")
    assert storage.get_study_id_from_name("taken") == 0


def test_a_database_url_is_opened_on_the_scheduler(client: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'on-scheduler.db'}"
    study = tansaku.create_study(storage=_dask_storage(url, client=client), study_name="db")
    study.optimize(_objectives.quadratic, n_trials=3)
    # The scheduler wrote the file; any process reads it without Dask.
    assert len(tansaku.load_study(study_name="db", storage=url).trials) == 3


def test_the_base_storage_is_a_copy_of_what_the_scheduler_keeps(
    client: Any,
) -> None:
    storage = _dask_storage(InMemoryStorage(), client=client)
    study = tansaku.create_study(storage=storage, study_name="copied")
    study.optimize(_objectives.quadratic, n_trials=2)
    base = storage.get_base_storage()
    assert isinstance(base, InMemoryStorage)
    assert len(base.get_all_trials(base.get_study_id_from_name("copied"))) == 2
    base.create_new_study([tansaku.study.StudyDirection.MINIMIZE], "only-here")
    assert [s.study_name for s in storage.get_all_studies()] == ["copied"]


def test_bad_arguments_fail_at_the_call_naming_them(client: Any) -> None:
    with pytest.raises(TypeError, match="DaskStorage: storage must be None, a database URL"):
        _dask_storage(3, client=client)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DaskStorage: name must be a str or None"):
        _dask_storage(name=7, client=client)  # type: ignore[arg-type]
