"""JournalFileBackend: a journal in one file of JSON lines, shared by many processes.

Locking: a writer takes an exclusive ``flock`` on the journal file itself, appends its records
with one ``write`` on a descriptor opened ``O_APPEND``, and releases the lock. Readers take no
lock: they read only up to the last newline, so a record that is being written is simply not
read yet. Each process keeps one descriptor open for both (a read is an ``fstat`` and, when the
file grew, one ``pread``), and threads of a process take turns on it. ``flock`` works between
processes of one machine on every local file system; on NFS (v4, and v3 with a lock manager)
Linux implements ``flock`` with POSIX byte-range locks that the server arbitrates, so writers
on several machines exclude each other too. The lock is held
only while the bytes are written, never across a read, so a killed writer cannot leave it held:
the kernel (or the NFS server's lease) drops it with the process. Where ``flock`` does not work
(some NFS setups) or does not exist (Windows), ``lock_obj`` takes its place: a
:class:`JournalFileSymlinkLock` or :class:`JournalFileOpenLock` (``_file_locks.py``), and
without ``flock`` a :class:`JournalFileOpenLock` is the default.

Torn records: a writer killed in the middle of its ``write`` leaves a last line without its
newline. The next writer sees that the file does not end with a newline and ends the torn line
before appending; readers skip a line that is not valid JSON, with a warning, and every reader
skips the same lines, so all of them number the records alike.

Read-only journals: a process that may read the journal but not write it (a report or a
dashboard run by another user, a journal on a read-only mount or in a read-only directory)
opens it read-only, reads it like any reader and writes no snapshot; an append then raises
PermissionError naming the file. A missing journal is created, which needs write access to
its directory.

Snapshots: the backend keeps the latest snapshot of the replayed state (see ``_snapshot.py``)
in ``<file_path>.snapshot``, replaced atomically, with the byte offset and the record number
it covers and a digest of the bytes just before that offset; a snapshot whose digest does not
match the journal (the journal was replaced or truncated) is ignored.

Durability: by default records are not synced to disk one by one; once ``write`` returns they
are in the operating system's cache, so killing a process loses nothing it appended, while a
power loss or OS crash can lose the records of the last seconds. ``fsync=True`` syncs each
append (one fsync, about 5 ms here, per write).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import threading
import warnings
from collections.abc import Iterable
from typing import Any

from tansaku.storages._file_lock import HAVE_FLOCK, fcntl, lock_exclusive
from tansaku.storages.journal._base import BaseJournalBackend
from tansaku.storages.journal._file_locks import BaseJournalFileLock, JournalFileOpenLock
from tansaku.storages.journal._snapshot import BaseJournalSnapshot, warn_snapshot_ignored

# Seconds a writer waits for the journal's lock (held by others only while they append) before
# StorageLockTimeoutError names the holder.
LOCK_TIMEOUT_S = 60.0
# Bytes before a snapshot's offset whose digest ties the snapshot to its journal.
_DIGEST_SPAN = 4096
# Bytes from the start of a file read to tell whether it is a journal.
_CHECK_SPAN = 1 << 16


class JournalFileBackend(BaseJournalBackend, BaseJournalSnapshot):
    """Keep a journal in the file ``file_path`` (created when missing).

    Args:
        file_path: The journal file; the same path for every worker.
        lock_obj: The lock that excludes writers from each other, for file systems where
            ``flock`` does not work: a :class:`JournalFileSymlinkLock` or
            :class:`JournalFileOpenLock` of ``file_path``; every worker must use the same kind.
            None (the default) locks the journal file itself with ``flock``, or where the
            platform has none (Windows), with a :class:`JournalFileOpenLock`.
        fsync: Sync every append to disk (see the module docstring on durability).

    Raises:
        ValueError: the file exists and is not a journal (its first line is not a record).
    """

    def __init__(
        self, file_path: str, lock_obj: BaseJournalFileLock | None = None, *, fsync: bool = False
    ) -> None:
        self._path = os.fspath(file_path)
        if lock_obj is None and not HAVE_FLOCK:
            lock_obj = JournalFileOpenLock(self._path)
        self._lock_obj = lock_obj
        self._fsync = fsync
        self._lock = threading.Lock()
        # Where the next unread record starts: its number and its byte offset.
        self._next_number = 0
        self._next_offset = 0
        self._pending: list[dict[str, Any]] = []
        self._fd = -1
        self._fd_pid = -1
        # Whether this process's descriptor may write (see "Read-only journals" above).
        self._writable = True
        self._check_is_journal()

    def __getstate__(self) -> dict[str, Any]:
        # A copy (sent to another process) reads the file from its start, like a new reader.
        return {"file_path": self._path, "lock_obj": self._lock_obj, "fsync": self._fsync}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Rebuilt from its arguments: open files, connections and locks do not travel.
        type(self).__init__(self, **state)

    def __del__(self) -> None:
        try:
            if getattr(self, "_fd_pid", -1) == os.getpid():
                os.close(self._fd)
        except Exception:  # interpreter shutdown: the descriptor goes with the process
            pass

    def _descriptor(self) -> int:
        """This process's descriptor of the journal, opened on first use (call under the lock).

        A child made by ``fork`` opens its own: ``flock`` excludes open files, not processes,
        so a descriptor shared with the parent would let both write at once.
        """
        if self._fd_pid != os.getpid():
            self._fd, self._writable = _open_journal(self._path)
            self._fd_pid = os.getpid()
        return self._fd

    def _writable_descriptor(self) -> int:
        """The descriptor, opened for writing (call under the lock).

        Raises:
            PermissionError: this process may not write the journal.
        """
        fd = self._descriptor()
        if self._writable:
            return fd
        try:  # the rights may have changed since the journal was opened
            writable_fd = os.open(self._path, os.O_RDWR | os.O_APPEND)
        except OSError as error:
            raise PermissionError(
                error.errno,
                f"JournalFileBackend: cannot append to the journal {self._path!r}, which this "
                f"process may only read ({os.strerror(error.errno or errno.EACCES)})",
                self._path,
            ) from None
        os.close(fd)
        self._fd, self._writable = writable_fd, True
        return writable_fd

    def _check_is_journal(self) -> None:
        """Refuse a file that is not a journal before anything is appended to it.

        A journal starts with ``{``; of its first two complete lines (the first may be a
        record torn by a killed writer, ended by the next one) one is a JSON record with an
        ``op_code``. A file with no complete line yet is a journal whose first record is being
        written, or was torn.
        """
        with self._lock:
            head = os.pread(self._descriptor(), _CHECK_SPAN, 0)
        if not head:
            return
        lines = head.split(b"\n")[:-1]
        if head.lstrip().startswith(b"{") and (
            not lines or any(_is_record(line) for line in lines[:2])
        ):
            return
        first = head.split(b"\n", 1)[0]
        raise ValueError(
            f"JournalFileBackend: {self._path!r} is not a journal file (it does not start "
            f"with a JSON record: {first[:60]!r})"
        )

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        with self._lock:
            if log_number_from < self._next_number - len(self._pending):
                # A reader going back: start over (rare; readers normally only move on).
                self._next_number, self._next_offset, self._pending = 0, 0, []
            self._read_new()
            records = self._pending
            start = log_number_from - (self._next_number - len(records))
            result = records[max(start, 0) :]
            self._pending = []
            return result

    def _read_new(self) -> None:
        fd = self._descriptor()
        size = os.fstat(fd).st_size
        if size <= self._next_offset:
            return
        self._take(os.pread(fd, size - self._next_offset, self._next_offset))

    def _take(self, data: bytes) -> None:
        """Parse the complete records of ``data``, the bytes at the read offset."""
        end = data.rfind(b"\n")
        if end < 0:
            return
        offset = self._next_offset
        for line in data[: end + 1].split(b"\n")[:-1]:
            line_offset, offset = offset, offset + len(line) + 1
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                record = None
            else:
                if isinstance(record, dict):
                    self._pending.append(record)
                    self._next_number += 1
                    continue
            # Valid JSON that is not an object is no record either (the storage checks the
            # fields of objects). The offset tells two identical bad lines apart.
            warnings.warn(
                f"JournalFileBackend: skipped a torn or corrupt record at byte {line_offset} "
                f"of {self._path!r}: {line[:80]!r}",
                RuntimeWarning,
                stacklevel=4,
            )
        self._next_offset += end + 1

    # -- snapshots ------------------------------------------------------------------------------
    def _snapshot_path(self) -> str:
        return self._path + ".snapshot"

    def _digest(self, offset: int) -> str:
        with open(self._path, "rb") as file:
            start = max(0, offset - _DIGEST_SPAN)
            file.seek(start)
            return hashlib.sha256(file.read(offset - start)).hexdigest()

    def save_snapshot(self, snapshot: bytes) -> None:
        with self._lock:
            self._descriptor()
            if not self._writable:
                return  # a reader that may not write the journal leaves its snapshot alone
            number, offset = self._next_number, self._next_offset
        header = {"number": number, "offset": offset, "digest": self._digest(offset)}
        temporary = f"{self._snapshot_path()}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(temporary, "wb") as file:
                file.write(json.dumps(header).encode() + b"\n" + snapshot)
            # Atomic: a reader sees the old snapshot or the new one, never a mix.
            os.replace(temporary, self._snapshot_path())
        except BaseException:
            # A full disk, an interrupt: no partial snapshot left to fill the disk.
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def load_snapshot(self) -> bytes | None:
        try:
            with open(self._snapshot_path(), "rb") as file:
                header_line = file.readline()
                snapshot = file.read()
        except FileNotFoundError:
            return None
        try:
            header = json.loads(header_line)
            number, offset = int(header["number"]), int(header["offset"])
            matches = (
                offset <= os.path.getsize(self._path) and self._digest(offset) == header["digest"]
            )
        except (ValueError, KeyError, TypeError):
            matches = False
        if not matches:
            warn_snapshot_ignored("JournalFileBackend", self._snapshot_path())
            return None
        with self._lock:
            self._next_number, self._next_offset = number, offset
            self._pending = []
        return snapshot

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        payload = b"".join(json.dumps(log, separators=(",", ":")).encode() + b"\n" for log in logs)
        with self._lock:
            fd = self._writable_descriptor()
            if self._lock_obj is not None:
                self._lock_obj.acquire()  # a failed acquire holds nothing
            try:
                # Inside the try: an interrupt just after the lock is taken still releases it.
                if self._lock_obj is None:
                    lock_exclusive(fd, self._path, LOCK_TIMEOUT_S, "is a writer stopped?")
                size = os.fstat(fd).st_size
                # Everything up to the read offset ends with a newline; only bytes appended
                # since can end in a record torn by a killed writer.
                if size > self._next_offset and os.pread(fd, 1, size - 1) != b"\n":
                    payload = b"\n" + payload
                self._write_all(fd, size, payload)
                if self._fsync:
                    os.fsync(fd)
                if size == self._next_offset:
                    # Nothing unread came before: the records after the offset are these.
                    self._take(payload)
            finally:
                if self._lock_obj is None and fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                elif self._lock_obj is not None:
                    self._lock_obj.release()

    def _write_all(self, fd: int, size: int, payload: bytes) -> None:
        """Append ``payload`` at ``size``, the journal's end (call holding its ``flock``).

        A write that fails part way (a full disk) is undone back to its last newline, so no
        torn record is left to be skipped by every reader: that is ``size`` for a payload of
        one record (its only newline ends it), or just after the newline that ended a record
        torn by a killed writer, which readers may have read already.

        Raises:
            OSError: the write failed; its errno (ENOSPC for a full disk) and a message that
                names the journal and says that the records were not appended.
        """
        done = 0
        try:
            while done < len(payload):
                # A short count without an error is retried: the next write says what is wrong.
                done += os.write(fd, payload[done:])
        except OSError as error:
            end = payload.rfind(b"\n", 0, done) + 1
            # Left torn if this fails too: readers skip the line, the next writer ends it.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size + end)
            kept = payload[:end].strip(b"\n").count(b"\n") + (1 if payload[:end].strip() else 0)
            code = error.errno or errno.EIO
            why = "the disk is full" if code in (errno.ENOSPC, errno.EDQUOT) else "it failed"
            raise OSError(
                code,
                f"JournalFileBackend: could not append to the journal {self._path!r}: {why} "
                f"({os.strerror(code)}); "
                + ("nothing was appended" if not kept else f"only {kept} record(s) were appended"),
                self._path,
            ) from error


def _open_journal(path: str) -> tuple[int, bool]:
    """A descriptor of the journal at ``path`` (created when missing) and whether it may write.

    Read-write when this process may write the file, else read-only.

    Raises:
        PermissionError: the journal may not even be read, or is missing and may not be
            created (the message names the file).
    """
    try:
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644), True
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        write_error = error
    try:
        return os.open(path, os.O_RDONLY), False
    except FileNotFoundError:
        raise PermissionError(
            write_error.errno,
            f"JournalFileBackend: cannot create the journal {path!r} "
            f"({os.strerror(write_error.errno or errno.EACCES)})",
            path,
        ) from None


def _is_record(line: bytes) -> bool:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(record, dict) and "op_code" in record
