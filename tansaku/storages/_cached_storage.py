"""_CachedStorage: Optuna's caching wrapper of an RDBStorage, kept for programs that name it.

Optuna wraps every RDBStorage in it to keep finished trials in memory. tansaku's RDBStorage
keeps that cache itself (``_rdb/_cache.py``), so the wrapper only forwards each call to the
storage it wraps; it is never created by tansaku.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku.storages._base import BaseStorage
from tansaku.storages._heartbeat import BaseHeartbeat

if TYPE_CHECKING:
    from tansaku.storages._rdb import RDBStorage


# A virtual subclass of both bases (isinstance and issubclass hold, as for Optuna's class):
# inheriting from them would give it their methods, which must go to ``backend`` instead.
@BaseStorage.register
@BaseHeartbeat.register
class _CachedStorage:
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
