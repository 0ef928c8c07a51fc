"""examples/ray_tune.py runs as a user runs it, in a fresh process with its own Ray instance."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tansaku
from tansaku.trial import TrialState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ray_tune.py"
# Only stops a hang: a Ray instance takes long to start on a loaded machine.
TIMEOUT_SECONDS = 600


@pytest.mark.cluster
def test_ray_tune_example_fills_a_sqlite_study_with_every_ray_trial(tmp_path: Path) -> None:
    root = str(EXAMPLE.parents[1])
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    completed = subprocess.run(
        [sys.executable, str(EXAMPLE), "--n-trials", "6", "--epochs", "4"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Trials: 6, complete: 6" in completed.stdout
    best = re.search(r"^Best accuracy: ([0-9.]+)", completed.stdout, re.MULTILINE)
    ray_best = re.search(r"^Ray Tune's best: ([0-9.]+)", completed.stdout, re.MULTILINE)
    assert best is not None and ray_best is not None
    assert float(best.group(1)) > 0.8 and best.group(1) == ray_best.group(1)

    study = tansaku.load_study(
        study_name="ray-tune", storage=f"sqlite:///{tmp_path / 'tansaku-ray.db'}"
    )
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6
    assert all(1 <= len(t.intermediate_values) <= 4 for t in study.trials)
