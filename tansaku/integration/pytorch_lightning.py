"""Prune PyTorch Lightning training runs: a ``lightning.pytorch.Callback`` for one trial.

Example:
    >>> import lightning.pytorch as pl
    >>> from tansaku.integration.pytorch_lightning import PyTorchLightningPruningCallback
    >>> def objective(trial):
    ...     model = LitClassifier(lr=trial.suggest_float("lr", 1e-4, 1e-1, log=True))
    ...     trainer = pl.Trainer(
    ...         max_epochs=20,
    ...         callbacks=[PyTorchLightningPruningCallback(trial, monitor="val_acc")],
    ...     )
    ...     trainer.fit(model, datamodule=data)
    ...     return trainer.callback_metrics["val_acc"].item()

Under distributed data parallel training (a parallel strategy such as ``"ddp"`` or
``"ddp_spawn"``), the objective calls :meth:`PyTorchLightningPruningCallback.check_pruned` right
after ``trainer.fit``, and with several processes the study needs a storage every process can
reach (RDB or journal; not in-memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid
from tansaku.integration._epoch_pruning import check_arguments, pruned, warn_missing_metric
from tansaku.integration._imports import missing_framework
from tansaku.storages import InMemoryStorage

if TYPE_CHECKING:
    from tansaku.trial import Trial

try:
    import lightning.pytorch as pl
    from lightning.pytorch.strategies import ParallelStrategy
except ImportError as error:
    raise missing_framework(
        "tansaku.integration.pytorch_lightning", "lightning", "lightning"
    ) from error

_WHERE = "PyTorchLightningPruningCallback"
# Trial system attr rank 0 writes when it stops a distributed fit: the epoch it pruned at.
# check_pruned reads it back in the process that runs the objective.
PRUNED_EPOCH_ATTR = "pytorch_lightning:pruned_epoch"


class PyTorchLightningPruningCallback(pl.Callback):
    """Report a Lightning metric at each validation end and stop the fit if the trial is pruned.

    After every validation run (sanity checks excluded), the value of ``monitor`` in
    ``trainer.callback_metrics`` is reported as the intermediate value of step
    ``current_epoch`` and the study's pruner is asked.

    In one process, a prune decision raises :class:`~tansaku.TrialPruned` out of
    ``trainer.fit``, which marks the trial PRUNED when raised out of the objective.

    Under a parallel strategy (distributed data parallel: ``"ddp"``, ``"ddp_spawn"``,
    ``"ddp_fork"``, FSDP, ...), only rank 0 reports and asks the pruner; it broadcasts the
    decision, so every rank stops the fit together (``trainer.should_stop``) instead of one
    rank raising while the others wait for it. Rank 0 records the pruned epoch in the trial's
    system attrs; call :meth:`check_pruned` after ``trainer.fit`` to raise TrialPruned in the
    objective's process.

    Args:
        trial: The trial of the current objective call.
        monitor: The name of the logged metric to report, e.g. ``"val_loss"`` or
            ``"val_acc"`` (what the module logs with ``self.log``).

    Raises:
        TypeError: ``monitor`` is not a str.
        NotImplementedError: the study has several objectives.
        ValueError: (when the fit starts) the fit runs in several processes but the study's
            storage is in memory, which other processes cannot reach.

    A validation run whose metrics lack ``monitor`` is not reported and gives a
    ``UserWarning`` naming the metric and the logged ones, as in Optuna.
    """

    def __init__(self, trial: Trial, monitor: str) -> None:
        super().__init__()
        check_arguments(_WHERE, trial, monitor)
        self._trial = trial
        self.monitor = monitor
        self._distributed = False
        # Steps this process reported itself: check_pruned reports the others (those rank 0
        # reported in another process) so the objective's trial handle holds them too.
        self._reported_steps: set[int] = set()

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Note whether the fit is distributed; refuse a storage other processes cannot reach."""
        # A data-parallel strategy decides on rank 0 and broadcasts, even with one process, so
        # the objective handles pruning the same way (check_pruned) whatever the device count.
        self._distributed = isinstance(trainer.strategy, ParallelStrategy)
        storage = getattr(self._trial, "storage", None)
        if trainer.world_size > 1 and isinstance(storage, InMemoryStorage):
            raise invalid(
                _WHERE,
                "trial.storage",
                storage,
                f"cannot be in memory when the fit runs in {trainer.world_size} processes; "
                "use an RDB or journal storage that every process reaches",
            )

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Report ``monitor`` for this epoch and prune (or, distributed, stop every rank)."""
        if trainer.sanity_checking:
            return
        epoch = pl_module.current_epoch
        if not self._distributed:
            if self._report(trainer, epoch) and self._trial.should_prune():
                raise pruned(epoch)
            return
        should_stop = False
        if trainer.is_global_zero and self._report(trainer, epoch):
            should_stop = self._trial.should_prune()
        # Every rank takes part in the broadcast, whatever its own metrics hold.
        should_stop = trainer.strategy.broadcast(should_stop, src=0)
        if not should_stop:
            return
        trainer.should_stop = True
        if trainer.is_global_zero:
            self._trial.set_system_attr(PRUNED_EPOCH_ATTR, epoch)

    def check_pruned(self) -> None:
        """Raise :class:`~tansaku.TrialPruned` if rank 0 pruned the trial in a distributed fit.

        Call it right after ``trainer.fit``. It reads the trial from the storage, reports in
        this process the values that rank 0 reported in its own (so the pruned trial keeps
        them, and its last one as its value), and raises. It does nothing when the trial was
        not pruned or the fit was not distributed (there, the callback raised already).
        """
        storage = getattr(self._trial, "storage", None)
        if storage is None:
            return
        stored = storage.get_trial(self._trial._trial_id)
        epoch = stored.system_attrs.get(PRUNED_EPOCH_ATTR)
        if epoch is None:
            return
        for step, value in sorted(stored.intermediate_values.items()):
            if step not in self._reported_steps:
                self._trial.report(value, step)
                self._reported_steps.add(step)
        raise pruned(epoch)

    def _report(self, trainer: pl.Trainer, epoch: int) -> bool:
        """Report the monitored metric for ``epoch``; False (after a warning) if not logged."""
        score: Any = trainer.callback_metrics.get(self.monitor)
        if score is None:
            warn_missing_metric(_WHERE, self.monitor, trainer.callback_metrics)
            return False
        self._trial.report(float(score), step=epoch)
        self._reported_steps.add(epoch)
        return True
