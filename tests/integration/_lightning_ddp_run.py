"""One trial whose Lightning fit runs on two processes (ddp_fork, gloo), in a fresh interpreter.

``python -m tests.integration._lightning_ddp_run STORAGE_URL`` creates the study ``ddp`` in
STORAGE_URL with a ThresholdPruner that prunes any value, and optimizes one trial (lr 0.5):
rank 0 reports and decides, rank 1 learns the decision by broadcast, and this process, neither
rank, learns it through check_pruned. test_pytorch_lightning.py reads the study afterwards.

A fresh interpreter, because the ranks are forked from it: in a test process they would
inherit what earlier fits left there (a DDP fit in that process made them hang).
"""

from __future__ import annotations

import datetime
import sys

import torch
from lightning.pytorch.strategies import DDPStrategy

import tansaku
from tansaku.integration.pytorch_lightning import PyTorchLightningPruningCallback
from tansaku.pruners import ThresholdPruner
from tests.integration._lightning_models import DigitsData, DigitsMLP, make_trainer


def objective(trial: tansaku.Trial) -> float:
    torch.manual_seed(0)
    callback = PyTorchLightningPruningCallback(trial, monitor="val_loss")
    # A bounded wait for each collective: a stuck rank fails the run instead of hanging it.
    strategy = DDPStrategy(start_method="fork", timeout=datetime.timedelta(seconds=120))
    trainer = make_trainer(4, [callback], devices=2, strategy=strategy)
    trainer.fit(DigitsMLP(trial.suggest_float("lr", 0.0, 1.0)), datamodule=DigitsData())
    callback.check_pruned()
    return float(trainer.callback_metrics["val_loss"])


if __name__ == "__main__":
    torch.set_num_threads(1)
    study = tansaku.create_study(
        storage=sys.argv[1], study_name="ddp", pruner=ThresholdPruner(upper=0.0)
    )
    study.enqueue_trial({"lr": 0.5})
    study.optimize(objective, n_trials=1)
