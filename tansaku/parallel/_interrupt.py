"""Interrupt the thread that runs a worker loop when the caller is interrupted (Ctrl-C).

A Dask task runs in a thread of a worker process that outlives it, and Dask cannot interrupt
it. So that Ctrl-C ends the trials in progress (each failing its trial, as ``Study.optimize``
does) rather than letting them run on after the call returned, a watcher thread raises
KeyboardInterrupt in the loop's thread once the caller asks for it. Like a Ctrl-C, the
exception arrives between two Python bytecodes, so a long call into C code ends first.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# How long the watcher blocks in each wait: also how late it notices that the loop ended.
_POLL_SECONDS = 1.0


@contextmanager
def interruptible(wait_interrupted: Callable[[float], bool]) -> Iterator[None]:
    """Raise KeyboardInterrupt in the calling thread once ``wait_interrupted`` returns True.

    Args:
        wait_interrupted: Blocks up to the given seconds; True once the caller interrupts.
    """
    target = threading.get_ident()
    lock = threading.Lock()
    armed = [True]
    finished = threading.Event()

    def watch() -> None:
        while not finished.is_set():
            try:
                interrupted = wait_interrupted(_POLL_SECONDS)
            except Exception:
                return  # the coordinator is gone: the call is over
            if interrupted:
                with lock:
                    if armed[0]:
                        _set_async_exception(target, KeyboardInterrupt)
                return

    watcher = threading.Thread(target=watch, name="tansaku-interrupt-watcher", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            armed[0] = False
            # Drop an interrupt not yet delivered: it must not hit the engine's own code.
            _set_async_exception(target, None)
        finished.set()


def _set_async_exception(thread_id: int, error: type[BaseException] | None) -> None:
    exception = ctypes.py_object(error) if error is not None else ctypes.c_void_p(0)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), exception)
