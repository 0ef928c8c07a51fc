"""Every tutorial in docs/tutorials runs, at small sizes, and shows what its page says it shows.

The tutorials are imported and their ``main`` called in this process (scikit-learn is imported
once); those that start worker processes run as a user runs them, as scripts. The PostgreSQL one
runs against a real server on loopback; the Dask and Ray ones need the engines, so they are
marked ``cluster`` (``make test-cluster`` installs and runs them; ``make test`` leaves them out).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tansaku
from tansaku.trial import TrialState
from tests.storages.servers import PostgreSQLServer

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"tutorial_{name}", TUTORIALS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_tutorial_script_is_tested_and_on_the_tutorials_page() -> None:
    scripts = {path.stem for path in TUTORIALS.glob("*.py")}
    tested = {
        name.removeprefix("test_").split("_tutorial")[0]
        for name in globals()
        if name.startswith("test_") and name.endswith("_tutorial")
    }
    assert scripts == tested
    pages = "".join(path.read_text() for path in TUTORIALS.parent.rglob("*.rst"))
    missing = [s for s in scripts if not re.search(rf"literalinclude:: \S*\b{s}\.py", pages)]
    assert not missing, f"tutorials not included in any page: {missing}"


def test_first_study_tutorial(capsys: pytest.CaptureFixture[str]) -> None:
    study = load("first_study").main(["--n-trials", "4"])
    assert len(study.trials) == 4
    assert set(study.best_params) == {"alpha", "degree", "scale"}
    assert "best MSE" in capsys.readouterr().out


def test_pruning_tutorial() -> None:
    study = load("pruning").main(["--n-trials", "10", "--epochs", "4"])
    states = [t.state for t in study.trials]
    assert states.count(TrialState.PRUNED) >= 1  # the pruner did stop some trial
    assert states.count(TrialState.COMPLETE) >= 5  # the 5 startup trials always complete


def test_conditional_spaces_tutorial() -> None:
    study = load("conditional_spaces").main(["--n-trials", "4"])
    for trial in study.trials:
        family = trial.params["family"]
        if family == "mlp":
            widths = {k for k in trial.params if k.startswith("width_")}
            assert widths == {f"width_{i}" for i in range(trial.params["n_layers"])}
        else:
            assert "n_layers" not in trial.params


def test_multi_objective_tutorial() -> None:
    module = load("multi_objective")
    study = module.main(["--n-trials", "6"])
    assert len(study.directions) == 2
    assert study.best_trials
    assert all(t.constraints["nodes"] <= 0 for t in study.best_trials)
    assert any(t.constraints["nodes"] > 0 for t in study.trials)  # the constraint does bind


def test_many_workers_tutorial(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            str(TUTORIALS / "many_workers.py"),
            "--workers",
            "2",
            "--trials-per-worker",
            "3",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert "parallel: 6 trials from 2 workers" in completed.stdout
    assert "sqlite: 6 trials from 2 workers" in completed.stdout
    assert "journal: 6 trials from 2 workers" in completed.stdout


def run_script(name: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the tutorial ``name`` as a script; return its pid and what it printed."""
    with subprocess.Popen(
        [sys.executable, str(TUTORIALS / f"{name}.py"), *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, stderr
    return process.pid, stdout


def worker_pids(study: tansaku.Study) -> set[int]:
    """The pids of the processes that ran the study's trials (the tutorials record them)."""
    return {int(t.user_attrs["worker"].rsplit(":", 1)[1]) for t in study.trials}


def check_finished(study: tansaku.Study, n_trials: int) -> None:
    assert [t.number for t in study.trials] == list(range(n_trials))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_postgresql_workers_tutorial(postgresql_server: PostgreSQLServer) -> None:
    # The setup the page describes: a role with a password that owns an empty database.
    database = postgresql_server.create_database("tutorial").rsplit("/", 1)[1]
    url = postgresql_server.password_url("tutorial secret", database=database, right=True)
    pid, stdout = run_script(
        "postgresql_workers",
        "--workers",
        "2",
        "--trials-per-worker",
        "3",
        env={"TANSAKU_STORAGE": url},
    )
    assert "6 trials from 2 workers" in stdout
    study = tansaku.load_study(study_name="postgresql-tutorial", storage=url)
    check_finished(study, 6)
    workers = [t.user_attrs["worker"] for t in study.trials]
    assert sorted(workers.count(w) for w in set(workers)) == [3, 3]  # 3 trials by each worker
    assert pid not in worker_pids(study)  # the workers are processes of their own


def test_postgresql_workers_tutorial_needs_a_url() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TANSAKU_STORAGE"}
    completed = subprocess.run(
        [sys.executable, str(TUTORIALS / "postgresql_workers.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "--storage URL or TANSAKU_STORAGE=URL" in completed.stderr


def engine(module: str) -> ModuleType:
    """Import a cluster engine: a skip without it, a failure under CI (which installs it)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed: make test-cluster installs tansaku[cluster]")
        pytest.skip(f"{module} is not installed (pip install tansaku[cluster])")


@pytest.mark.cluster
def test_dask_workers_tutorial(tmp_path: Path) -> None:
    engine("distributed")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    pid, stdout = run_script(
        "dask_workers", "--workers", "2", "--trials", "8", "--storage", storage
    )
    assert "8 trials from" in stdout
    study = tansaku.load_study(study_name="dask-tutorial", storage=storage)
    check_finished(study, 8)
    assert pid not in worker_pids(study)  # the trials ran in the local cluster's workers


@pytest.fixture
def dask_cluster() -> Iterator[Any]:
    """A running Dask cluster, as a user's cluster would be: its own scheduler and workers."""
    distributed = engine("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.cluster
def test_dask_workers_tutorial_on_a_running_scheduler(dask_cluster: Any, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    _, stdout = run_script(
        "dask_workers", "--scheduler", dask_cluster.scheduler.address, "--storage", storage
    )
    assert "40 trials from" in stdout
    study = tansaku.load_study(study_name="dask-tutorial", storage=storage)
    check_finished(study, 40)
    assert worker_pids(study) <= set(dask_cluster.run(os.getpid).values())
    assert dask_cluster.status == "running"  # the script left the cluster as it found it


@pytest.mark.cluster
def test_dask_workers_tutorial_needs_a_shared_storage_for_a_scheduler() -> None:
    engine("distributed")
    completed = subprocess.run(
        [sys.executable, str(TUTORIALS / "dask_workers.py"), "--scheduler", "tcp://host:8786"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "--scheduler needs a --storage" in completed.stderr


@pytest.mark.cluster
def test_ray_workers_tutorial(tmp_path: Path) -> None:
    engine("ray")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    pid, stdout = run_script(
        "ray_workers", "--workers", "2", "--trials", "8", "--storage", storage
    )
    assert "8 trials from" in stdout
    study = tansaku.load_study(study_name="ray-tutorial", storage=storage)
    check_finished(study, 8)
    assert pid not in worker_pids(study)  # the trials ran in Ray's worker processes


@pytest.mark.cluster
def test_ray_workers_tutorial_on_a_running_cluster(tmp_path: Path) -> None:
    ray = engine("ray")
    # A running Ray instance stands for the user's cluster; the script connects to its address.
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        address = ray.get_runtime_context().gcs_address
        storage = f"sqlite:///{tmp_path / 'study.db'}"
        pid, stdout = run_script(
            "ray_workers", "--address", address, "--trials", "10", "--storage", storage
        )
        assert "10 trials from" in stdout
        assert ray.is_initialized()
        assert ray.cluster_resources().get("CPU") == 2  # still there: the script only left it
    finally:
        ray.shutdown()
    study = tansaku.load_study(study_name="ray-tutorial", storage=storage)
    check_finished(study, 10)
    assert pid not in worker_pids(study)


def test_plots_and_report_tutorial(tmp_path: Path) -> None:
    written = load("plots_and_report").main(["--n-trials", "12", "--out", str(tmp_path)])
    assert [p.name for p in written] == [
        "history.html",
        "importances.html",
        "slice.html",
        "report.html",
    ]
    assert all(p.stat().st_size > 0 for p in written)
    assert (tmp_path / "plotly.min.js").is_file()  # the pages open offline


def test_ask_and_tell_tutorial() -> None:
    study = load("ask_and_tell").main(["--n-trials", "8", "--batch", "4"])
    assert len(study.trials) == 9  # two batches of four, then one define-by-run trial
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)


def test_from_optuna_tutorial() -> None:
    module = load("from_optuna")
    database = module.DATABASE.read_bytes()
    study = module.main(["--n-trials", "3"])
    assert len(study.trials) == 12 + 3  # Optuna's 12 trials, then tansaku's
    assert [t.number for t in study.trials] == list(range(15))
    assert module.DATABASE.read_bytes() == database  # the bundled file is left as it was


def test_stopping_tutorial(capsys: pytest.CaptureFixture[str]) -> None:
    study = load("stopping").main(["--max-trials", "5", "--target", "0", "--seconds", "600"])
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 5  # MaxTrialsCallback
    assert capsys.readouterr().out.count("mean over seeds") == 3
    study = load("stopping").main(["--max-trials", "50", "--target", "1", "--seconds", "600"])
    assert len(study.trials) == 1  # every error is <= 1: TargetValueCallback stops at once
    assert not math.isnan(study.best_value)
    stopped = load("stopping").until_it_stops_paying(max_trials=60)
    assert 20 <= len(stopped.trials) < 60  # the terminator stopped it, not the trial count
