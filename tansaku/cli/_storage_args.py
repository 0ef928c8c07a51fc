"""Turn a STORAGE argument (a URL, or a path to a journal or SQLite file) into a storage.

One resolution serves every command, so ``tansaku trials --storage run.log`` and
``tansaku dashboard run.log`` read the same file the same way:

- a URL (``sqlite:///study.db``, ``postgresql://...``, ``mysql+pymysql://...``) opens an
  RDBStorage; ``redis://`` and ``rediss://`` open a journal kept in Redis;
- a path to an existing file is told apart by its first bytes: a SQLite database starts with
  ``SQLite format 3``, anything else is opened as a journal file (which checks that it is one);
- a missing path is a user error, except where a command creates storages (``create-study``,
  the target of ``copy``): then a name ending in ``.db``, ``.sqlite`` or ``.sqlite3`` becomes a
  SQLite database and any other name a journal file.

``--storage-class`` (Optuna's hint: ``JournalFileBackend``, ``JournalRedisBackend``,
``RDBStorage``) overrides the guess.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tansaku._internal.redact import redact_url
from tansaku.exceptions import CLIUsageError

if TYPE_CHECKING:
    from tansaku.storages import BaseStorage

SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
REDIS_SCHEMES = ("redis", "rediss", "unix")
# The environment variables read, in order, when ``--storage`` is not given.
STORAGE_ENV_VARS = ("TANSAKU_STORAGE", "OPTUNA_STORAGE")
# Optuna's --storage-class names (the second of each pair is the pre-4.0 name).
_JOURNAL_FILE_CLASSES = ("JournalFileBackend", "JournalFileStorage")
_JOURNAL_REDIS_CLASSES = ("JournalRedisBackend", "JournalRedisStorage")
_RDB_CLASSES = ("RDBStorage",)
STORAGE_CLASSES = _JOURNAL_FILE_CLASSES + _JOURNAL_REDIS_CLASSES + _RDB_CLASSES


@dataclass(frozen=True)
class ResolvedStorage:
    """A storage opened from a STORAGE argument.

    Attributes:
        storage: The backend.
        identity: Where the data lives, the same whichever way it was named (a SQLite file
            given as a path or as a URL, relative or absolute), with any password masked;
            ``copy`` records it as the origin of the trials it copies.
    """

    storage: BaseStorage
    identity: str


def storage_argument(given: str | None) -> str:
    """Return ``--storage``'s value, else the first storage environment variable set.

    Raises:
        CLIUsageError: neither is given.
    """
    if given:
        return given
    for name in STORAGE_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    raise CLIUsageError(
        "no storage given: pass --storage URL (e.g. sqlite:///study.db) "
        "or set TANSAKU_STORAGE (or OPTUNA_STORAGE)"
    )


def resolve_storage(
    spec: str, *, storage_class: str | None = None, create: bool = False
) -> ResolvedStorage:
    """Open the storage that ``spec`` names (see the module docstring for the rules).

    Args:
        spec: A storage URL or a file path.
        storage_class: Optuna's hint of the storage kind, or None to tell it from ``spec``.
        create: Whether a missing file may be created.

    Raises:
        CLIUsageError: ``spec`` names a missing file (without ``create``), a directory, or
            an unknown storage class.
        ValueError: the URL or the file is not a storage tansaku can open.
    """
    if storage_class is not None:
        return _resolve_with_class(spec, storage_class)
    if "://" in spec:
        scheme = spec.split("://", 1)[0].split("+", 1)[0].lower()
        if scheme in REDIS_SCHEMES:
            return _journal_redis(spec)
        return _rdb(spec)
    path = Path(spec)
    if path.is_dir():
        raise CLIUsageError(f"storage {spec!r} is a directory, not a journal or SQLite file")
    if not path.exists():
        if not create:
            raise CLIUsageError(
                f"storage {spec!r}: no such file (give a storage URL such as "
                "sqlite:///study.db, or the path of an existing journal or SQLite file)"
            )
        return _sqlite_file(path) if _named_like_sqlite(path) else _journal_file(path)
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC or (not head and _named_like_sqlite(path)):
        return _sqlite_file(path)
    return _journal_file(path)


def rdb_url(spec: str, *, storage_class: str | None = None) -> str | None:
    """Return the database URL that ``spec`` names, or None when it names a journal.

    Opens nothing, so that ``storage upgrade`` can open an old database without the check
    that refuses it.

    Raises:
        CLIUsageError: as :func:`resolve_storage` for a missing path or a directory.
    """
    if storage_class is not None:
        return spec if storage_class in _RDB_CLASSES else None
    if "://" in spec:
        scheme = spec.split("://", 1)[0].split("+", 1)[0].lower()
        return None if scheme in REDIS_SCHEMES else spec
    path = Path(spec)
    if not path.is_file():
        resolve_storage(spec)  # raises the error that fits
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC or (not head and _named_like_sqlite(path)):
        return f"sqlite:///{path.resolve()}"
    return None


def _resolve_with_class(spec: str, storage_class: str) -> ResolvedStorage:
    if storage_class in _JOURNAL_FILE_CLASSES:
        return _journal_file(Path(spec))
    if storage_class in _JOURNAL_REDIS_CLASSES:
        return _journal_redis(spec)
    if storage_class in _RDB_CLASSES:
        return _rdb(spec)
    raise CLIUsageError(
        f"--storage-class={storage_class!r} is not a storage class tansaku knows; "
        f"use one of {', '.join(STORAGE_CLASSES)}"
    )


def _named_like_sqlite(path: Path) -> bool:
    return path.suffix.lower() in SQLITE_SUFFIXES


def _sqlite_file(path: Path) -> ResolvedStorage:
    return _rdb(f"sqlite:///{path.resolve()}")


def _rdb(url: str) -> ResolvedStorage:
    from tansaku.storages import get_storage

    return ResolvedStorage(get_storage(url), _url_identity(url))


def _url_identity(url: str) -> str:
    # A SQLite file's identity is its absolute path, however the URL spelled it.
    prefix = "sqlite:///"
    if url.lower().startswith(prefix) and len(url) > len(prefix):
        database = url[len(prefix) :].split("?", 1)[0]
        if database != ":memory:":
            return f"sqlite:///{Path(database).resolve()}"
    return redact_url(url)


def _journal_file(path: Path) -> ResolvedStorage:
    from tansaku.storages.journal import JournalFileBackend, JournalStorage

    backend = JournalFileBackend(str(path))
    return ResolvedStorage(JournalStorage(backend), f"journal:///{path.resolve()}")


def _journal_redis(url: str) -> ResolvedStorage:
    from tansaku.storages.journal import JournalRedisBackend, JournalStorage

    return ResolvedStorage(JournalStorage(JournalRedisBackend(url)), redact_url(url))
