"""The one path by which samplers and pruners write state they share across trials and processes.

Samplers and pruners hold no storage of their own. What they must remember beyond one call
(a pruner's rung values, a sampler's constraint values, an evolutionary optimizer's state, a
quasi-random sequence's position) goes into the current trial's or the study's *system attrs*,
which every storage persists and every worker of the study reads back with the trials.

Values must be JSON: numbers, strings, booleans, None, and lists and str-keyed dicts of them.
They are checked here, at the write that would store them, so a sampler can never leave
something a storage cannot read back (nothing is pickled). Third-party samplers may call these
functions too; Optuna-style samplers that write through ``study._storage`` keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tansaku.study import Study

# Floats include NaN and the infinities, which every storage reads back as written.
_SCALARS = (str, int, float, bool, type(None))


def set_trial_system_attr(study: Study, trial_id: int, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` in the system attrs of the trial with ``trial_id``.

    Raises:
        TypeError: ``key`` is not a str, or ``value`` is not JSON.
        tansaku.exceptions.UpdateFinishedTrialError: the trial has finished.
    """
    _check(key, value)
    study._storage.set_trial_system_attr(trial_id, key, value)


def set_study_system_attr(study: Study, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` in the system attrs of ``study``.

    Raises:
        TypeError: ``key`` is not a str, or ``value`` is not JSON.
    """
    _check(key, value)
    study._storage.set_study_system_attr(study._study_id, key, value)


def _check(key: str, value: Any) -> None:
    if not isinstance(key, str):
        raise TypeError(f"A system attr key must be a str, got {key!r} ({type(key).__name__}).")
    where = _first_non_json(value)
    if where is not None:
        path, bad = where
        raise TypeError(
            f"System attr {key!r} must be JSON (numbers, str, bool, None, lists and str-keyed "
            f"dicts); {path} is {bad!r} ({type(bad).__name__})."
        )


def _first_non_json(value: Any, path: str = "the value") -> tuple[str, Any] | None:
    """The path and value of the first part of ``value`` that JSON cannot hold, or None."""
    if isinstance(value, _SCALARS):
        return None
    # A scalar item is passed over before its path is formatted: most items are scalars,
    # and the formatting was most of the check of a sampler's state (CMA-ES's, each generation).
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if isinstance(item, _SCALARS):
                continue
            found = _first_non_json(item, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                return (f"a key of {path}", k)
            if isinstance(item, _SCALARS):
                continue
            found = _first_non_json(item, f"{path}[{k!r}]")
            if found is not None:
                return found
        return None
    return (path, value)
