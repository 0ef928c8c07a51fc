"""tansaku.parallel.optimize on a real local Dask cluster and a real local Ray instance.

Both start worker processes of their own (no mocks). Marked ``cluster``: ``make test-cluster``
installs the engines (``tansaku[cluster]``) and runs these; ``make test`` leaves them out.
Under CI a missing engine fails the test instead of skipping it.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tansaku
from tansaku.trial import TrialState
from tests.parallel import _objectives
from tests.parallel.conftest import make_storage

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]


def _engine(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed: make test-cluster installs tansaku[cluster]")
        pytest.skip(f"{module} is not installed (pip install tansaku[cluster])")


@pytest.fixture
def importable_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engines' worker processes import the test objectives by name: put the repo on the path."""
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = _engine("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _check_run(study: tansaku.Study, n_trials: int) -> None:
    trials = study.trials
    assert [t.number for t in trials] == list(range(n_trials))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    pids = {t.user_attrs["pid"] for t in trials}
    assert 1 <= len(pids) <= 2
    assert os.getpid() not in pids
    assert {t.user_attrs["initializer_calls"] for t in trials} == {1}
    assert {t.user_attrs["worker_tag"] for t in trials} <= {"w0", "w1"}


def _run(study: tansaku.Study, backend: str, **kwargs: Any) -> None:
    tansaku.parallel.optimize(
        study,
        _objectives.quadratic,
        n_trials=10,
        n_workers=2,
        backend=backend,
        initializer=_objectives.load_data,
        initargs=(str(uuid.uuid4()),),
        worker_env=lambda i: {"TANSAKU_TEST_WORKER": f"w{i}"},
        **kwargs,
    )


def test_dask_on_the_client_given(
    dask_client: Any, shared_study: tansaku.Study, importable_tests: None
) -> None:
    _run(shared_study, "dask", client=dask_client)
    _check_run(shared_study, 10)
    assert dask_client.status == "running"  # the caller's client is left open


def test_dask_starts_and_closes_a_local_cluster(
    shared_study: tansaku.Study, importable_tests: None
) -> None:
    _engine("distributed")
    _run(shared_study, "dask")
    _check_run(shared_study, 10)


def test_dask_lost_worker_fails_its_trial_which_is_retried(
    dask_client: Any, tmp_path: Path, importable_tests: None
) -> None:
    study = tansaku.create_study(storage=make_storage("sqlite", tmp_path, retry=True))
    tansaku.parallel.optimize(
        study,
        _objectives.killed_once,
        n_trials=8,
        n_workers=2,
        backend="dask",
        client=dask_client,
        worker_env=[{"TANSAKU_TEST_MARKER_DIR": str(tmp_path)}] * 2,
    )
    _check_retried(study, tmp_path, 8)


def _check_retried(study: tansaku.Study, marker_dir: Path, n_trials: int) -> None:
    killed_number = int((marker_dir / "killed").read_text())
    trials = study.trials
    # The lost trial does not count: n_trials others ran to their end, its retry among them.
    assert [t.number for t in trials] == list(range(n_trials + 1))
    assert trials[killed_number].state == TrialState.FAIL
    assert all(t.state == TrialState.COMPLETE for t in trials if t.number != killed_number)
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed_number]
    assert [t.state for t in retries] == [TrialState.COMPLETE]
    assert TrialState.RUNNING not in [t.state for t in trials]


def test_ray_starts_a_local_instance_and_shuts_it_down(
    shared_study: tansaku.Study, importable_tests: None
) -> None:
    ray = _engine("ray")
    _run(shared_study, "ray")
    _check_run(shared_study, 10)
    assert not ray.is_initialized()


def test_ray_lost_worker_fails_its_trial_which_is_retried(
    tmp_path: Path, importable_tests: None
) -> None:
    ray = _engine("ray")
    study = tansaku.create_study(storage=make_storage("journal_file", tmp_path, retry=True))
    ray.init(num_cpus=2)
    try:
        tansaku.parallel.optimize(
            study,
            _objectives.killed_once,
            n_trials=8,
            n_workers=2,
            backend="ray",
            worker_env=[{"TANSAKU_TEST_MARKER_DIR": str(tmp_path)}] * 2,
        )
        assert ray.is_initialized()  # the caller's instance is left running
    finally:
        ray.shutdown()
    _check_retried(study, tmp_path, 8)
