"""JournalRedisBackend: a journal kept in Redis, shared by workers on many machines.

Layout (Optuna's, so a journal that Optuna wrote to Redis opens here and the other way round):
the counter ``{prefix}:log_number`` holds the number of the last record (-1 before the first),
and record ``n`` is the JSON text at ``{prefix}:log:{n}``.

Appending: on a single Redis server, one Lua script increments the counter and stores the
records; Redis runs a script atomically, so a reader never sees the counter ahead of its
records and a writer killed mid-append leaves either all of its records or none. A Redis
Cluster cannot run that script across hash slots, so there a writer increments the counter and
then stores each record with ``SET NX``; a reader that finds a number without a record waits
for it and, after ``hole_timeout`` seconds, fills it with a tombstone (also ``SET NX``). Either
the record or the tombstone wins, for every reader alike; a writer that lost to a tombstone
appends its record again under a new number. Tombstones are skipped.

Snapshots of the replayed state (see ``_snapshot.py``) are kept at ``{prefix}:tansaku_snapshot``
with the record numbers they cover and a digest of the last record they cover, so a snapshot
that does not match the journal is ignored. (Optuna keeps its own, pickled, snapshots at
``{prefix}:snapshot``; tansaku neither reads nor writes that key.)

Durability is Redis's: with its default settings a record is in the server's memory once the
append returns, so killing a worker loses nothing it appended; what a crash of the Redis
server loses depends on its persistence settings (``appendonly yes`` with ``appendfsync
everysec`` loses at most about a second).
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from tansaku._internal.redact import call_redacted, redact_url, url_secrets
from tansaku.storages.journal._base import BaseJournalBackend
from tansaku.storages.journal._snapshot import BaseJournalSnapshot, warn_snapshot_ignored

# Records fetched per MGET when reading.
_READ_BATCH = 1000
# What fills a record number whose writer died between counting and storing (cluster only).
TOMBSTONE = b"tansaku:tombstone"

# KEYS: none (the keys are built from the prefix, as Optuna names them); ARGV[1]: the prefix,
# ARGV[2..]: the records. Returns the number of the first record stored.
_APPEND_SCRIPT = """
local counter = ARGV[1] .. ':log_number'
redis.call('SETNX', counter, -1)
local n = #ARGV - 1
local last = redis.call('INCRBY', counter, n)
for i = 1, n do
  redis.call('SET', ARGV[1] .. ':log:' .. (last - n + i), ARGV[i + 1])
end
return last - n + 1
"""

_Result = TypeVar("_Result")


def _masked(method: Callable[..., _Result]) -> Callable[..., _Result]:
    """Mask the URL's password in whatever ``method`` (which talks to Redis) raises."""

    @functools.wraps(method)
    def wrapper(self: JournalRedisBackend, *args: Any, **kwargs: Any) -> _Result:
        return call_redacted(self._secrets, method, self, *args, **kwargs)

    return wrapper


class JournalRedisBackend(BaseJournalBackend, BaseJournalSnapshot):
    """Keep a journal in Redis at ``url``, under keys that start with ``prefix``.

    Args:
        url: The Redis URL, e.g. ``redis://host:6379/0``.
        use_cluster: The server is a Redis Cluster (see the module docstring for how appends
            work there).
        prefix: Start of every key of this journal, so several journals share one server.
        hole_timeout: Cluster only: seconds a reader waits for a counted record before
            replacing it by a tombstone.

    Errors and the backend's repr quote ``url`` with its password masked.

    Raises:
        ImportError: the ``redis`` package is not installed.
        ValueError: ``url`` is not a Redis URL.
    """

    def __init__(
        self,
        url: str,
        use_cluster: bool = False,
        prefix: str = "",
        *,
        hole_timeout: float = 10.0,
    ) -> None:
        try:
            import redis
        except ModuleNotFoundError:
            raise ImportError(
                "JournalRedisBackend needs the redis package: pip install tansaku[redis]"
            ) from None
        self._url = url
        self._secrets = url_secrets(url)
        self._use_cluster = use_cluster
        self._prefix = prefix
        self._hole_timeout = hole_timeout
        client = redis.RedisCluster if use_cluster else redis.Redis
        self._redis: Any
        try:
            self._redis = call_redacted(self._secrets, client.from_url, url)
        except ValueError as error:
            raise ValueError(f"JournalRedisBackend: url={redact_url(url)!r}: {error}") from None
        self._append_script = None if use_cluster else self._redis.register_script(_APPEND_SCRIPT)
        self._lock = threading.Lock()
        # The next record to read: its number as read_logs counts (tombstones are not
        # counted) and its key's number.
        self._next_number = 0
        self._next_key = 0

    def __getstate__(self) -> dict[str, Any]:
        return {
            "url": self._url,
            "use_cluster": self._use_cluster,
            "prefix": self._prefix,
            "hole_timeout": self._hole_timeout,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Rebuilt from its arguments: open files, connections and locks do not travel.
        type(self).__init__(self, **state)

    def __repr__(self) -> str:
        return (
            f"JournalRedisBackend(url={redact_url(self._url)!r}, "
            f"use_cluster={self._use_cluster!r}, prefix={self._prefix!r})"
        )

    def _counter_key(self) -> str:
        return f"{self._prefix}:log_number"

    def _record_key(self, number: int) -> str:
        return f"{self._prefix}:log:{number}"

    # -- reading --------------------------------------------------------------------------------
    @_masked
    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        with self._lock:
            if log_number_from < self._next_number:
                self._next_number, self._next_key = 0, 0  # a reader going back: start over
            last = self._redis.get(self._counter_key())
            if last is None:
                return []
            records: list[dict[str, Any]] = []
            last_key = int(last)
            while self._next_key <= last_key:
                stop = min(self._next_key + _READ_BATCH, last_key + 1)
                keys = [self._record_key(n) for n in range(self._next_key, stop)]
                if self._use_cluster:
                    texts = self._redis.mget_nonatomic(keys)
                else:
                    texts = self._redis.mget(keys)
                for offset, text in enumerate(texts):
                    if text is None:
                        text = self._wait_for_record(self._next_key + offset)
                    record = self._decode(text, self._next_key + offset)
                    if record is not None:
                        if self._next_number >= log_number_from:
                            records.append(record)
                        self._next_number += 1
                self._next_key = stop
            return records

    def _wait_for_record(self, key_number: int) -> bytes:
        """The record a writer counted but has not stored yet, or the tombstone that won."""
        key = self._record_key(key_number)
        deadline = time.monotonic() + self._hole_timeout
        pause = 0.005
        while time.monotonic() < deadline:
            text = self._redis.get(key)
            if text is not None:
                return bytes(text)
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        self._redis.set(key, TOMBSTONE, nx=True)
        return bytes(self._redis.get(key))

    def _decode(self, text: bytes, key_number: int) -> dict[str, Any] | None:
        if text == TOMBSTONE:
            return None
        try:
            record = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError):
            record = None
        if not isinstance(record, dict):
            warnings.warn(
                f"JournalRedisBackend: skipped a corrupt record "
                f"{self._record_key(key_number)!r}: {bytes(text)[:80]!r}",
                RuntimeWarning,
                stacklevel=4,
            )
            return None
        return record

    # -- snapshots ------------------------------------------------------------------------------
    def _snapshot_key(self) -> str:
        return f"{self._prefix}:tansaku_snapshot"

    def _digest(self, next_key: int) -> str:
        last = b"" if next_key == 0 else self._redis.get(self._record_key(next_key - 1))
        return hashlib.sha256(last or b"").hexdigest()

    @_masked
    def save_snapshot(self, snapshot: bytes) -> None:
        with self._lock:
            number, next_key = self._next_number, self._next_key
        header = {"number": number, "key": next_key, "digest": self._digest(next_key)}
        self._redis.set(self._snapshot_key(), json.dumps(header).encode() + b"\n" + snapshot)

    @_masked
    def load_snapshot(self) -> bytes | None:
        stored = self._redis.get(self._snapshot_key())
        if stored is None:
            return None
        header_line, _, snapshot = bytes(stored).partition(b"\n")
        try:
            header = json.loads(header_line)
            number, next_key = int(header["number"]), int(header["key"])
            matches = self._digest(next_key) == header["digest"]
        except (ValueError, KeyError, TypeError):
            matches = False
        if not matches:
            warn_snapshot_ignored("JournalRedisBackend", self._snapshot_key())
            return None
        with self._lock:
            self._next_number, self._next_key = number, next_key
        return snapshot

    # -- appending ------------------------------------------------------------------------------
    @_masked
    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        if not logs:
            return
        texts = [json.dumps(log, separators=(",", ":")) for log in logs]
        if self._append_script is not None:
            self._append_script(args=[self._prefix, *texts])
            return
        # Cluster: the records of one call are contiguous only when there is one of them,
        # which is how JournalStorage appends.
        for text in texts:
            self._append_one_in_cluster(text)

    def _append_one_in_cluster(self, text: str) -> None:
        self._redis.set(self._counter_key(), -1, nx=True)
        while True:
            number = int(self._redis.incr(self._counter_key()))
            if self._redis.set(self._record_key(number), text, nx=True):
                return
            # A reader gave up waiting for this number and tombstoned it: take another.
