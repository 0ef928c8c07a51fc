"""The trials an evaluator reads: the completed ones, their losses and their best."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tansaku._internal.study_direction import StudyDirection
from tansaku.trial import TrialState

if TYPE_CHECKING:
    from tansaku.trial import FrozenTrial


def complete_trials(trials: Sequence[FrozenTrial], where: str) -> list[FrozenTrial]:
    """The completed trials, in the order given; a ValueError naming ``where`` without any."""
    complete = [trial for trial in trials if trial.state == TrialState.COMPLETE]
    if not complete:
        raise ValueError(f"{where}: no trial has completed yet, so there is nothing to evaluate")
    return complete


def best_trial(complete: Sequence[FrozenTrial], direction: StudyDirection) -> FrozenTrial:
    """The completed trial of the best value (the first one on ties)."""
    losses = losses_of(complete, direction)
    return complete[int(np.argmin(losses))]


def losses_of(complete: Sequence[FrozenTrial], direction: StudyDirection) -> np.ndarray:
    """The values of completed trials as losses (maximized values negated), (n,); infinite
    values are clipped to the worst and best finite ones, so that a GP can read them."""
    sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
    losses = sign * np.array([trial.value for trial in complete], dtype=float)
    finite = losses[np.isfinite(losses)]
    if len(finite) < len(losses):
        low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 0.0)
        losses = np.clip(np.nan_to_num(losses, nan=high), low, high)
    return losses
