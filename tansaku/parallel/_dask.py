"""The ``"dask"`` backend: one Dask task per worker on a ``distributed`` cluster.

The claim counter, the stop flag and the running trials are kept by the scheduler (a
``distributed.Lock`` and ``Variable`` s, an ``Event``), so they outlive any worker. A task whose
worker dies is rescheduled by Dask (``distributed.scheduler.allowed-failures``), and the new run
fails the trial the lost one left RUNNING. On Ctrl-C the call sets an interrupt event that a
watcher thread in each task turns into KeyboardInterrupt in the task's thread (``_interrupt``),
so each worker fails its trial; what has not ended 30 s later the call fails itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from tansaku._internal.optional import import_optional
from tansaku.parallel._coordinator import NO_TRIAL, UNLIMITED
from tansaku.parallel._interrupt import interruptible
from tansaku.parallel._worker import fail_lost_trial, run_pickled_worker

if TYPE_CHECKING:
    from tansaku.study._study import Study

# Seconds the workers get, after Ctrl-C, to end their current trials.
INTERRUPT_GRACE_SECONDS = 30.0


class DaskCoordinator:
    """A :class:`~tansaku.parallel._coordinator.Coordinator` kept by the Dask scheduler."""

    def __init__(self, name: str, n_trials: int | None, n_workers: int) -> None:
        import distributed

        self._lock = distributed.Lock(f"{name}-claims")
        self._remaining = distributed.Variable(f"{name}-remaining")
        self._remaining.set(UNLIMITED if n_trials is None else n_trials)
        self._stopped = distributed.Event(f"{name}-stop")
        self._interrupted = distributed.Event(f"{name}-interrupt")
        self._running = [distributed.Variable(f"{name}-slot-{i}") for i in range(n_workers)]
        for variable in self._running:
            variable.set(NO_TRIAL)

    def claim(self) -> bool:
        if self._stopped.is_set():
            return False
        with self._lock:
            remaining = self._remaining.get()
            if remaining == 0:
                return False
            if remaining != UNLIMITED:
                self._remaining.set(remaining - 1)
            return True

    def refund(self) -> None:
        with self._lock:
            remaining = self._remaining.get()
            if remaining != UNLIMITED:
                self._remaining.set(remaining + 1)

    def stop(self) -> None:
        self._stopped.set()

    def interrupt(self) -> None:
        """Stop, and interrupt the trials in progress (see ``wait_interrupted``)."""
        self._stopped.set()
        self._interrupted.set()

    def interrupt_waiter(self) -> Callable[[float], bool]:
        """A function that blocks up to the seconds given, True once :meth:`interrupt` ran.

        Call it in the task's thread: the event it waits on is bound to the worker's client
        there, so that the watcher thread, which is not a task's, can wait on it.
        """
        import distributed

        event = distributed.Event(self._interrupted.name, client=distributed.get_client())
        return lambda timeout: bool(event.wait(timeout))

    def set_running(self, slot: int, trial_id: int) -> None:
        self._running[slot].set(trial_id)

    def take_running(self, slot: int) -> int:
        trial_id = int(self._running[slot].get())
        self._running[slot].set(NO_TRIAL)
        return trial_id

    def delete(self) -> None:
        """Drop the scheduler's state of this call."""
        for variable in [self._remaining, *self._running]:
            variable.delete()
        for event in (self._stopped, self._interrupted):
            event.clear()  # the scheduler forgets a cleared event


def _dask_worker(
    payload: bytes, slot: int, coordinator: DaskCoordinator, env: Mapping[str, str]
) -> int:
    # The Dask worker process outlives this task: put its environment back afterwards.
    previous = {name: os.environ.get(name) for name in env}
    try:
        with interruptible(coordinator.interrupt_waiter()):
            return run_pickled_worker(payload, slot, coordinator, env)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_dask(
    study: Study,
    payload: bytes,
    n_trials: int | None,
    n_workers: int | None,
    envs_for: Callable[[int], Sequence[Mapping[str, str]]],
    client: Any,
) -> None:
    """Run the workers as Dask tasks until they finish; see ``optimize``."""
    distributed = import_optional(
        "distributed",
        "tansaku.parallel.optimize(backend='dask')",
        "cluster",
        package="dask[distributed]",
    )
    cluster = None
    if client is None:
        count = n_workers or os.cpu_count() or 1
        cluster = distributed.LocalCluster(
            n_workers=count, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = distributed.Client(cluster)
    else:
        count = n_workers or max(1, sum(client.nthreads().values()))
    try:
        envs = envs_for(count)
        name = f"tansaku-parallel-{uuid4().hex}"
        with client.as_current():
            coordinator = DaskCoordinator(name, n_trials, count)
            futures = [
                client.submit(
                    _dask_worker, payload, slot, coordinator, envs[slot], key=f"{name}-{slot}"
                )
                for slot in range(count)
            ]
            try:
                _wait(distributed, futures, coordinator)
            finally:
                for slot in range(count):
                    lost = coordinator.take_running(slot)
                    if lost != NO_TRIAL:
                        fail_lost_trial(study, lost)
                coordinator.delete()
    finally:
        if cluster is not None:
            client.close()
            cluster.close()


def _wait(distributed: Any, futures: list[Any], coordinator: DaskCoordinator) -> None:
    error: BaseException | None = None
    try:
        for future in distributed.as_completed(futures):
            try:
                future.result()
            except Exception as raised:
                coordinator.stop()
                error = error or raised
    except KeyboardInterrupt:
        coordinator.interrupt()
        with contextlib.suppress(KeyboardInterrupt, TimeoutError):
            distributed.wait(futures, timeout=INTERRUPT_GRACE_SECONDS)
        for future in futures:
            future.cancel()
        raise
    if error is not None:
        raise error
