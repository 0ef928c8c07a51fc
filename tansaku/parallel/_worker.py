"""The loop each worker runs: claim a trial, run it against the shared storage, repeat."""

from __future__ import annotations

import gc
import os
import pickle
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tansaku import logging as tansaku_logging
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.parallel._coordinator import NO_TRIAL, Coordinator
from tansaku.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled
from tansaku.study._optimize import _run_asked_trial
from tansaku.study._tell import fail_if_running
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study._study import ObjectiveFuncType, Study

_logger = tansaku_logging.get_logger(__name__)


@dataclass(frozen=True)
class WorkerTask:
    """Everything a worker needs, sent to it once (pickled) when it starts."""

    study: Study
    func: ObjectiveFuncType
    catch: tuple[type[BaseException], ...]
    callbacks: tuple[Callable[[Study, FrozenTrial], None], ...]
    gc_after_trial: bool
    # Wall-clock (time.time) after which no trial starts: one deadline for every worker,
    # whenever each of them starts.
    deadline: float | None
    initializer: Callable[..., object] | None
    initargs: tuple[Any, ...]
    # The caller's tansaku log verbosity: a spawned worker starts at the default (INFO) and
    # would log every trial to its stderr even when the caller asked for WARNING.
    verbosity: int | None = None


def run_pickled_worker(
    payload: bytes, slot: int, coordinator: Coordinator, env: Mapping[str, str]
) -> int:
    """Set the worker's environment, then unpickle the task and run :func:`run_worker`.

    The environment is set first so that the modules the task imports as it is unpickled (the
    objective's) already see it, e.g. ``CUDA_VISIBLE_DEVICES``.
    """
    os.environ.update(env)
    task = pickle.loads(payload)
    return run_worker(task, slot, coordinator)


def run_worker(task: WorkerTask, slot: int, coordinator: Coordinator) -> int:
    """Run trials in worker ``slot`` until the claims run out, the deadline or a stop.

    Returns:
        The number of trials this worker ran.

    Raises:
        BaseException: what the objective raised outside ``catch``, a callback's error, or an
        interrupt; the coordinator is stopped first, so that the other workers stop too.
    """
    study = task.study
    if task.verbosity is not None:
        tansaku_logging.set_verbosity(task.verbosity)
    lost = coordinator.take_running(slot)
    if lost != NO_TRIAL and fail_lost_trial(study, lost):
        # This worker replaces one that died while it ran a trial: the trial did not run to
        # its end, so it does not count (its retry, if the storage enqueues one, does).
        coordinator.refund()
    # Every worker unpickled the same sampler: reseed it, or they would all draw alike.
    study.sampler.reseed_rng()
    if task.initializer is not None:
        task.initializer(*task.initargs)
    heartbeats = is_heartbeat_enabled(study._storage)
    study._stop_flag = False
    study._thread_local.in_optimize_loop = True
    n_run = 0
    try:
        while _may_start(task.deadline) and coordinator.claim():
            trial = study.ask()
            coordinator.set_running(slot, trial._trial_id)
            try:
                frozen = _run_asked_trial(study, trial, task.func, task.catch, heartbeats)
            except BaseException:
                fail_if_running(study, trial._trial_id)
                raise
            coordinator.set_running(slot, NO_TRIAL)
            n_run += 1
            for callback in task.callbacks:
                callback(study, frozen.__deepcopy__({}))
            if study._stop_flag:
                coordinator.stop()
            if task.gc_after_trial:
                gc.collect()
    except BaseException:
        coordinator.stop()
        raise
    finally:
        study._thread_local.in_optimize_loop = False
    return n_run


def _may_start(deadline: float | None) -> bool:
    return deadline is None or time.time() < deadline


def fail_lost_trial(study: Study, trial_id: int) -> bool:
    """End FAIL a trial whose worker was lost, as a stale heartbeat would, if still RUNNING.

    The storage's ``heartbeat_stale_trial_callback`` (e.g. ``RetryFailedTrialCallback``, which
    enqueues the trial again) is called for it, exactly as when the heartbeat check fails it.

    Returns:
        True if the trial was RUNNING and this call failed it.
    """
    storage = study._storage
    try:
        storage.set_trial_state_values(trial_id, TrialState.FAIL)
    except UpdateFinishedTrialError:
        return False  # its worker finished it, or a heartbeat check failed it first
    number = storage.get_trial_number_from_id(trial_id)
    _logger.warning(f"Trial {number} failed: its worker was lost while it ran.")
    callback = None
    if isinstance(storage, BaseHeartbeat):
        callback = storage.get_heartbeat_stale_trial_callback()
    if callback is not None:
        callback(study, storage.get_trial(trial_id).__deepcopy__({}))
    return True
