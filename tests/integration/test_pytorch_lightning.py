"""PyTorchLightningPruningCallback on real Lightning fits of a tiny MLP on the digits (CPU).

Marked ``integrations``: ``make test-integrations`` installs Lightning (``tansaku[lightning]``)
and runs these; ``make test`` leaves them out. Under CI a missing Lightning fails, not skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.pruners import MedianPruner, ThresholdPruner
from tansaku.trial import TrialState

pytestmark = pytest.mark.integrations

# torch, Lightning and the adapter are imported by the fixture below, not at import: `make
# test` collects this module too (and deselects it), and need not pay for importing torch.
torch: Any = None
PyTorchLightningPruningCallback: Any = None
PRUNED_EPOCH_ATTR = "pytorch_lightning:pruned_epoch"
DigitsData: Any = None
DigitsMLP: Any = None
make_trainer: Any = None
MAX_EPOCHS = 4
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _lightning_imported() -> None:
    global torch, PyTorchLightningPruningCallback, DigitsData, DigitsMLP, make_trainer
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("lightning is not installed: make test-integrations installs it")
        pytest.skip("lightning is not installed (pip install tansaku[lightning])")
    torch.set_num_threads(1)
    from tansaku.integration import pytorch_lightning
    from tests.integration import _lightning_models

    assert pytorch_lightning.PRUNED_EPOCH_ATTR == PRUNED_EPOCH_ATTR
    PyTorchLightningPruningCallback = pytorch_lightning.PyTorchLightningPruningCallback
    DigitsData = _lightning_models.DigitsData
    DigitsMLP = _lightning_models.DigitsMLP
    make_trainer = _lightning_models.make_trainer


@pytest.fixture
def ddp_in_this_process() -> Iterator[None]:
    """Undo what a one-process DDP fit leaves: its process group and its MASTER_* variables.

    Left behind, a later distributed run started from this process (its ranks inherit the
    variables) would meet the group's store still listening on that port.
    """
    environ = dict(os.environ)
    yield
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    os.environ.clear()
    os.environ.update(environ)


def _fit(trial: tansaku.Trial, monitor: str = "val_loss", **trainer_args: object) -> float:
    """Train the MLP with the trial's lr for up to MAX_EPOCHS with the pruning callback."""
    torch.manual_seed(0)
    lr = trial.suggest_float("lr", 0.0, 1.0)
    callback = PyTorchLightningPruningCallback(trial, monitor=monitor)
    trainer = make_trainer(MAX_EPOCHS, [callback], **trainer_args)
    trainer.fit(DigitsMLP(lr), datamodule=DigitsData())
    callback.check_pruned()
    return float(trainer.callback_metrics["val_loss"])


def test_a_trial_that_does_not_learn_is_pruned_and_a_learning_one_completes() -> None:
    study = tansaku.create_study(pruner=MedianPruner(n_startup_trials=1, n_warmup_steps=1))
    study.enqueue_trial({"lr": 0.5})
    study.enqueue_trial({"lr": 0.0})  # the loss never moves: worse than trial 0 at epoch 1
    study.optimize(_fit, n_trials=2)

    learning, stuck = study.trials
    assert learning.state is TrialState.COMPLETE
    # One intermediate value per epoch (the sanity check before training is not reported),
    # the last one being the value the objective returned.
    assert sorted(learning.intermediate_values) == list(range(MAX_EPOCHS))
    assert learning.intermediate_values[MAX_EPOCHS - 1] == pytest.approx(learning.value)
    assert learning.intermediate_values[0] > learning.intermediate_values[MAX_EPOCHS - 1]

    assert stuck.state is TrialState.PRUNED
    assert sorted(stuck.intermediate_values) == [0, 1]
    assert stuck.value == stuck.intermediate_values[1]
    assert stuck.intermediate_values[1] > learning.intermediate_values[1]


def test_the_pruned_epoch_is_in_the_message_and_the_fit_stops_there() -> None:
    study = tansaku.create_study(pruner=ThresholdPruner(upper=0.0, n_warmup_steps=2))
    trial = study.ask({"lr": tansaku.distributions.FloatDistribution(0.0, 1.0)})
    with pytest.raises(tansaku.TrialPruned, match="Trial was pruned at epoch 2"):
        _fit(trial)
    study.tell(trial, state=TrialState.PRUNED)
    frozen = study.trials[0]
    assert sorted(frozen.intermediate_values) == [0, 1, 2]
    assert frozen.state is TrialState.PRUNED
    # A single-process fit leaves no distributed marker behind.
    assert PRUNED_EPOCH_ATTR not in frozen.system_attrs


def test_a_monitor_that_is_not_logged_warns_naming_it_and_the_trial_completes() -> None:
    study = tansaku.create_study(pruner=ThresholdPruner(upper=0.0))
    with pytest.warns(UserWarning, match=r"'val_los' is not in the evaluation logs.*'val_loss'"):
        study.optimize(lambda trial: _fit(trial, monitor="val_los"), n_trials=1)
    (trial,) = study.trials
    assert trial.state is TrialState.COMPLETE
    assert trial.intermediate_values == {}


def test_a_study_with_several_objectives_is_refused_when_the_callback_is_made() -> None:
    study = tansaku.create_study(directions=["minimize", "maximize"])
    trial = study.ask()
    with pytest.raises(NotImplementedError, match="PyTorchLightningPruningCallback.*2"):
        PyTorchLightningPruningCallback(trial, monitor="val_loss")


def test_a_monitor_that_is_not_a_str_is_refused() -> None:
    trial = tansaku.create_study().ask()
    with pytest.raises(TypeError, match="PyTorchLightningPruningCallback: monitor must be a str"):
        PyTorchLightningPruningCallback(trial, monitor=0)  # type: ignore[arg-type]


def test_a_fixed_trial_runs_the_fit_unpruned() -> None:
    assert _fit(tansaku.trial.FixedTrial({"lr": 0.5})) < 1.5


@pytest.mark.usefixtures("ddp_in_this_process")
def test_under_ddp_rank_0_stops_the_fit_and_check_pruned_raises() -> None:
    # A data-parallel strategy in this one process (rank 0 of a gloo group of one): the
    # callback decides, broadcasts and stops the fit instead of raising; check_pruned raises.
    study = tansaku.create_study(pruner=ThresholdPruner(upper=0.0, n_warmup_steps=1))
    trial = study.ask({"lr": tansaku.distributions.FloatDistribution(0.0, 1.0)})
    torch.manual_seed(0)
    callback = PyTorchLightningPruningCallback(trial, monitor="val_loss")
    trainer = make_trainer(MAX_EPOCHS, [callback], strategy="ddp")
    trainer.fit(DigitsMLP(0.5), datamodule=DigitsData())  # stops at epoch 1, raising nothing
    assert trainer.current_epoch == 2
    assert trial.system_attrs[PRUNED_EPOCH_ATTR] == 1
    with pytest.raises(tansaku.TrialPruned, match="Trial was pruned at epoch 1"):
        callback.check_pruned()
    study.tell(trial, state=TrialState.PRUNED)
    frozen = study.trials[0]
    assert sorted(frozen.intermediate_values) == [0, 1]
    assert frozen.value == frozen.intermediate_values[1]


@pytest.mark.usefixtures("ddp_in_this_process")
def test_under_ddp_check_pruned_does_nothing_for_a_trial_that_runs_to_the_end() -> None:
    study = tansaku.create_study(pruner=ThresholdPruner(upper=1e9))
    study.optimize(lambda trial: _fit(trial, strategy="ddp"), n_trials=1)
    (trial,) = study.trials
    assert trial.state is TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == list(range(MAX_EPOCHS))
    assert PRUNED_EPOCH_ATTR not in trial.system_attrs


def test_two_processes_rank_0_prunes_every_rank_stops_and_the_objective_sees_it(
    tmp_path: Path,
) -> None:
    # Two real processes (ddp_fork, gloo) forked from a fresh interpreter: rank 0 reports to
    # the study and decides, rank 1 learns the decision by broadcast, and the objective's
    # process, neither rank, learns it from the storage through check_pruned.
    storage = f"sqlite:///{tmp_path / 'ddp.db'}"
    run = [sys.executable, "-m", "tests.integration._lightning_ddp_run", storage]
    result = subprocess.run(run, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]

    (trial,) = tansaku.load_study(study_name="ddp", storage=storage).trials
    assert trial.state is TrialState.PRUNED
    # Pruned at the first epoch: the fit stopped on both ranks instead of running 4 epochs.
    assert list(trial.intermediate_values) == [0]
    assert trial.system_attrs[PRUNED_EPOCH_ATTR] == 0
    # The objective's process reported rank 0's value too, so the trial keeps it as its value.
    assert trial.value == trial.intermediate_values[0]


def test_several_processes_with_an_in_memory_study_are_refused_when_the_fit_starts() -> None:
    trial = tansaku.create_study().ask()
    callback = PyTorchLightningPruningCallback(trial, monitor="val_loss")
    trainer = make_trainer(MAX_EPOCHS, [callback], devices=2, strategy="ddp_spawn")
    # The hook as Lightning calls it in each process it starts, here before any is started.
    with pytest.raises(ValueError, match=r"storage=.*InMemoryStorage.* cannot be in memory .* 2 "):
        callback.on_fit_start(trainer, DigitsMLP(0.5))


def test_the_package_names_both_callbacks_and_loads_no_framework_until_used() -> None:
    code = (
        "import sys, tansaku.integration as integration\n"
        "names = {'PyTorchLightningPruningCallback', 'KerasPruningCallback'}\n"
        "assert names <= set(integration.__all__)\n"
        "loaded = {m.split('.')[0] for m in sys.modules} & {'torch', 'lightning', 'keras'}\n"
        "assert not loaded, loaded\n"
        "assert integration.PyTorchLightningPruningCallback.__name__ == "
        "'PyTorchLightningPruningCallback'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_lightning_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lightning.pytorch", None)
    monkeypatch.delitem(sys.modules, "tansaku.integration.pytorch_lightning")
    with pytest.raises(ImportError, match=r"needs lightning.*tansaku\[lightning\]"):
        import tansaku.integration.pytorch_lightning  # noqa: F401
