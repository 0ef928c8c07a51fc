"""What several pruners share about the steps of one trial: when it is judged, its best value."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid


def check_warmup_and_interval(where: str, n_warmup_steps: int, interval_steps: int) -> None:
    """Raise ValueError when ``n_warmup_steps`` < 0 or ``interval_steps`` < 1."""
    if n_warmup_steps < 0:
        raise invalid(where, "n_warmup_steps", n_warmup_steps, "must be >= 0")
    if interval_steps < 1:
        raise invalid(where, "interval_steps", interval_steps, "must be >= 1")


def is_first_report_in_interval(
    step: int, reported_steps: Iterable[int], n_warmup_steps: int, interval_steps: int
) -> bool:
    """True when ``step`` is the first report at or after the latest pruning checkpoint.

    Checkpoints are ``n_warmup_steps + k * interval_steps``; a trial is judged once per
    interval, at the first step it reports in it (a checkpoint without a report is judged at
    the next report). ``step`` is the trial's latest step.
    """
    if interval_steps == 1:
        return True  # every step at or after the warm-up is a checkpoint
    checkpoint = (step - n_warmup_steps) // interval_steps * interval_steps + n_warmup_steps
    previous = -1
    for reported in reported_steps:
        if previous < reported != step:
            previous = reported
    return previous < checkpoint


def step_to_judge(
    intermediate: Mapping[int, float], n_warmup_steps: int, interval_steps: int
) -> int | None:
    """The trial's latest step if the trial is judged now: past the warm-up and the first
    report in its interval (see :func:`is_first_report_in_interval`); else None."""
    if not intermediate:
        return None
    step = max(intermediate)
    if step < n_warmup_steps or not is_first_report_in_interval(
        step, intermediate, n_warmup_steps, interval_steps
    ):
        return None
    return step


def best_value(values: Iterable[float], direction: StudyDirection) -> float:
    """The best of ``values`` for ``direction``, NaNs ignored (NaN when all are NaN or none)."""
    finite = [value for value in values if not math.isnan(value)]
    if not finite:
        return math.nan
    return max(finite) if direction == StudyDirection.MAXIMIZE else min(finite)
