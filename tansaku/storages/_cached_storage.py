"""_CachedStorage: Optuna's caching wrapper of an RDBStorage, kept for programs that name it.

Optuna wraps every RDBStorage in it to keep finished trials in memory. tansaku's RDBStorage
keeps that cache itself (``_rdb/_cache.py``), so the wrapper only forwards each call to the
storage it wraps; it is never created by tansaku.
"""

from __future__ import annotations

import abc
import functools
from typing import TYPE_CHECKING, Any, TypeVar

from tansaku.storages._base import BaseStorage
from tansaku.storages._heartbeat import BaseHeartbeat

if TYPE_CHECKING:
    from tansaku.storages._rdb import RDBStorage

_Class = TypeVar("_Class", bound=type)


def _forwarder(name: str) -> Any:
    original = getattr(BaseStorage, name, None) or getattr(BaseHeartbeat, name)

    # updated=(): the original's __dict__ (its __isabstractmethod__ flag) is not copied;
    # __wrapped__ still gives the forwarder the original's signature.
    @functools.wraps(original, updated=())
    def forward(self: _CachedStorage, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._backend, name)(*args, **kwargs)

    return forward


def _forwarding_every_storage_method(cls: _Class) -> _Class:
    """Give ``cls`` a method forwarding to ``self._backend`` for each storage method."""
    for base in (BaseStorage, BaseHeartbeat):
        for name, value in vars(base).items():
            if callable(value) and (not name.startswith("_") or name == "_get_stale_trial_ids"):
                setattr(cls, name, _forwarder(name))
    abc.update_abstractmethods(cls)
    return cls


@_forwarding_every_storage_method
class _CachedStorage(BaseStorage, BaseHeartbeat):
    """Forward every storage call to ``backend``, which caches finished trials itself.

    Args:
        backend: The RDBStorage to wrap.
    """

    def __init__(self, backend: RDBStorage) -> None:
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        if name == "_backend":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self._backend, name)
