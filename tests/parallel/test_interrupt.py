"""Ctrl-C (SIGINT to the calling process) stops every worker and leaves no trial RUNNING.

A real process tree: a driver process runs ``parallel.optimize`` with two workers whose
objective runs until interrupted; the test waits (generously, by state, not by time) until both
trials run, sends SIGINT to the driver only, and checks what the storage holds afterwards.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tansaku
from tansaku.trial import TrialState
from tests.parallel.conftest import make_storage

# Generous bounds on waiting for states (a loaded machine is slow); never a timing assertion.
WAIT_SECONDS = 180

# The driver takes Ctrl-C as a user's terminal gives it, even when the test run itself was
# started where SIGINT is ignored (a background job of a non-interactive shell), which a child
# would otherwise inherit.
DRIVER = textwrap.dedent(
    """
    import signal
    import sys
    import tansaku

    signal.signal(signal.SIGINT, signal.default_int_handler)
    from tests.parallel import _objectives
    from tests.parallel.conftest import make_storage
    from pathlib import Path

    if __name__ == "__main__":
        storage = make_storage(sys.argv[1], Path(sys.argv[2]))
        study = tansaku.load_study(study_name="interrupted", storage=storage)
        tansaku.parallel.optimize(
            study, _objectives.slow, n_trials=10, n_workers=2, backend=sys.argv[3]
        )
    """
)


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def test_sigint_to_the_caller_stops_every_worker_and_leaves_no_running_trial(
    shared_kind: str, tmp_path: Path
) -> None:
    _interrupt_driver("process", shared_kind, tmp_path)


@pytest.mark.cluster
@pytest.mark.parametrize("backend", ["dask", "ray"])
def test_sigint_stops_every_cluster_worker_and_leaves_no_running_trial(
    backend: str, tmp_path: Path
) -> None:
    engine = {"dask": "distributed", "ray": "ray"}[backend]
    try:
        importlib.import_module(engine)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{engine} is not installed: make test-cluster installs tansaku[cluster]")
        pytest.skip(f"{engine} is not installed (pip install tansaku[cluster])")
    _interrupt_driver(backend, "sqlite", tmp_path)


def _interrupt_driver(backend: str, shared_kind: str, tmp_path: Path) -> None:
    study = tansaku.create_study(
        study_name="interrupted", storage=make_storage(shared_kind, tmp_path)
    )
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    driver = subprocess.Popen(
        [sys.executable, str(script), shared_kind, str(tmp_path), backend],
        env=env,
        start_new_session=True,
        stderr=subprocess.PIPE,
    )
    try:

        def both_running() -> bool:
            assert driver.poll() is None, driver.stderr.read().decode()  # type: ignore[union-attr]
            running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            return len(running) == 2 and all("pid" in t.user_attrs for t in running)

        _wait_for(both_running, "two running trials")
        worker_pids = [t.user_attrs["pid"] for t in study.trials]
        driver.send_signal(signal.SIGINT)
        _, stderr = driver.communicate(timeout=WAIT_SECONDS)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
    assert driver.returncode != 0
    assert b"KeyboardInterrupt" in stderr, stderr.decode()
    # The workers were interrupted and failed their trials themselves.
    assert b"its worker was lost" not in stderr, stderr.decode()
    trials = study.trials
    assert len(trials) == 2
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    if backend == "process":  # an engine's worker processes may outlive the call by design
        for pid in worker_pids:
            _wait_for(lambda pid=pid: not _alive(pid), f"worker {pid} to exit")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
