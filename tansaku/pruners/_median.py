"""MedianPruner: stop a trial whose best value so far is worse than the median of the values
completed trials reported at the same step."""

from __future__ import annotations

from tansaku.pruners._percentile import PercentilePruner


class MedianPruner(PercentilePruner):
    """Prune a trial whose best value so far is worse than the median of the values that
    completed trials reported at the same step; the default pruner of ``create_study``.

    It is :class:`PercentilePruner` at the 50th percentile, and reads what it reads: the
    trial's own intermediate values and the study's COMPLETE trials, folded in once each.

    Args:
        n_startup_trials: Never prune until this many trials have completed.
        n_warmup_steps: Never prune a trial before this step.
        interval_steps: Judge a trial once per this many steps after the warm-up.
        n_min_trials: Never prune at a step fewer completed trials reported.

    Raises:
        ValueError: an argument is out of its range.
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=n_min_trials
        )
