"""A tiny Lightning classifier of the digits for the PyTorch Lightning adapter's tests.

Importable by the worker processes of a distributed (``ddp_spawn``) fit.
"""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from tests.integration._digits import N_CLASSES, N_FEATURES, digits_split


class DigitsMLP(pl.LightningModule):
    """A 64-16-10 MLP trained with SGD; logs ``val_loss`` and ``val_acc`` every epoch."""

    def __init__(self, lr: float) -> None:
        super().__init__()
        self.lr = lr
        self.net = torch.nn.Sequential(
            torch.nn.Linear(N_FEATURES, 16), torch.nn.ReLU(), torch.nn.Linear(16, N_CLASSES)
        )

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", torch.nn.functional.cross_entropy(logits, y), sync_dist=True)
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean(), sync_dist=True)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr)


class DigitsData(pl.LightningDataModule):
    """The digits split into 1,200 training and 597 validation images, batches of 100."""

    def setup(self, stage: str) -> None:
        x_train, y_train, x_valid, y_valid = digits_split()
        self.train = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
        self.valid = TensorDataset(torch.from_numpy(x_valid), torch.from_numpy(y_valid))

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train, batch_size=100, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.valid, batch_size=300)


def make_trainer(max_epochs: int, callbacks: list[pl.Callback], **kwargs: object) -> pl.Trainer:
    """A quiet CPU trainer: no logger, checkpoints, progress bar or model summary."""
    return pl.Trainer(
        max_epochs=max_epochs,
        accelerator="cpu",
        devices=kwargs.pop("devices", 1),
        callbacks=callbacks,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=kwargs.pop("num_sanity_val_steps", 2),
        **kwargs,
    )
