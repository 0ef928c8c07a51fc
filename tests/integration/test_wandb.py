"""WeightsAndBiasesCallback with real W&B runs in offline mode (no network, no account), read
back from the run files W&B writes under WANDB_DIR.

Marked ``integrations``: ``make test-integrations`` installs wandb (``tansaku[wandb]``) and
runs these; ``make test`` leaves them out. Under CI a missing wandb fails instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.exceptions import ExperimentalWarning

pytestmark = pytest.mark.integrations

try:
    import wandb
except ImportError:  # collected by `make test` too, where wandb need not be installed
    wandb = None
if wandb is not None:
    from tansaku.integration.wandb import WeightsAndBiasesCallback
    from tests.integration._wandb_offline import OfflineRun, offline_runs


@pytest.fixture(scope="module", autouse=True)
def _wandb_installed() -> None:
    if wandb is None:
        if os.environ.get("CI"):
            pytest.fail("wandb is not installed: make test-integrations installs it")
        pytest.skip("wandb is not installed (pip install tansaku[wandb])")


@pytest.fixture
def wandb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_SILENT", "true")
    # Everything W&B keeps between runs stays in tmp_path too, and nothing reaches a server.
    for name in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    yield tmp_path
    # A run left open would take the next test's logs, and W&B keeps the settings it read
    # (WANDB_DIR) until torn down.
    wandb.finish()
    wandb.teardown()


def _runs_written(wandb_dir: Path) -> list[OfflineRun]:
    """The runs in ``wandb_dir``, once W&B has written all of them.

    ``wandb.finish`` returns before W&B's service has written the run file to its end;
    ``wandb.teardown`` waits for the service to finish and stop.
    """
    wandb.finish()
    wandb.teardown()
    return offline_runs(wandb_dir)


def _objective(trial: tansaku.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", -1.0, 1.0)
    n = trial.suggest_int("n", 1, 3)
    return x * n, x - n


def test_a_study_is_one_run_with_each_trial_at_its_number_step(wandb_dir: Path) -> None:
    callback = WeightsAndBiasesCallback(wandb_kwargs={"project": "tansaku-test"})
    study = tansaku.create_study(directions=["minimize", "maximize"])
    study.optimize(_objective, n_trials=3, callbacks=[callback])

    (run,) = _runs_written(wandb_dir)
    assert run.config == {"direction": ["MINIMIZE", "MAXIMIZE"]}
    assert run.history == [
        {
            "_step": trial.number,
            "x": trial.params["x"],
            "n": trial.params["n"],
            "value_0": trial.values[0],
            "value_1": trial.values[1],
        }
        for trial in study.trials
    ]
    assert run.finished


def test_multirun_makes_one_run_per_trial_with_the_objectives_own_logs(wandb_dir: Path) -> None:
    callback = WeightsAndBiasesCallback(
        metric_name=["product", "difference"],
        wandb_kwargs={"project": "tansaku-test", "tags": ["nightly"]},
        as_multirun=True,
    )
    with pytest.warns(ExperimentalWarning, match="track_in_wandb"):
        decorate = callback.track_in_wandb()

    @decorate
    def objective(trial: tansaku.Trial) -> tuple[float, float]:
        wandb.log({"inner": 100 + trial.number})
        return _objective(trial)

    def pruned_or_objective(trial: tansaku.Trial) -> tuple[float, float]:
        if trial.number == 2:
            trial.suggest_float("x", -1.0, 1.0)
            raise tansaku.TrialPruned()
        return objective(trial)

    study = tansaku.create_study(study_name="multi", directions=["minimize", "maximize"])
    study.optimize(pruned_or_objective, n_trials=3, callbacks=[callback])

    # By trial number: runs started within one second are not listed in the order they began.
    runs = sorted(_runs_written(wandb_dir), key=lambda run: int(run.name.rsplit("/", 1)[1]))
    assert [run.name for run in runs] == ["trial/0", "trial/1", "trial/2"]
    for run, trial in zip(runs[:2], study.trials):
        assert run.tags == ("nightly", "multi")
        assert run.config == {"direction": ["MINIMIZE", "MAXIMIZE"], **trial.params}
        assert run.history == [
            {"_step": 0, "inner": 100 + trial.number},
            {
                "_step": 1,
                **trial.params,
                "product": trial.values[0],
                "difference": trial.values[1],
                "trial_number": trial.number,
            },
        ]
        assert run.finished
    # The pruned trial has no values: its run holds its params and number only.
    pruned = study.trials[2]
    assert runs[2].history == [{"_step": 0, **pruned.params, "trial_number": 2}]


def test_metric_names_that_do_not_match_the_objectives_raise(wandb_dir: Path) -> None:
    callback = WeightsAndBiasesCallback(metric_name=["a", "b", "c"], as_multirun=True)
    study = tansaku.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match=r"metric_name=\['a', 'b', 'c'\] names 3 metrics .* 2"):
        study.optimize(lambda t: (1.0, 2.0), n_trials=1, callbacks=[callback])
    assert _runs_written(wandb_dir) == []  # raised before any run started


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"metric_name": None}, TypeError, "metric_name must be a str or a sequence of str"),
        ({"metric_name": ()}, ValueError, r"metric_name=\(\) must name at least one metric"),
        ({"wandb_kwargs": "my-project"}, TypeError, "wandb_kwargs must be a dict or None"),
        ({"wandb_kwargs": {"projet": "p"}}, TypeError, "wandb_kwargs holds 'projet'"),
        ({"as_multirun": "yes"}, TypeError, "as_multirun must be a bool"),
    ],
)
def test_bad_arguments_raise_at_construction(
    wandb_dir: Path, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=f"WeightsAndBiasesCallback: {match}"):
        WeightsAndBiasesCallback(**kwargs)
    assert _runs_written(wandb_dir) == []
