"""What the epoch-end pruning callbacks of the deep-learning adapters share.

A callback reads one logged metric at the end of an epoch, reports it to the trial as that
epoch's intermediate value and raises :class:`~tansaku.TrialPruned` when the study's pruner
says so. The framework-specific part (where the metric is read, how a run is stopped) stays in
each adapter.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tansaku._internal.validation import invalid_type
from tansaku.exceptions import TrialPruned

if TYPE_CHECKING:
    from tansaku.trial import Trial


def check_arguments(where: str, trial: Trial, monitor: str) -> None:
    """Refuse a ``monitor`` that is not a str and a study with several objectives.

    Raises:
        TypeError: ``monitor`` is not a str.
        NotImplementedError: the trial's study has several objectives (intermediate values,
            and so pruning, exist for one objective only; ``Trial.report`` raises the same).
    """
    if not isinstance(monitor, str):
        raise invalid_type(where, "monitor", monitor, "a str (the name of a logged metric)")
    # FixedTrial and other trials without a study cannot have several objectives.
    study = getattr(trial, "study", None)
    if study is not None and len(study.directions) > 1:
        raise NotImplementedError(
            f"{where}: pruning needs a study with one objective; this study has "
            f"{len(study.directions)} (directions={[d.name for d in study.directions]}), "
            "and Trial.report is not supported for multi-objective optimization."
        )


def warn_missing_metric(where: str, monitor: str, logged: Iterable[str]) -> None:
    """Warn that ``monitor`` was not logged this epoch, naming what was.

    A warning, not an error, as in Optuna: a metric can be missing at some epochs only (Keras'
    ``validation_freq``), and such a run should go on unpruned at those epochs.
    """
    warnings.warn(
        f"{where}: the metric {monitor!r} is not in the evaluation logs for pruning; "
        f"logged metrics are {sorted(logged)}. Check the monitor name; this epoch is not "
        "reported.",
        UserWarning,
        stacklevel=3,
    )


def pruned(epoch: int) -> TrialPruned:
    """The TrialPruned a callback raises (or check_pruned re-raises) for ``epoch``."""
    return TrialPruned(f"Trial was pruned at epoch {epoch}.")
