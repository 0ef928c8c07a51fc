"""Heartbeats: how a trial whose worker died (SIGKILL, lost machine) ends FAIL, not RUNNING.

A storage that keeps heartbeats records one for each running trial every
``heartbeat_interval`` seconds, from a thread of the worker (:func:`heartbeat_thread`).
``Study.ask`` (so every trial of ``Study.optimize``, the first one included) calls
:func:`fail_stale_trials`: every RUNNING trial of the study whose last heartbeat is older than
the storage's grace period is set to FAIL, and the storage's ``heartbeat_stale_trial_callback``
(e.g. :class:`RetryHeartbeatStaleTrialCallback`) is called for it.

Nothing else fails a dead worker's trial: it stays RUNNING until some process asks for a trial
of the study at least ``grace_period`` after the worker's last heartbeat. A process that
starts then, even one that runs a single trial, does it on its first ask.

Cost: with heartbeats off the check is one attribute test. With them on it is one read that
follows the running trials with heartbeats (not the study's history), made at most once per
``heartbeat_interval`` by each Study object: a stale trial is failed at most one interval
later than it could be, and a burst of asks costs one read.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tansaku import logging as tansaku_logging
from tansaku._internal.deprecation import warn_deprecated
from tansaku._internal.validation import invalid
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.trial import TrialState

if TYPE_CHECKING:
    from tansaku.storages._base import BaseStorage
    from tansaku.storages._callbacks import HeartbeatStaleTrialCallback

_logger = tansaku_logging.get_logger(__name__)


class BaseHeartbeat(abc.ABC):
    """A storage that keeps heartbeats of running trials (Optuna's extension point)."""

    @abc.abstractmethod
    def record_heartbeat(self, trial_id: int) -> None:
        """Record that the worker of ``trial_id`` is alive now."""

    @abc.abstractmethod
    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        """The RUNNING trials of the study whose last heartbeat is older than the grace."""

    @abc.abstractmethod
    def get_heartbeat_interval(self) -> int | None:
        """Seconds between heartbeats, or None when heartbeats are off."""

    @abc.abstractmethod
    def get_heartbeat_stale_trial_callback(self) -> HeartbeatStaleTrialCallback | None:
        """The callback for trials failed because their heartbeat went stale, or None."""

    def get_failed_trial_callback(self) -> HeartbeatStaleTrialCallback | None:
        """Deprecated name of :meth:`get_heartbeat_stale_trial_callback` (a FutureWarning)."""
        warn_deprecated("get_failed_trial_callback()", "get_heartbeat_stale_trial_callback()")
        return self.get_heartbeat_stale_trial_callback()


def stale_trial_callback_argument(
    owner: str,
    heartbeat_stale_trial_callback: HeartbeatStaleTrialCallback | None,
    failed_trial_callback: HeartbeatStaleTrialCallback | None,
) -> HeartbeatStaleTrialCallback | None:
    """The callback a storage was given under either name; the old name warns (FutureWarning).

    Raises:
        ValueError: both names were given.
    """
    if failed_trial_callback is None:
        return heartbeat_stale_trial_callback
    if heartbeat_stale_trial_callback is not None:
        raise invalid(
            owner,
            "failed_trial_callback",
            failed_trial_callback,
            "must be None when heartbeat_stale_trial_callback is given (it is its old name)",
        )
    warn_deprecated(f"{owner}(failed_trial_callback=...)", "heartbeat_stale_trial_callback", 4)
    return failed_trial_callback


def check_heartbeat_arguments(
    owner: str, heartbeat_interval: float | None, grace_period: float | None
) -> None:
    """Raise ValueError naming ``owner``'s argument when an interval or grace is not > 0.

    Args:
        owner: The class that takes the arguments, for the message.
        heartbeat_interval: Seconds between heartbeats, or None.
        grace_period: Seconds without heartbeat before a trial is stale, or None.
    """
    arguments = {"heartbeat_interval": heartbeat_interval, "grace_period": grace_period}
    for name, value in arguments.items():
        if value is not None and (isinstance(value, bool) or not value > 0):
            raise ValueError(f"{owner}: {name}={value!r} must be > 0 or None")


def is_heartbeat_enabled(storage: BaseStorage) -> bool:
    """True when ``storage`` keeps heartbeats and has an interval set."""
    return isinstance(storage, BaseHeartbeat) and storage.get_heartbeat_interval() is not None


def fail_stale_trials(study: Any) -> None:
    """Set every stale RUNNING trial of ``study`` to FAIL and call the stale-trial callback.

    Safe to call from many workers at once: a trial is failed by exactly one of them (the
    others find it finished), and only that one calls the callback. Calls on one study object
    less than ``heartbeat_interval`` apart after the first do nothing (see the module's Cost).
    """
    storage = study._storage
    if not is_heartbeat_enabled(storage):
        return
    now = time.monotonic()
    checked = getattr(study, "_stale_trials_checked_at", None)
    if checked is not None and now - checked < storage.get_heartbeat_interval():
        return
    study._stale_trials_checked_at = now
    failed = []
    for trial_id in storage._get_stale_trial_ids(study._study_id):
        try:
            storage.set_trial_state_values(trial_id, TrialState.FAIL)
        except UpdateFinishedTrialError:
            continue  # another worker failed it first, or its own worker just finished it
        failed.append(trial_id)
    callback = storage.get_heartbeat_stale_trial_callback()
    for trial_id in failed:
        _logger.warning(
            f"Trial {storage.get_trial_number_from_id(trial_id)} failed: stale heartbeat."
        )
        if callback is not None:
            callback(study, storage.get_trial(trial_id).__deepcopy__({}))


@contextmanager
def heartbeat_thread(storage: BaseStorage, trial_id: int) -> Iterator[None]:
    """Record heartbeats of ``trial_id`` from a daemon thread while the block runs."""
    if not is_heartbeat_enabled(storage):
        yield
        return
    assert isinstance(storage, BaseHeartbeat)
    interval = storage.get_heartbeat_interval()
    assert interval is not None
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                storage.record_heartbeat(trial_id)
            except Exception as error:  # a missed beat must not kill the trial
                _logger.warning(f"Heartbeat of trial id {trial_id} failed: {error!r}")

    storage.record_heartbeat(trial_id)
    thread = threading.Thread(target=beat, name=f"tansaku-heartbeat-{trial_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
