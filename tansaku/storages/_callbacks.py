"""RetryHeartbeatStaleTrialCallback: re-run a trial whose worker died, with the same params."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tansaku._internal.deprecation import warn_deprecated
from tansaku.trial import FrozenTrial, TrialState, create_trial

HeartbeatStaleTrialCallback = Callable[[Any, FrozenTrial], None]
# The type's older name, as the storages' ``failed_trial_callback`` argument is the older name.
FailedTrialCallback = HeartbeatStaleTrialCallback
# Trial system attrs under which the retry bookkeeping is kept (Optuna's keys).
_FAILED_TRIAL_KEY = "failed_trial"
_RETRY_HISTORY_KEY = "retry_history"


class RetryHeartbeatStaleTrialCallback:
    """Enqueue a copy of a trial that failed by heartbeat, so another worker runs it again.

    Pass it as
    ``RDBStorage(..., heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback())``. The new
    trial is WAITING with the failed trial's params (as fixed params) and attrs; its system
    attrs record the trial it retries and the chain of earlier attempts.

    Args:
        max_retry: Retry a trial at most this many times; None for no limit.
        inherit_intermediate_values: Copy the failed trial's intermediate values.
    """

    def __init__(
        self, max_retry: int | None = None, inherit_intermediate_values: bool = False
    ) -> None:
        if max_retry is not None and (isinstance(max_retry, bool) or max_retry < 0):
            raise ValueError(
                f"{type(self).__name__}: max_retry={max_retry!r} must be >= 0 or None"
            )
        self._max_retry = max_retry
        self._inherit_intermediate_values = inherit_intermediate_values

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        system_attrs: dict[str, Any] = {
            key: value for key, value in trial.system_attrs.items() if key != "fixed_params"
        }
        history = list(system_attrs.get(_RETRY_HISTORY_KEY, []))
        if self._max_retry is not None and len(history) >= self._max_retry:
            return
        history.append(trial.number)
        system_attrs[_FAILED_TRIAL_KEY] = system_attrs.get(_FAILED_TRIAL_KEY, trial.number)
        system_attrs[_RETRY_HISTORY_KEY] = history
        system_attrs["fixed_params"] = dict(trial.params)
        study.add_trial(
            create_trial(
                state=TrialState.WAITING,
                params=trial.params,
                distributions=trial.distributions,
                user_attrs=trial.user_attrs,
                system_attrs=system_attrs,
                intermediate_values=(
                    trial.intermediate_values if self._inherit_intermediate_values else None
                ),
            )
        )

    @staticmethod
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The number of the first trial this one retries, or None if it is no retry."""
        return trial.system_attrs.get(_FAILED_TRIAL_KEY)

    @staticmethod
    def retry_history(trial: FrozenTrial) -> list[int]:
        """The numbers of the earlier attempts of this trial, oldest first."""
        return list(trial.system_attrs.get(_RETRY_HISTORY_KEY, []))


class RetryFailedTrialCallback(RetryHeartbeatStaleTrialCallback):
    """Deprecated name of :class:`RetryHeartbeatStaleTrialCallback`: creating one warns."""

    def __init__(
        self, max_retry: int | None = None, inherit_intermediate_values: bool = False
    ) -> None:
        warn_deprecated("RetryFailedTrialCallback", "RetryHeartbeatStaleTrialCallback")
        super().__init__(max_retry, inherit_intermediate_values)
