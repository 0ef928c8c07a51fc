"""Exceptions and warnings raised by tansaku."""

from __future__ import annotations

__all__ = [
    "CLIUsageError",
    "DuplicatedStudyError",
    "ExperimentalWarning",
    "OptunaError",
    "StorageInternalError",
    "StorageLockTimeoutError",
    "TansakuError",
    "TrialPruned",
    "UpdateFinishedTrialError",
]


class TansakuError(Exception):
    """Base class for every error tansaku raises on purpose."""


# The name under which code written for Optuna catches the base error.
OptunaError = TansakuError


class TrialPruned(TansakuError):
    """Raise inside an objective to stop the trial early; the trial ends PRUNED.

    Example:
        >>> def objective(trial):
        ...     for step in range(100):
        ...         trial.report(loss(step), step)
        ...         if trial.should_prune():
        ...             raise tansaku.TrialPruned()
    """


class CLIUsageError(TansakuError):
    """The command line was called with arguments that do not fit together."""


class StorageInternalError(TansakuError):
    """The storage failed for a reason inside itself (a database or file error)."""


class StorageLockTimeoutError(StorageInternalError):
    """A write waited its whole bound for a lock file that another process holds.

    Attributes:
        lock_path: The lock file.
        holder_pids: The processes that held the lock when the wait ended, where the system
            tells (Linux's ``/proc/locks``); empty otherwise.
        timeout: The bound, in seconds.
    """

    def __init__(
        self, message: str, lock_path: str, holder_pids: tuple[int, ...], timeout: float
    ) -> None:
        super().__init__(message)
        self.lock_path = lock_path
        self.holder_pids = holder_pids
        self.timeout = timeout

    def __reduce__(self) -> tuple[object, ...]:  # the error pickles, e.g. out of a worker
        return (type(self), (str(self), self.lock_path, self.holder_pids, self.timeout))


class DuplicatedStudyError(TansakuError):
    """A study with the requested name already exists in the storage."""


class UpdateFinishedTrialError(TansakuError, RuntimeError):
    """A finished trial cannot be changed."""


class ExperimentalWarning(Warning):
    """The feature is experimental: its interface may change in a later release."""
