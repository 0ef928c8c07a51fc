"""Objectives and initializers the parallel tests send to worker processes.

They live in a module of their own so that spawned workers import them by name; each records
what a test checks (its process, what the initializer loaded, its environment) as user attrs.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tansaku.trial import Trial

# Set by `load_data` once per worker process; the objectives read it, as a real objective
# reads data its worker loaded once.
# A worker process may serve several calls (a Dask cluster does): each call passes its own tag.
_loaded: dict[str, object] = {}


def load_data(tag: str) -> None:
    """The initializer: count how often it ran in this process for the call tagged ``tag``."""
    calls = _loaded.setdefault("calls", {})
    assert isinstance(calls, dict)
    calls[tag] = calls.get(tag, 0) + 1
    _loaded["tag"] = tag


def quadratic(trial: Trial) -> float:
    """A quick objective that records its worker process, environment and initializer calls."""
    x = trial.suggest_float("x", -10, 10)
    trial.set_user_attr("pid", os.getpid())
    calls = _loaded.get("calls", {})
    assert isinstance(calls, dict)
    trial.set_user_attr("initializer_calls", calls.get(_loaded.get("tag"), 0))
    trial.set_user_attr("worker_tag", os.environ.get("TANSAKU_TEST_WORKER", ""))
    return (x - 2) ** 2


def fails_on_trial_3(trial: Trial) -> float:
    """Raise on trial 3; the others return."""
    x = trial.suggest_float("x", -10, 10)
    if trial.number == 3:
        raise ZeroDivisionError("trial 3 divides by zero")
    return x


def killed_once(trial: Trial) -> float:
    """SIGKILL its own worker in the first trial to run after a marker file is made.

    The marker's directory comes from TANSAKU_TEST_MARKER_DIR; the first trial creates the
    marker (atomically, O_EXCL) and kills its process, as the kernel's OOM killer would.
    """
    x = trial.suggest_float("x", -10, 10)
    marker = Path(os.environ["TANSAKU_TEST_MARKER_DIR"]) / "killed"
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return x
    os.write(fd, str(trial.number).encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)
    return x


def slow(trial: Trial) -> float:
    """Run until interrupted (or 120 s): the Ctrl-C test interrupts it."""
    trial.set_user_attr("pid", os.getpid())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.05)
    return 0.0


def always_killed(trial: Trial) -> float:
    """SIGKILL its own worker in every trial, as a deterministic crash (a segfault) would."""
    os.kill(os.getpid(), signal.SIGKILL)
    return 0.0


def records_verbosity(trial: Trial) -> float:
    """Record the tansaku log verbosity its worker runs at."""
    from tansaku import logging as tansaku_logging

    trial.set_user_attr("verbosity", tansaku_logging.get_verbosity())
    return 0.0
