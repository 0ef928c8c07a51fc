"""ThresholdPruner: stop a trial whose latest value leaves a fixed range."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid, invalid_type
from tansaku.pruners._base import BasePruner
from tansaku.pruners._steps import check_warmup_and_interval, step_to_judge
from tansaku.trial import FrozenTrial

if TYPE_CHECKING:
    from tansaku.study import Study


def _as_bound(where: str, argument: str, value: Any, default: float) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise invalid_type(where, argument, value, "a float or None") from None


class ThresholdPruner(BasePruner):
    """Prune a trial whose latest value is below ``lower``, above ``upper``, or NaN.

    It reads nothing but the trial's own intermediate values, and ignores the direction: the
    range is the same for minimization and maximization.

    Example:
        >>> pruner = tansaku.pruners.ThresholdPruner(upper=1.0, n_warmup_steps=2)

    Args:
        lower: Values below it are pruned (None: no lower bound).
        upper: Values above it are pruned (None: no upper bound).
        n_warmup_steps: Never prune a trial before this step.
        interval_steps: Judge a trial once per this many steps after the warm-up (at its first
            report in each interval).

    Raises:
        TypeError: neither bound is given, or a bound is not a number.
        ValueError: ``lower > upper``, or a step count is out of its range.
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        where = type(self).__name__
        if lower is None and upper is None:
            raise TypeError(f"{where}: lower=None and upper=None; give at least one bound")
        self._lower = _as_bound(where, "lower", lower, -math.inf)
        self._upper = _as_bound(where, "upper", upper, math.inf)
        if self._lower > self._upper:
            raise invalid(where, "lower", lower, f"must be <= upper={upper!r}")
        check_warmup_and_interval(where, n_warmup_steps, interval_steps)
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        intermediate = trial.intermediate_values
        step = step_to_judge(intermediate, self._n_warmup_steps, self._interval_steps)
        if step is None:
            return False
        latest = intermediate[step]
        return math.isnan(latest) or latest < self._lower or latest > self._upper
