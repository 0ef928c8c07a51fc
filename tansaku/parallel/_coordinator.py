"""What the workers of one ``parallel.optimize`` call share besides the storage.

Three facts, kept by the engine the workers run on (shared memory for local processes, the
Dask scheduler, a Ray actor), never by the storage:

- how many trials may still start: the claim that makes the call's total exactly ``n_trials``
  (the storages have no atomic counter; counting trials in them before each ask lets racing
  workers overshoot by up to ``n_workers - 1``). A trial lost with its worker gives its
  claim back, so that ``n_trials`` trials run to their end whatever is lost;
- whether the call is stopping (an error, ``Study.stop`` in a worker, Ctrl-C);
- the trial each worker slot is running, so that the worker that replaces a lost one, or the
  calling process at the end, fails the trial the lost worker left RUNNING at once, without
  waiting for its heartbeat to go stale.
"""

from __future__ import annotations

import threading
from typing import Protocol

# The value of a slot that runs no trial, and of the claim count when there is no limit.
NO_TRIAL = -1
UNLIMITED = -1


class Coordinator(Protocol):
    """The operations a worker loop needs; every backend provides them."""

    def claim(self) -> bool:
        """Reserve the right to start one more trial; False when none is left or stopping."""

    def refund(self) -> None:
        """Give back the claim of a trial lost with its worker, so that one more trial runs."""

    def stop(self) -> None:
        """Make every worker stop after its trial in progress."""

    def set_running(self, slot: int, trial_id: int) -> None:
        """Record the trial ``slot`` runs (``NO_TRIAL`` once it is finished)."""

    def take_running(self, slot: int) -> int:
        """Return the trial recorded for ``slot`` (or ``NO_TRIAL``) and clear it."""


class LocalCoordinator:
    """A :class:`Coordinator` in one process, guarded by a lock (the Ray backend's actor).

    Args:
        n_trials: Trials the call may start; None for no limit.
        n_workers: Number of worker slots.
    """

    def __init__(self, n_trials: int | None, n_workers: int) -> None:
        self._remaining = UNLIMITED if n_trials is None else n_trials
        self._stopped = False
        self._running = [NO_TRIAL] * n_workers
        self._lock = threading.Lock()

    def claim(self) -> bool:
        with self._lock:
            if self._stopped or self._remaining == 0:
                return False
            if self._remaining != UNLIMITED:
                self._remaining -= 1
            return True

    def refund(self) -> None:
        with self._lock:
            if self._remaining != UNLIMITED:
                self._remaining += 1

    def stop(self) -> None:
        self._stopped = True

    def set_running(self, slot: int, trial_id: int) -> None:
        self._running[slot] = trial_id

    def take_running(self, slot: int) -> int:
        with self._lock:
            trial_id, self._running[slot] = self._running[slot], NO_TRIAL
        return trial_id
