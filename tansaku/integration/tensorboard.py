"""Write each completed trial where TensorBoard's HParams tab shows it, without TensorFlow.

Example:
    >>> from tansaku.integration.tensorboard import TensorBoardCallback
    >>> tensorboard_callback = TensorBoardCallback("logs/", metric_name="accuracy")
    >>> study.optimize(objective, n_trials=10, callbacks=[tensorboard_callback])
    >>> # then: tensorboard --logdir logs/

Each completed trial is a TensorBoard run ``<dirname>/trial-<number>`` holding the trial's
params as an HParams session and its value as a scalar at step ``trial.number``. The events are
written with the ``tensorboard`` package's own event writer and protos, so only ``tensorboard``
is needed (Optuna's callback needs TensorFlow). Optuna 5.0 deprecates this callback; tansaku
keeps it and does not warn.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.integration._imports import missing_framework
from tansaku.integration._tracking import checked_metric_name, metric_names
from tansaku.trial import TrialState

if TYPE_CHECKING:
    from tansaku.study import Study
    from tansaku.trial import FrozenTrial

try:
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.hparams import summary_v2 as hparams_summary
    from tensorboard.plugins.scalar import summary_v2 as scalar_summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError as error:
    raise missing_framework(
        "tansaku.integration.tensorboard", "tensorboard", "tensorboard"
    ) from error

_WHERE = "TensorBoardCallback"
# The value types an HParams session holds; other categorical choices are written as str.
_HPARAM_TYPES = (bool, int, float, str)


class TensorBoardCallback:
    """Log each completed trial's params and value for TensorBoard's HParams and Scalars tabs.

    Trials that did not complete (pruned, failed) are not written, as in Optuna.

    Args:
        dirname: The log directory (``tensorboard --logdir dirname``); each trial is a run in
            its subdirectory ``trial-<number>``.
        metric_name: The scalar's name. A study with several objectives logs one scalar each,
            named ``<metric_name>_0``, ``<metric_name>_1``, ... (or one name each when a
            sequence is given), where Optuna's callback fails.

    Raises:
        TypeError: ``dirname`` is not a str or path, or ``metric_name`` is not a str (or a
            sequence of str).
        ValueError: ``dirname`` is empty.
    """

    def __init__(self, dirname: str, metric_name: str | Sequence[str]) -> None:
        if not isinstance(dirname, str | os.PathLike):
            raise invalid_type(_WHERE, "dirname", dirname, "a str or os.PathLike")
        if not os.fspath(dirname):
            raise invalid(_WHERE, "dirname", dirname, "must name a directory")
        self._dirname = os.fspath(dirname)
        self._metric_name = checked_metric_name(_WHERE, metric_name)

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if trial.state != TrialState.COMPLETE or trial.values is None:
            return
        names = metric_names(_WHERE, self._metric_name, len(trial.values))
        run_name = f"trial-{trial.number}"
        hparams = {
            name: hparam_value(trial.distributions[name], value)
            for name, value in trial.params.items()
        }
        start = trial.datetime_start.timestamp() if trial.datetime_start else None
        writer = EventFileWriter(os.path.join(self._dirname, run_name))
        try:
            # The session start is what the HParams tab lists; the scalars are its metrics.
            _write(writer, hparams_summary.hparams_pb(hparams, run_name, start), trial.number)
            for name, value in zip(names, trial.values):
                _write(writer, scalar_summary.scalar_pb(name, value), trial.number)
        finally:
            writer.close()


def hparam_value(distribution: BaseDistribution, value: Any) -> bool | int | float | str:
    """``value`` as TensorBoard's HParams session holds it: one type per parameter.

    Ints and floats keep their kind; a categorical parameter keeps its choices' type when all
    of them share one that TensorBoard supports, and is written as str otherwise (mixed types,
    None, tuples), so a column of the HParams table never mixes types.
    """
    if isinstance(distribution, IntDistribution):
        return int(value)
    if isinstance(distribution, FloatDistribution):
        return float(value)
    if isinstance(distribution, CategoricalDistribution):
        kinds = {type(choice) for choice in distribution.choices}
        if len(kinds) == 1 and kinds <= set(_HPARAM_TYPES):
            return value  # type: ignore[no-any-return]
    return str(value)


def _write(writer: EventFileWriter, summary: Any, step: int) -> None:
    # wall_time is when the event was written, as TensorFlow's writer records it.
    writer.add_event(event_pb2.Event(summary=summary, step=step, wall_time=time.time()))


__all__ = ["TensorBoardCallback"]
