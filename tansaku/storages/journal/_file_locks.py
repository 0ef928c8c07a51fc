"""Journal file locks that need no ``flock``: for NFS and other file systems where it fails.

Both locks are a second file, ``<journal>.lock``, that exists while a writer holds the lock;
creating it is the one atomic step that only one process can win, and releasing deletes it.
:class:`JournalFileSymlinkLock` creates it as a symbolic link (atomic on every NFS version);
:class:`JournalFileOpenLock` creates it with ``open(O_CREAT | O_EXCL)`` (atomic on NFSv3 and
later, and on local file systems of every platform, Windows included).

A lock left by a process that died while holding it (SIGKILL, a lost machine) is broken by a
waiter once it has seen the lock file unchanged (same file, same mtime) for ``grace_period``
seconds of its own clock, so clocks of different machines need not agree. A writer holds the
lock only for one append, far shorter than any sensible grace period.

Each lock file carries a token of its own (the link's target, the file's content): inode
numbers are reused at once and cannot tell two lock files apart. Breaking and releasing move
the lock file aside under a name of their own (an atomic rename) and check its token; a file
that turns out to be a newer holder's is linked back, which cannot overwrite a lock taken in
between. So a slow holder whose lock was broken
never deletes the lock of the process that holds it now.
"""

from __future__ import annotations

import abc
import contextlib
import os
import threading
import time
import uuid
import warnings
from typing import Any

from tansaku import logging as tansaku_logging
from tansaku._internal.validation import invalid
from tansaku.exceptions import StorageLockTimeoutError

_logger = tansaku_logging.get_logger(__name__)

# Appended to the journal's path for the lock file.
LOCK_FILE_SUFFIX = ".lock"
# Without a grace period a lock is waited for at most this long (a stopped holder must not make
# every writer wait forever); with one, a dead holder's lock is broken instead.
_TIMEOUT_WITHOUT_GRACE_S = 60.0
# Pauses between attempts, doubling from the first to the last.
_FIRST_PAUSE_S = 0.001
_LONGEST_PAUSE_S = 0.1
# Grace periods below this are likely to break the lock of a live, merely slow, writer.
_SHORT_GRACE_S = 3


class BaseJournalFileLock(abc.ABC):
    """A lock that excludes the writers of one journal file from each other."""

    @abc.abstractmethod
    def acquire(self) -> bool:
        """Wait until this process holds the lock; return True."""

    @abc.abstractmethod
    def release(self) -> None:
        """Give the lock up (it must be held)."""


class _LockFileLock(BaseJournalFileLock):
    """What both locks share: the waiting, the breaking of stale locks and the release."""

    def __init__(self, filepath: str, grace_period: int | None = 30) -> None:
        owner = type(self).__name__
        if grace_period is not None:
            if isinstance(grace_period, bool) or not grace_period > 0:
                raise invalid(owner, "grace_period", grace_period, "must be > 0 or None")
            if grace_period < _SHORT_GRACE_S:
                warnings.warn(
                    f"{owner}: grace_period={grace_period!r} is short: a lock held by a live "
                    f"writer may be broken (a few seconds at least is safer)",
                    UserWarning,
                    stacklevel=3,
                )
        self._target = os.fspath(filepath)
        self._lock_file = self._target + LOCK_FILE_SUFFIX
        self.grace_period = grace_period
        # The token of the lock file this object created, while it holds it.
        self._held: str | None = None
        self._thread_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"filepath": self._target, "grace_period": self.grace_period}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Rebuilt from its arguments: open files, connections and locks do not travel.
        type(self).__init__(self, **state)

    @abc.abstractmethod
    def _create(self, token: str) -> None:
        """Create the lock file atomically, carrying ``token``. FileExistsError if held."""

    @abc.abstractmethod
    def _token(self, path: str) -> str:
        """The token the lock file at ``path`` carries ("" while it is being written)."""

    def _identity(self, path: str) -> tuple[str, int] | None:
        """The token and mtime (ns) of the lock file at ``path``; None when there is none."""
        try:
            return self._token(path), os.lstat(path).st_mtime_ns
        except FileNotFoundError:
            return None

    def acquire(self) -> bool:
        self._thread_lock.acquire()  # threads of one process share the object: one at a time
        try:
            self._wait_and_create()
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    def _wait_and_create(self) -> None:
        pause = _FIRST_PAUSE_S
        started = time.monotonic()
        seen: tuple[str, int] | None = None  # the holder's lock file, as last seen
        seen_since = started
        while True:
            token = f"{os.getpid()}-{uuid.uuid4().hex}"
            try:
                self._create(token)
                self._held = token
                return
            except FileExistsError:
                pass
            now = time.monotonic()
            current = self._identity(self._lock_file)
            if current is None:
                continue  # released meanwhile: try again at once
            if current != seen:
                seen, seen_since = current, now
            if self.grace_period is not None:
                if now - seen_since > self.grace_period:
                    _logger.warning(
                        f"Breaking the lock {self._lock_file!r}: unchanged for more than "
                        f"{self.grace_period} s, its holder is taken for dead."
                    )
                    self._remove_if(current[0])
                    seen, pause = None, _FIRST_PAUSE_S
                    continue
            elif now - started > _TIMEOUT_WITHOUT_GRACE_S:
                raise StorageLockTimeoutError(
                    f"waited {_TIMEOUT_WITHOUT_GRACE_S:g} s for the lock file "
                    f"{self._lock_file!r}; is a writer stopped? (a grace_period breaks the "
                    "lock of a dead writer)",
                    lock_path=self._lock_file,
                    holder_pids=(),
                    timeout=_TIMEOUT_WITHOUT_GRACE_S,
                )
            time.sleep(pause)
            pause = min(2 * pause, _LONGEST_PAUSE_S)

    def release(self) -> None:
        try:
            held, self._held = self._held, None
            if held is not None:
                self._remove_if(held)
        finally:
            if self._thread_lock.locked():
                self._thread_lock.release()

    def _remove_if(self, token: str) -> None:
        """Delete the lock file if it still carries ``token``; else leave it in place."""
        aside = f"{self._lock_file}.{uuid.uuid4().hex}.removing"
        try:
            os.rename(self._lock_file, aside)
        except FileNotFoundError:
            return  # already gone (broken by a waiter)
        try:
            if self._token(aside) != token:
                # A newer holder's lock: put it back unless yet another one was taken since.
                with contextlib.suppress(FileExistsError):
                    _link(aside, self._lock_file)
        finally:
            os.unlink(aside)


class JournalFileSymlinkLock(_LockFileLock):
    """Lock a journal by creating ``<filepath>.lock`` as a symbolic link (NFSv2 and later).

    Args:
        filepath: The journal file the lock protects.
        grace_period: Seconds a waiter lets a lock file stay unchanged before it takes the
            holder for dead and breaks the lock; None never breaks one (a waiter then gives up
            after 60 s with :class:`~tansaku.exceptions.StorageLockTimeoutError`).

    Raises:
        ValueError: ``grace_period`` is not > 0 or None.
    """

    def _create(self, token: str) -> None:
        # The link's target is never followed: it names the journal and carries the token.
        os.symlink(f"{self._target}#{token}", self._lock_file)

    def _token(self, path: str) -> str:
        return os.readlink(path).rpartition("#")[2]


class JournalFileOpenLock(_LockFileLock):
    """Lock a journal by creating ``<filepath>.lock`` with ``O_CREAT | O_EXCL`` (NFSv3 and later).

    Args:
        filepath: The journal file the lock protects.
        grace_period: Seconds a waiter lets a lock file stay unchanged before it takes the
            holder for dead and breaks the lock; None never breaks one (a waiter then gives up
            after 60 s with :class:`~tansaku.exceptions.StorageLockTimeoutError`).

    Raises:
        ValueError: ``grace_period`` is not > 0 or None.
    """

    def _create(self, token: str) -> None:
        fd = os.open(self._lock_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, token.encode())
        finally:
            os.close(fd)

    def _token(self, path: str) -> str:
        with open(path, "rb") as file:
            return file.read().decode(errors="replace")


def _link(source: str, name: str) -> None:
    """Hard link ``name`` to ``source`` itself (a symbolic link is not followed)."""
    try:
        os.link(source, name, follow_symlinks=False)
    except NotImplementedError:  # platforms without it have no symbolic link locks either
        os.link(source, name)
