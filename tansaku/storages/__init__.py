"""Storages: where studies and trials are kept.

The database and journal backends load SQLAlchemy and friends, and the gRPC proxy loads
grpcio, so they are imported on first use: ``import tansaku`` stays fast for in-memory studies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tansaku.storages._base import BaseStorage
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.storages._heartbeat import BaseHeartbeat, fail_stale_trials
from tansaku.storages._in_memory import InMemoryStorage
from tansaku.storages._resolve import get_storage
from tansaku.storages._trial_cursor import TrialCursor

if TYPE_CHECKING:
    from tansaku.storages import journal
    from tansaku.storages._cached_storage import _CachedStorage
    from tansaku.storages._callbacks import (
        RetryFailedTrialCallback,
        RetryHeartbeatStaleTrialCallback,
    )
    from tansaku.storages._grpc import GrpcStorageProxy, run_grpc_proxy_server
    from tansaku.storages._rdb import RDBStorage
    from tansaku.storages.journal import JournalStorage
    from tansaku.storages.journal._deprecated import (
        BaseJournalLogStorage,
        JournalFileStorage,
        JournalRedisStorage,
    )
    from tansaku.storages.journal._deprecated import (
        DeprecatedJournalFileOpenLock as JournalFileOpenLock,
    )
    from tansaku.storages.journal._deprecated import (
        DeprecatedJournalFileSymlinkLock as JournalFileSymlinkLock,
    )

# Public names of lazily imported modules: name -> (module, attribute or None for the module).
_LAZY = {
    "RDBStorage": ("tansaku.storages._rdb", "RDBStorage"),
    "JournalStorage": ("tansaku.storages.journal", "JournalStorage"),
    "RetryFailedTrialCallback": ("tansaku.storages._callbacks", "RetryFailedTrialCallback"),
    "RetryHeartbeatStaleTrialCallback": (
        "tansaku.storages._callbacks",
        "RetryHeartbeatStaleTrialCallback",
    ),
    "journal": ("tansaku.storages.journal", None),
    "_CachedStorage": ("tansaku.storages._cached_storage", "_CachedStorage"),
    # Deprecated names (Optuna's from before 4.0); their creation warns.
    "BaseJournalLogStorage": ("tansaku.storages.journal._deprecated", "BaseJournalLogStorage"),
    "JournalFileStorage": ("tansaku.storages.journal._deprecated", "JournalFileStorage"),
    "JournalRedisStorage": ("tansaku.storages.journal._deprecated", "JournalRedisStorage"),
    "JournalFileSymlinkLock": (
        "tansaku.storages.journal._deprecated",
        "DeprecatedJournalFileSymlinkLock",
    ),
    "JournalFileOpenLock": (
        "tansaku.storages.journal._deprecated",
        "DeprecatedJournalFileOpenLock",
    ),
    "GrpcStorageProxy": ("tansaku.storages._grpc", "GrpcStorageProxy"),
    "run_grpc_proxy_server": ("tansaku.storages._grpc", "run_grpc_proxy_server"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tansaku.storages' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


__all__ = [
    "BaseHeartbeat",
    "BaseJournalLogStorage",
    "BaseStorage",
    "FrozenStudy",
    "GrpcStorageProxy",
    "InMemoryStorage",
    "JournalFileOpenLock",
    "JournalFileStorage",
    "JournalFileSymlinkLock",
    "JournalRedisStorage",
    "JournalStorage",
    "RDBStorage",
    "RetryFailedTrialCallback",
    "RetryHeartbeatStaleTrialCallback",
    "TrialCursor",
    "fail_stale_trials",
    "get_storage",
    "journal",
    "run_grpc_proxy_server",
    "_CachedStorage",
]
