"""Journal storages: an append-only log of operations shared by many workers."""

from tansaku.storages.journal._base import BaseJournalBackend
from tansaku.storages.journal._file import JournalFileBackend
from tansaku.storages.journal._storage import JournalStorage

__all__ = ["BaseJournalBackend", "JournalFileBackend", "JournalStorage"]
