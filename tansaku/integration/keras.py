"""Prune Keras training runs: a ``keras.callbacks.Callback`` that reports each epoch's metric.

Example:
    >>> from tansaku.integration.keras import KerasPruningCallback
    >>> def objective(trial):
    ...     model = build_model(units=trial.suggest_int("units", 16, 128))
    ...     history = model.fit(
    ...         x_train, y_train, validation_data=(x_valid, y_valid), epochs=20,
    ...         callbacks=[KerasPruningCallback(trial, "val_loss")],
    ...     )
    ...     return history.history["val_loss"][-1]

Keras 3 runs on any of its backends (TensorFlow, JAX or PyTorch, chosen by ``KERAS_BACKEND``
before Keras is imported); the callback only reads the epoch's logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid, invalid_type
from tansaku.integration._epoch_pruning import check_arguments, pruned, warn_missing_metric
from tansaku.integration._imports import missing_framework

if TYPE_CHECKING:
    from tansaku.trial import Trial

try:
    from keras.callbacks import Callback
except ImportError as error:
    if error.name is None or error.name.split(".")[0] == "keras":
        raise missing_framework("tansaku.integration.keras", "keras", "keras") from error
    # Keras is installed but the backend it was told to use is not (TensorFlow by default).
    raise ImportError(
        f"tansaku.integration.keras: Keras is installed but cannot load its backend ({error}); "
        "install that backend or set KERAS_BACKEND to an installed one (torch, jax or "
        "tensorflow) before Keras is imported"
    ) from error

_WHERE = "KerasPruningCallback"


class KerasPruningCallback(Callback):  # type: ignore[misc]  # Keras ships no type hints
    """Report a Keras metric at the end of each epoch and stop the fit if the trial is pruned.

    Every ``interval`` epochs, the logged value of ``monitor`` is reported as the intermediate
    value of step ``epoch`` (0-based) and the study's pruner is asked; when it says prune, the
    callback raises :class:`~tansaku.TrialPruned`, which ends ``model.fit`` and, raised out of
    the objective, marks the trial PRUNED with its reported values.

    Args:
        trial: The trial of the current objective call.
        monitor: The name of the metric in Keras' epoch logs to report, e.g. ``"val_loss"`` or
            ``"val_accuracy"`` (validation metrics need ``validation_data`` in ``fit``).
        interval: Report and check every ``interval``-th epoch (epochs ``interval - 1``,
            ``2 * interval - 1``, ...); larger values prune less often.

    Raises:
        TypeError: ``monitor`` is not a str or ``interval`` is not an int.
        ValueError: ``interval`` is less than 1.
        NotImplementedError: the study has several objectives.

    An epoch whose logs lack ``monitor`` is not reported and gives a ``UserWarning`` naming
    the metric and the logged ones, as in Optuna (a validation metric is absent at epochs that
    ``validation_freq`` skips).
    """

    def __init__(self, trial: Trial, monitor: str, interval: int = 1) -> None:
        super().__init__()
        check_arguments(_WHERE, trial, monitor)
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise invalid_type(_WHERE, "interval", interval, "an int")
        if interval < 1:
            raise invalid(_WHERE, "interval", interval, "must be >= 1")
        self._trial = trial
        self._monitor = monitor
        self._interval = interval

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Report ``monitor`` for ``epoch`` and raise TrialPruned if the pruner says so."""
        if (epoch + 1) % self._interval != 0:
            return
        logs = logs or {}
        score = logs.get(self._monitor)
        if score is None:
            warn_missing_metric(_WHERE, self._monitor, logs)
            return
        self._trial.report(float(score), step=epoch)
        if self._trial.should_prune():
            raise pruned(epoch)
