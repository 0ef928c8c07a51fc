"""examples/parallel_workers.py runs on each backend as a user runs it, in a fresh process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "parallel_workers.py"
# Only stops a hang: a Ray instance takes long to start on a loaded machine.
TIMEOUT_SECONDS = 600


@pytest.mark.cluster
@pytest.mark.parametrize("backend", ["process", "dask", "ray"])
def test_parallel_example_runs_every_trial_on_each_backend(backend: str, tmp_path: Path) -> None:
    root = str(EXAMPLE.parents[1])
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    completed = subprocess.run(
        [sys.executable, str(EXAMPLE), "--backend", backend, "--n-trials", "6"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Trials: 6, complete: 6" in completed.stdout
    best = re.search(r"^Best accuracy: ([0-9.]+)", completed.stdout, re.MULTILINE)
    assert best is not None and float(best.group(1)) > 0.5
    assert (tmp_path / "tansaku-parallel.db").is_file()
