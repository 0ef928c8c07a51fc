"""Exclusive ``flock`` of a file, waited for within a bound; the holder named when it is not free.

Shared by the SQLite writer lock (``_rdb/_engine.py``) and the journal file
(``journal/_file.py``). A lock is asked for without blocking first, so an uncontended one costs
one system call. A contended one is asked for again after pauses that start at 0.1 ms and
double up to 2 ms: a blocking ``flock`` cannot be given a deadline (nor be left by a thread
other than the main one without signals, which a library must not take over), and a process
that never releases a lock it holds (stopped, or a bug) must not make the others wait forever.
Six processes writing 1,500 short SQLite transactions each took 2.9-6.1 s queued in a blocking
``flock`` and 3.4-6.2 s polling so, on this two-core machine (runs too noisy to tell apart);
SQLite's own busy handler, which sleeps 1, 2, 5, 10... up to 100 ms, is what was slow.

The callers release with ``flock(fd, LOCK_UN)`` on every way out, and where an interrupt can
land between taking the lock and the code that releases it, they note *before* asking for it
that they may hold it, so that the release runs whatever happened (unlocking a lock that is not
held does nothing).
"""

from __future__ import annotations

import errno
import os
import time
import types

from tansaku.exceptions import StorageLockTimeoutError

fcntl: types.ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: callers fall back to another lock (HAVE_FLOCK says which)
    fcntl = None

# Whether this platform has ``flock`` at all (a file system may still refuse it: OSError).
HAVE_FLOCK = fcntl is not None

# The first pause before a contended lock is asked for again, and the longest.
_FIRST_PAUSE_S = 0.0001
_LONGEST_PAUSE_S = 0.002
# Linux lists the locks of every process here (LOCKS(5) in proc(5)).
_PROC_LOCKS = "/proc/locks"


def lock_exclusive(fd: int, path: str, timeout: float, how_to_wait_longer: str) -> None:
    """Take the exclusive ``flock`` on ``fd`` (an open ``path``), waiting at most ``timeout`` s.

    Raises:
        StorageLockTimeoutError: another open file of ``path`` kept the lock for ``timeout``
            seconds; the message names ``path``, the holders' pids where known, and
            ``how_to_wait_longer``.
        OSError: the file system (or the platform) has no ``flock``.
    """
    if fcntl is None:
        raise OSError(errno.ENOLCK, f"flock is not available on this platform ({path!r})")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    deadline = time.monotonic() + timeout
    pause = _FIRST_PAUSE_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout_error(fd, path, timeout, how_to_wait_longer)
        time.sleep(min(pause, remaining))
        pause = min(2 * pause, _LONGEST_PAUSE_S)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            continue


def _timeout_error(
    fd: int, path: str, timeout: float, how_to_wait_longer: str
) -> StorageLockTimeoutError:
    pids = lock_holders(fd)
    held_by = "by process " + ", ".join(str(pid) for pid in pids) if pids else "by another process"
    return StorageLockTimeoutError(
        f"waited {timeout:g} s for the lock file {path!r}, held {held_by}; {how_to_wait_longer}",
        lock_path=path,
        holder_pids=pids,
        timeout=timeout,
    )


def lock_holders(fd: int) -> tuple[int, ...]:
    """The pids holding an ``flock`` on the file open as ``fd``; empty where none is known.

    Read from ``/proc/locks``, whose lines look like ``3: FLOCK ADVISORY WRITE 4242 fe:00:131
    0 EOF`` (a waiter's has ``->`` after the number). The pid is the process that took the
    lock; a child that inherited the descriptor holds it too and is not listed.
    """
    status = os.fstat(fd)
    device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}"
    inode = str(status.st_ino)
    on_device: list[int] = []
    on_inode: list[int] = []
    try:
        with open(_PROC_LOCKS) as listing:
            lines = listing.read().splitlines()
    except OSError:
        return ()
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or not fields[4].isdigit():
            continue  # a waiter ("->"), or a POSIX lock
        where = fields[5].rsplit(":", 1)
        if len(where) == 2 and where[1] == inode:
            on_inode.append(int(fields[4]))
            if where[0] == device:
                on_device.append(int(fields[4]))
    # Some file systems (btrfs) show another device there than stat does: then the inode.
    return tuple(on_device or on_inode)
