"""Journal storages: an append-only log of operations shared by many workers."""

from tansaku.storages.journal._base import BaseJournalBackend
from tansaku.storages.journal._file import JournalFileBackend
from tansaku.storages.journal._file_locks import (
    BaseJournalFileLock,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from tansaku.storages.journal._redis import JournalRedisBackend
from tansaku.storages.journal._snapshot import BaseJournalSnapshot
from tansaku.storages.journal._storage import JournalStorage

__all__ = [
    "BaseJournalBackend",
    "BaseJournalFileLock",
    "BaseJournalSnapshot",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileSymlinkLock",
    "JournalRedisBackend",
    "JournalStorage",
]
