"""PatientPruner: wait ``patience`` steps without improvement before asking another pruner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid
from tansaku.pruners._base import BasePruner
from tansaku.pruners._steps import best_value
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


class PatientPruner(BasePruner):
    """Leave a trial alone while it keeps improving; once its best value of the last
    ``patience + 1`` steps is no better (by more than ``min_delta``) than its best before
    them, defer to ``wrapped_pruner`` (or prune, when it is None).

    It reads the trial's own intermediate values (NaNs ignored), then whatever the wrapped
    pruner reads. Experimental, as in Optuna.

    Example:
        >>> pruner = tansaku.pruners.PatientPruner(tansaku.pruners.MedianPruner(), patience=3)

    Args:
        wrapped_pruner: The pruner asked once the trial stagnates, or None to prune then.
        patience: How many steps without improvement are tolerated; at least 0.
        min_delta: The least change that counts as an improvement; at least 0.

    Raises:
        ValueError: ``patience`` or ``min_delta`` is negative.
    """

    def __init__(
        self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0
    ) -> None:
        where = type(self).__name__
        # Warned first, as Optuna does, so the warning comes even with bad arguments.
        warn_experimental(where)
        if patience < 0:
            raise invalid(where, "patience", patience, "must be >= 0")
        if min_delta < 0:
            raise invalid(where, "min_delta", min_delta, "must be >= 0")
        self._wrapped_pruner = wrapped_pruner
        self._patience = patience
        self._min_delta = min_delta

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        intermediate = trial.intermediate_values
        window = self._patience + 1
        if len(intermediate) <= window:
            return False
        steps = sorted(intermediate)
        direction = study.direction
        before = best_value((intermediate[s] for s in steps[:-window]), direction)
        recent = best_value((intermediate[s] for s in steps[-window:]), direction)
        # A NaN on either side compares False: the trial is not stagnating.
        if direction == StudyDirection.MAXIMIZE:
            stagnating = before - self._min_delta > recent
        else:
            stagnating = before + self._min_delta < recent
        if not stagnating:
            return False
        if self._wrapped_pruner is None:
            return True
        return self._wrapped_pruner.prune(study, trial)
