"""GPSampler needs no PyTorch: proven where torch is installed (the benchmark environment).

A fresh interpreter installs an import hook that raises on any import of ``torch``, then
imports tansaku and runs 30 GP trials (startup and modelled ones, with a constraint).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent(
    """
    import sys

    class RefuseTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError(f"torch import refused: {name}")
            return None

    sys.meta_path.insert(0, RefuseTorch())

    import tansaku

    def objective(trial):
        x = trial.suggest_float("x", -3, 3)
        n = trial.suggest_int("n", 1, 100, log=True)
        c = trial.suggest_categorical("c", ["a", "b"])
        return (x - 1) ** 2 + (n - 10) ** 2 / 100 + (c == "a")

    sampler = tansaku.samplers.GPSampler(
        seed=0, constraints_func=lambda t: [t.params["x"] - 2.0]
    )
    study = tansaku.create_study(sampler=sampler)
    study.optimize(objective, n_trials=30)
    assert len(study.trials) == 30
    assert not any(name == "torch" or name.startswith("torch.") for name in sys.modules)
    print("ok", study.best_value)
    """
)


def test_gp_sampler_runs_30_trials_with_torch_imports_refused() -> None:
    assert importlib.util.find_spec("torch") is not None, "run with .venv-bench (torch there)"
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
