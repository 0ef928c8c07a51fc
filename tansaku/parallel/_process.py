"""The ``"process"`` backend: one long-lived local process per worker.

Start method: ``spawn`` by default. A forked child inherits a copy of every lock held by the
parent's other threads at the moment of the fork (a heartbeat thread, a gRPC channel's threads,
a logging handler) and the parent's open database connections, which two processes then talk
over at once; either can hang or corrupt a worker. ``spawn`` starts a clean interpreter, at the
price of importing tansaku and the objective's module again in each worker (a fraction of a
second, paid once per worker since workers are long-lived). ``fork`` starts faster and needs no
``if __name__ == "__main__":`` guard; pass ``start_method="fork"`` when the caller has no
threads or connections open, or ``"forkserver"``.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tansaku import logging as tansaku_logging
from tansaku.parallel._coordinator import NO_TRIAL, UNLIMITED
from tansaku.parallel._worker import fail_lost_trial, run_pickled_worker

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess

    from tansaku.study._study import Study

_logger = tansaku_logging.get_logger(__name__)

# A worker that dies (killed, out of memory) is started again in its slot this many times, as
# Ray retries a task and Dask reschedules one (3 each by default); then the call fails.
MAX_RESTARTS_PER_WORKER = 3
# Seconds the workers get, after Ctrl-C, to fail their trials and exit before they are killed.
INTERRUPT_GRACE_SECONDS = 30.0


class SharedCoordinator:
    """A :class:`~tansaku.parallel._coordinator.Coordinator` in shared memory of one host."""

    def __init__(self, context: BaseContext, n_trials: int | None, n_workers: int) -> None:
        self._remaining = context.Value("q", UNLIMITED if n_trials is None else n_trials)
        self._stopped = context.Event()
        self._running = context.Array("q", [NO_TRIAL] * n_workers)

    def claim(self) -> bool:
        with self._remaining.get_lock():
            if self._stopped.is_set() or self._remaining.value == 0:
                return False
            if self._remaining.value != UNLIMITED:
                self._remaining.value -= 1
            return True

    def refund(self) -> None:
        with self._remaining.get_lock():
            if self._remaining.value != UNLIMITED:
                self._remaining.value += 1

    def stop(self) -> None:
        self._stopped.set()

    def is_stopped(self) -> bool:
        return self._stopped.is_set()

    def set_running(self, slot: int, trial_id: int) -> None:
        self._running[slot] = trial_id

    def take_running(self, slot: int) -> int:
        with self._running.get_lock():
            trial_id = int(self._running[slot])
            self._running[slot] = NO_TRIAL
        return trial_id


def run_processes(
    study: Study,
    payload: bytes,
    n_trials: int | None,
    envs: Sequence[Mapping[str, str]],
    start_method: str,
) -> None:
    """Run one worker process per entry of ``envs`` until they finish; see ``optimize``."""
    context = multiprocessing.get_context(start_method)
    coordinator = SharedCoordinator(context, n_trials, len(envs))
    pool = _Pool(context, study, payload, coordinator, envs)
    try:
        pool.run()
    except BaseException:
        # Ctrl-C (or any error) in this process: every worker fails its trial and exits.
        coordinator.stop()
        pool.interrupt()
        raise
    finally:
        pool.fail_lost_trials()


class _Pool:
    def __init__(
        self,
        context: BaseContext,
        study: Study,
        payload: bytes,
        coordinator: SharedCoordinator,
        envs: Sequence[Mapping[str, str]],
    ) -> None:
        self.context = context
        self.study = study
        self.payload = payload
        self.coordinator = coordinator
        self.envs = envs
        self.processes: dict[int, tuple[BaseProcess, multiprocessing.connection.Connection]] = {}
        self.restarts = [0] * len(envs)
        self.error: BaseException | None = None

    def start(self, slot: int) -> None:
        reader, writer = self.context.Pipe(duplex=False)
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_process_main,
            args=(self.payload, slot, self.coordinator, dict(self.envs[slot]), writer),
            name=f"tansaku-worker-{slot}",
            daemon=True,
        )
        process.start()
        writer.close()
        self.processes[slot] = (process, reader)

    def run(self) -> None:
        for slot in range(len(self.envs)):
            self.start(slot)
        while self.processes:
            waitables: list[Any] = [p.sentinel for p, _ in self.processes.values()]
            multiprocessing.connection.wait(waitables)
            for slot, (process, reader) in list(self.processes.items()):
                if process.is_alive():
                    continue
                process.join()
                del self.processes[slot]
                self.finished(slot, process, _last_message(reader))
        if self.error is not None:
            raise self.error

    def finished(self, slot: int, process: BaseProcess, message: tuple[Any, ...] | None) -> None:
        if message is not None and message[0] == "done":
            return
        if message is not None:
            # The worker raised (it stopped the others): the first error is the call's, as in
            # Study.optimize, with the worker's traceback as its cause.
            if self.error is None:
                self.error = message[1]
                self.error.__cause__ = RemoteTraceback(message[2])
            return
        # Lost: killed by a signal or exited without a word. Fail its trial (the storage's
        # stale-trial callback may retry it) and start a new worker in its place.
        lost = self.coordinator.take_running(slot)
        if lost != NO_TRIAL and fail_lost_trial(self.study, lost):
            self.coordinator.refund()
        if self.coordinator.is_stopped():
            return
        self.restarts[slot] += 1
        if self.restarts[slot] > MAX_RESTARTS_PER_WORKER:
            self.coordinator.stop()
            if self.error is None:
                self.error = RuntimeError(
                    f"parallel.optimize: worker {slot} was lost {self.restarts[slot]} times "
                    f"(last exit code {process.exitcode}); giving up. A worker that dies as "
                    "it starts often comes from a script without an "
                    "`if __name__ == '__main__':` guard, which spawned workers import again"
                )
            return
        _logger.warning(f"Worker {slot} was lost (exit code {process.exitcode}); restarting it.")
        self.start(slot)

    def interrupt(self) -> None:
        """Interrupt every worker (SIGINT), wait for them, kill those that do not exit."""
        for process, _ in self.processes.values():
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGINT)
        try:
            for process, _ in self.processes.values():
                process.join(INTERRUPT_GRACE_SECONDS)
        except KeyboardInterrupt:
            pass  # a second Ctrl-C: kill at once
        for process, _ in self.processes.values():
            if process.is_alive():
                process.kill()
                process.join()

    def fail_lost_trials(self) -> None:
        """Fail what a worker left RUNNING (killed before it could), so no trial stays so."""
        for slot in range(len(self.envs)):
            lost = self.coordinator.take_running(slot)
            if lost != NO_TRIAL:
                fail_lost_trial(self.study, lost)


def _last_message(reader: multiprocessing.connection.Connection) -> tuple[Any, ...] | None:
    try:
        return reader.recv() if reader.poll() else None
    except (EOFError, OSError):
        return None
    finally:
        reader.close()


def _interrupt_once(signum: int, frame: Any) -> None:
    del signum, frame  # a signal handler's arguments, not needed here
    # A Ctrl-C in a terminal reaches the workers and the calling process, which then forwards
    # one more: the second must not interrupt the worker while it fails its trial.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _process_main(
    payload: bytes,
    slot: int,
    coordinator: SharedCoordinator,
    env: dict[str, str],
    writer: multiprocessing.connection.Connection,
) -> None:
    signal.signal(signal.SIGINT, _interrupt_once)
    try:
        run_pickled_worker(payload, slot, coordinator, env)
    except KeyboardInterrupt:
        writer.send(("error", KeyboardInterrupt(), f"worker {slot} was interrupted"))
        sys.exit(130)
    except BaseException as error:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        writer.send(("error", _sendable(error, text), text))
        sys.exit(1)
    writer.send(("done",))


class RemoteTraceback(Exception):
    """The traceback of an error raised in a worker, attached as the error's cause."""

    def __init__(self, text: str) -> None:
        super().__init__(text)

    def __str__(self) -> str:
        return f"\n{self.args[0]}"


def _sendable(error: BaseException, text: str) -> BaseException:
    """The error itself if it pickles, else a RuntimeError that carries its traceback."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"a worker raised an error that cannot be pickled:\n{text}")
