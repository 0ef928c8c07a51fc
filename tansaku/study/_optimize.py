"""The optimize loop: run trials one after another, or in threads, until a limit is hit."""

from __future__ import annotations

import gc
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from tansaku import logging as tansaku_logging
from tansaku.exceptions import TrialPruned, UpdateFinishedTrialError
from tansaku.storages._heartbeat import heartbeat_thread, is_heartbeat_enabled
from tansaku.study._progress import ProgressBar
from tansaku.study._tell import fail_if_running, tell
from tansaku.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    from tansaku.study._study import ObjectiveFuncType, Study

_logger = tansaku_logging.get_logger(__name__)

Callback = Callable[["Study", FrozenTrial], None]


def optimize(
    study: Study,
    func: ObjectiveFuncType,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Iterable[Callback] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
) -> None:
    """Run ``func`` in trials of ``study``; see :meth:`Study.optimize` for the arguments."""
    catch_types = _check_catch(catch)
    _check_limits(n_trials, timeout, n_jobs)
    if study._in_optimize_loop():
        raise RuntimeError("Nested optimization is not allowed: optimize is already running.")
    if show_progress_bar and n_trials is None and timeout is not None and n_jobs != 1:
        # Optuna's documented behaviour: no time-based bar with several workers.
        warnings.warn(
            f"optimize: show_progress_bar=True is not supported with a timeout and no n_trials "
            f"when n_jobs={n_jobs} != 1; the progress bar is not shown.",
            UserWarning,
            stacklevel=4,
        )
        show_progress_bar = False
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    loop = _Loop(
        study,
        func,
        n_trials,
        timeout,
        catch_types,
        list(callbacks or ()),
        gc_after_trial,
        ProgressBar(show_progress_bar, n_trials, timeout),
    )
    study._stop_flag = False
    try:
        if n_jobs == 1:
            loop.run_worker()
        else:
            loop.run_threads(n_jobs)
    finally:
        loop.progress.close()


def _check_catch(
    catch: Iterable[type[Exception]] | type[Exception],
) -> tuple[type[BaseException], ...]:
    if isinstance(catch, type):
        catch = (catch,)
    types = tuple(catch)
    for kind in types:
        if not (isinstance(kind, type) and issubclass(kind, BaseException)):
            raise TypeError(f"optimize: catch must hold exception classes, got {kind!r}")
    return types


def _check_limits(n_trials: int | None, timeout: float | None, n_jobs: int) -> None:
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
    ):
        raise ValueError(f"optimize: n_trials={n_trials!r} must be a non-negative int or None")
    if timeout is not None and (isinstance(timeout, bool) or not timeout >= 0):
        raise ValueError(f"optimize: timeout={timeout!r} must be a non-negative number or None")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or (n_jobs < 1 and n_jobs != -1):
        raise ValueError(f"optimize: n_jobs={n_jobs!r} must be a positive int or -1")


class _Loop:
    """The state one ``optimize`` call shares between its worker threads."""

    def __init__(
        self,
        study: Study,
        func: ObjectiveFuncType,
        n_trials: int | None,
        timeout: float | None,
        catch: tuple[type[BaseException], ...],
        callbacks: list[Callback],
        gc_after_trial: bool,
        progress: ProgressBar,
    ) -> None:
        self.study = study
        self.func = func
        self.n_trials = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.catch = catch
        self.callbacks = callbacks
        self.gc_after_trial = gc_after_trial
        self.progress = progress
        self.started = 0
        self.lock = threading.Lock()
        self.failed = False
        # Threads reseed the sampler before each trial (as Optuna does), so that samplers
        # holding a random generator do not draw the same numbers in every thread.
        self.reseed_sampler = False

    def _claim_trial(self) -> bool:
        """Reserve the right to start one more trial, or say that the loop is over."""
        if self.study._stop_flag or self.failed:
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        with self.lock:
            if self.n_trials is not None and self.started >= self.n_trials:
                return False
            self.started += 1
        return True

    def run_worker(self) -> None:
        study = self.study
        study._thread_local.in_optimize_loop = True
        try:
            while self._claim_trial():
                if self.reseed_sampler:
                    study.sampler.reseed_rng()
                frozen = run_trial(study, self.func, self.catch)
                if self.callbacks:
                    for callback in self.callbacks:
                        callback(study, frozen.__deepcopy__({}))
                self.progress.update(study, frozen)
                if self.gc_after_trial:
                    gc.collect()
        except BaseException:
            self.failed = True
            raise
        finally:
            study._thread_local.in_optimize_loop = False

    def run_threads(self, n_jobs: int) -> None:
        self.reseed_sampler = True
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(self.run_worker) for _ in range(n_jobs)]
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
            except BaseException:
                # Interrupted while waiting (Ctrl+C reaches the main thread): the workers
                # finish the trials they run and start no more; leaving the pool waits for them.
                self.failed = True
                raise
            for future in futures:
                error = future.exception()
                if error is not None:
                    raise error


def run_trial(
    study: Study, func: ObjectiveFuncType, catch: tuple[type[BaseException], ...]
) -> FrozenTrial:
    """Ask a trial, run the objective on it and tell the outcome; re-raise what is not caught.

    Returns the stored finished trial (shared with the storage: copy it before handing it out).
    """
    storage = study._storage
    heartbeats = is_heartbeat_enabled(storage)
    # Study.ask first fails the trials whose worker died (with heartbeats on); if it raises
    # after creating the trial, it fails that trial itself.
    trial = study.ask()
    try:
        return _run_asked_trial(study, trial, func, catch, heartbeats)
    except BaseException:
        # Whatever escapes (the objective's error, the sampler's or the pruner's, an
        # interrupt in the framework's own code), the trial does not stay RUNNING.
        fail_if_running(study, trial._trial_id)
        raise


def _run_asked_trial(
    study: Study,
    trial: Trial,
    func: ObjectiveFuncType,
    catch: tuple[type[BaseException], ...],
    heartbeats: bool,
) -> FrozenTrial:
    storage = study._storage
    error: BaseException | None = None
    values = None
    state: TrialState | None = None
    reason: str | None = None
    try:
        if heartbeats:
            with heartbeat_thread(storage, trial._trial_id):
                values = func(trial)
        else:
            values = func(trial)
    except TrialPruned as pruned:
        state = TrialState.PRUNED
        reason = str(pruned) or None
        values = None
    except BaseException as raised:
        # KeyboardInterrupt and SystemExit too: the trial ends FAIL, then they propagate. An
        # interrupt may land after the objective returned (while the heartbeat thread stops):
        # its values are dropped with the rest of the trial.
        state = TrialState.FAIL
        error = raised
        values = None
    try:
        frozen = tell(study, trial, values, state, False, failure_reason=reason, in_optimize=True)
    except UpdateFinishedTrialError:
        # Another worker or a heartbeat check ended the trial while it ran.
        _logger.warning(f"Trial {trial.number} was finished elsewhere while it ran.")
        frozen = storage.get_trial(trial._trial_id)
    if error is not None:
        _logger.warning(
            f"Trial {frozen.number} failed with parameters: {frozen.params} because of the "
            f"following error: {error!r}.",
            exc_info=(type(error), error, error.__traceback__),
        )
        if not isinstance(error, catch):
            raise error
    return frozen
