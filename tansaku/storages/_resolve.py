"""Turn what a user passes as ``storage=`` (None, a URL, or a backend) into a backend."""

from __future__ import annotations

from tansaku._internal.redact import redact_url
from tansaku.storages._base import BaseStorage
from tansaku.storages._in_memory import InMemoryStorage

# Schemes of SQLAlchemy URLs that name a relational database.
_RDB_SCHEMES = ("sqlite", "postgresql", "mysql", "oracle", "mssql")


def get_storage(storage: None | str | BaseStorage) -> BaseStorage:
    """Return the backend for ``storage``: a new in-memory one for None, a backend as given.

    Messages quote a URL with its password masked (``tansaku._internal.redact``).

    Raises:
        ValueError: ``storage`` is a string that is not a storage URL tansaku understands.
        TypeError: ``storage`` is of another type.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        scheme = storage.split(":", 1)[0].split("+", 1)[0].lower()
        if "://" not in storage or not scheme:
            raise ValueError(
                f"storage={redact_url(storage)!r} is not a storage URL; expected e.g. "
                "'sqlite:///study.db' or 'postgresql://user@host/db'"
            )
        if scheme in _RDB_SCHEMES:
            return _rdb_storage(storage)
        raise ValueError(
            f"storage={redact_url(storage)!r}: the URL scheme {scheme!r} is not supported; "
            f"use one of {', '.join(_RDB_SCHEMES)}"
        )
    raise TypeError(
        f"storage must be None, a URL string or a BaseStorage, got {type(storage).__name__}"
    )


def _rdb_storage(url: str) -> BaseStorage:
    # Imported here so that `import tansaku` does not load SQLAlchemy for in-memory studies.
    from tansaku.storages._rdb import RDBStorage

    return RDBStorage(url)
