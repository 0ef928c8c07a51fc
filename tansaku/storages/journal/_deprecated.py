"""Names of the journal classes from before Optuna 4.0, kept in ``tansaku.storages``.

Each is a subclass of the current class whose creation warns with a FutureWarning naming the
class to use instead, as Optuna's do; they are not exported from ``tansaku.storages.journal``
(Optuna leaves them out there too).
"""

from __future__ import annotations

from tansaku._internal.deprecation import deprecated_class
from tansaku.storages.journal._base import BaseJournalBackend
from tansaku.storages.journal._file import JournalFileBackend
from tansaku.storages.journal._file_locks import JournalFileOpenLock, JournalFileSymlinkLock
from tansaku.storages.journal._redis import JournalRedisBackend


@deprecated_class("BaseJournalLogStorage", "tansaku.storages.journal.BaseJournalBackend")
class BaseJournalLogStorage(BaseJournalBackend):
    """Deprecated name of :class:`~tansaku.storages.journal.BaseJournalBackend`."""


@deprecated_class("JournalFileStorage", "tansaku.storages.journal.JournalFileBackend")
class JournalFileStorage(JournalFileBackend):
    """Deprecated name of :class:`~tansaku.storages.journal.JournalFileBackend`."""


@deprecated_class("JournalRedisStorage", "tansaku.storages.journal.JournalRedisBackend")
class JournalRedisStorage(JournalRedisBackend):
    """Deprecated name of :class:`~tansaku.storages.journal.JournalRedisBackend`."""


@deprecated_class(
    "The import path tansaku.storages.JournalFileSymlinkLock",
    "tansaku.storages.journal.JournalFileSymlinkLock",
)
class DeprecatedJournalFileSymlinkLock(JournalFileSymlinkLock):
    """``tansaku.storages.JournalFileSymlinkLock``: the lock under its deprecated import path."""


@deprecated_class(
    "The import path tansaku.storages.JournalFileOpenLock",
    "tansaku.storages.journal.JournalFileOpenLock",
)
class DeprecatedJournalFileOpenLock(JournalFileOpenLock):
    """``tansaku.storages.JournalFileOpenLock``: the lock under its deprecated import path."""
