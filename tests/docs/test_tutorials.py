"""Every tutorial in docs/tutorials runs, at small sizes, and shows what its page says it shows.

The tutorials are imported and their ``main`` called in this process (scikit-learn is imported
once); many_workers starts worker processes, so it runs as a user runs it, as a script.
"""

from __future__ import annotations

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tansaku.trial import TrialState

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
