"""How a trial ends: validate what the objective returned, store the final state, log it."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tansaku import logging as tansaku_logging
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.pruners import _filter_study
from tansaku.study._deleted import naming_deleted_study
from tansaku.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    from tansaku.study._study import Study

_logger = tansaku_logging.get_logger(__name__)
_FINAL_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def check_values(values: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Turn an objective's return into a list of floats, or explain why it cannot be one.

    A sequence holds one value per objective; anything else is the one value. A value must be
    a number (or castable to float, as a numpy scalar is), not a str and not NaN.
    """
    if type(values) is float and n_objectives == 1 and values == values:
        return [values], None  # the common case: one float, not NaN
    if values is None:
        return None, "The value None could not be cast to float."
    if isinstance(values, Sequence) and not isinstance(values, str):
        raw = list(values)
    else:
        raw = [values]
    result = []
    for value in raw:
        try:
            if isinstance(value, str):
                raise TypeError  # float("1") would pass, but a str is not a number
            number = float(value)
        except (TypeError, ValueError):
            return None, f"The value {value!r} could not be cast to float."
        if math.isnan(number):
            return None, f"The value {number} is not acceptable."
        result.append(number)
    if len(raw) != n_objectives:
        return None, (
            f"The number of the values {len(raw)} did not match the number of the objectives "
            f"{n_objectives}."
        )
    return result, None


def tell(
    study: Study,
    trial: Trial | int,
    values: float | Sequence[float] | None,
    state: TrialState | None,
    skip_if_finished: bool,
    *,
    failure_reason: str | None = None,
    in_optimize: bool = False,
) -> FrozenTrial:
    """End ``trial`` in ``state`` (COMPLETE when None) with ``values``; see ``Study.tell``.

    Values that are not the objective's values fail the trial: with a UserWarning for a user's
    ``tell``, with a logged warning in ``optimize`` (``in_optimize``), as Optuna does.

    Returns the stored FrozenTrial, shared with the storage (callers copy it for users).

    Raises:
        UpdateFinishedTrialError: the trial is not RUNNING (and not ``skip_if_finished``).
    """
    trial_id, number = _resolve_trial(study, trial)
    with naming_deleted_study(study, trial_id):
        return _tell(
            study,
            trial,
            trial_id,
            number,
            values,
            state,
            skip_if_finished,
            failure_reason,
            in_optimize,
        )


def _tell(
    study: Study,
    trial: Trial | int,
    trial_id: int,
    number: int,
    values: float | Sequence[float] | None,
    state: TrialState | None,
    skip_if_finished: bool,
    failure_reason: str | None,
    in_optimize: bool,
) -> FrozenTrial:
    storage = study._storage

    if isinstance(trial, Trial):
        # The handle's record is current unless another worker (or a heartbeat) ended the
        # trial; then writing the state below raises, so only skip_if_finished needs a read.
        frozen = trial._cached_frozen_trial
        if skip_if_finished and not frozen.state.is_finished():
            frozen_state = storage.get_trial(trial_id).state
        else:
            frozen_state = frozen.state
    else:
        frozen = storage.get_trial(trial_id)
        frozen_state = frozen.state
    if frozen_state.is_finished() and skip_if_finished:
        _logger.info(f"Skipped telling trial {number}: it has already finished.")
        return storage.get_trial(trial_id)
    if frozen_state is not TrialState.RUNNING:
        raise UpdateFinishedTrialError(
            f"tell(trial {number}): cannot tell a {frozen_state.name} trial; only a RUNNING "
            "trial can be told"
        )

    _check_state_and_values(number, state, values)
    value_list: list[float] | None = None
    if state is TrialState.COMPLETE or state is None:
        value_list, failure = check_values(values, len(study._directions))
        if failure is not None:
            if state is TrialState.COMPLETE:
                raise ValueError(f"tell(trial {number}, state=COMPLETE): {failure}")
            state = TrialState.FAIL
            if in_optimize:
                failure_reason = failure
            else:
                warnings.warn(f"Trial {number} failed: {failure}", UserWarning, stacklevel=4)
        else:
            state = TrialState.COMPLETE
    elif state is TrialState.PRUNED and not study._is_multi_objective():
        # A pruned trial keeps its last reported value as its value.
        intermediate = frozen.intermediate_values
        if intermediate:
            last = intermediate[max(intermediate)]
            if not math.isnan(last):
                value_list = [last]

    sampler = study.sampler
    try:
        if sampler._acts_after_trial():
            sampler.after_trial(_filter_study(study, frozen), frozen, state, value_list)
    finally:
        storage.set_trial_state_values(trial_id, state, value_list)
    frozen.state = state

    stored = storage.get_trial(trial_id)
    _log_finished(study, stored, failure_reason)
    return stored


def _check_state_and_values(
    number: int, state: TrialState | None, values: float | Sequence[float] | None
) -> None:
    if state is not None and state not in _FINAL_STATES:
        raise ValueError(
            f"tell(trial {number}): state={state!r} must be one of COMPLETE, PRUNED or FAIL"
        )
    if state is TrialState.COMPLETE and values is None:
        raise ValueError(
            f"tell(trial {number}): no values were given; values are required when the "
            "state is COMPLETE"
        )
    if state is not None and state is not TrialState.COMPLETE and values is not None:
        raise ValueError(
            f"tell(trial {number}): values={values!r} must be None when state={state!r}; "
            "values are only for COMPLETE trials"
        )


def fail_if_running(study: Study, trial_id: int) -> None:
    """End the trial FAIL unless it has finished already; for use while an error propagates.

    A storage error here is logged, not raised, so that it does not hide the error that is
    propagating.
    """
    try:
        study._storage.set_trial_state_values(trial_id, TrialState.FAIL)
    except UpdateFinishedTrialError:
        pass
    except Exception as error:
        _logger.warning(f"Could not mark trial {trial_id} (id) FAIL: {error!r}")


def _resolve_trial(study: Study, trial: Trial | int) -> tuple[int, int]:
    if isinstance(trial, Trial):
        if trial.study._study_id != study._study_id or trial.storage is not study._storage:
            raise ValueError(f"tell: trial {trial.number} belongs to another study")
        return trial._trial_id, trial.number
    if isinstance(trial, int) and not isinstance(trial, bool):
        try:
            trial_id = study._storage.get_trial_id_from_study_id_trial_number(
                study._study_id, trial
            )
        except KeyError:
            raise ValueError(
                f"tell: trial number {trial} does not exist in study {study.study_name!r}"
            ) from None
        return trial_id, trial
    raise TypeError(f"tell: trial must be a Trial or a trial number, got {trial!r}")


def _log_finished(study: Study, trial: FrozenTrial, failure_reason: str | None) -> None:
    state = trial.state
    if state is TrialState.FAIL:
        if failure_reason is not None:
            _logger.warning(
                f"Trial {trial.number} failed with parameters: {trial.params} because of the "
                f"following error: {failure_reason}"
            )
        return
    if not _logger.isEnabledFor(tansaku_logging.INFO):
        return
    if state is TrialState.PRUNED:
        _logger.info(f"Trial {trial.number} pruned. {failure_reason or ''}".rstrip())
        return
    if study._is_multi_objective():
        _logger.info(
            f"Trial {trial.number} finished with values: {trial.values} and parameters: "
            f"{trial.params}."
        )
        return
    try:
        best = study.best_trial
        best_text = f" Best is trial {best.number} with value: {best.value}."
    except ValueError:
        best_text = ""
    _logger.info(
        f"Trial {trial.number} finished with value: {trial.value} and parameters: "
        f"{trial.params}.{best_text}"
    )
