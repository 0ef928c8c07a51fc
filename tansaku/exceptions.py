"""Exceptions and warnings raised by tansaku."""

from __future__ import annotations

__all__ = [
    "CLIUsageError",
    "DuplicatedStudyError",
    "ExperimentalWarning",
    "OptunaError",
    "StorageInternalError",
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


class DuplicatedStudyError(TansakuError):
    """A study with the requested name already exists in the storage."""


class UpdateFinishedTrialError(TansakuError, RuntimeError):
    """A finished trial cannot be changed."""


class ExperimentalWarning(Warning):
    """The feature is experimental: its interface may change in a later release."""
