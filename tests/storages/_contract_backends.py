"""The backends of the storage contract, and the small builders its test modules share.

The contract (``test_contract_*.py``) is written against BaseStorage only and every backend must
pass it. A new backend joins by adding one entry to ``STORAGE_FACTORIES``; a test module runs on
every backend by importing ``contract_storage``, the fixture its tests ask for as ``storage``.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tansaku.exceptions import ExperimentalWarning
from tansaku.storages import (
    BaseStorage,
    GrpcStorageProxy,
    InMemoryStorage,
    JournalStorage,
    RDBStorage,
)
from tansaku.storages._grpc._server import make_server
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests.storages import servers


def grpc_proxy(storage: BaseStorage) -> GrpcStorageProxy:
    """A client of a proxy server serving ``storage`` from threads of this process.

    The server listens on a free loopback port and stops when the client is collected.
    """
    server, port = make_server(storage, "127.0.0.1", 0)
    server.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        client = GrpcStorageProxy(host="127.0.0.1", port=port, retry_timeout=10.0)
    weakref.finalize(client, _stop_proxy, client._channel, server)
    return client


def _stop_proxy(channel: Any, server: Any) -> None:
    channel.close()  # first, so that the server's going away is no news to the client
    server.stop(None)


# Every backend runs the whole suite. A factory receives a fresh empty directory (for backends
# that keep files) and returns an empty storage.
StorageFactory = Callable[[Path], BaseStorage]
STORAGE_FACTORIES: dict[str, StorageFactory] = {
    "inmemory": lambda directory: InMemoryStorage(),
    "sqlite": lambda directory: RDBStorage(f"sqlite:///{directory / 'contract.db'}"),
    "journal_file": lambda directory: JournalStorage(
        JournalFileBackend(str(directory / "journal.log"))
    ),
    "postgresql": lambda directory: RDBStorage(servers.new_postgresql_url()),
    "mysql": lambda directory: RDBStorage(servers.new_mysql_url()),
    "journal_redis": lambda directory: JournalStorage(
        JournalRedisBackend(**servers.new_redis_backend_args())
    ),
    "grpc_sqlite": lambda directory: grpc_proxy(RDBStorage(f"sqlite:///{directory / 'via.db'}")),
}

MIN = StudyDirection.MINIMIZE
MAX = StudyDirection.MAXIMIZE
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
ALL_STATES = tuple(TrialState)
ATTR_VALUES = [1, 2.5, "text", None, True, [1, "a", None], {"nested": {"list": [1.5, 2]}}]


@pytest.fixture(name="storage", params=list(STORAGE_FACTORIES))
def contract_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStorage]:
    """An empty storage of each backend in turn."""
    backend = STORAGE_FACTORIES[request.param](tmp_path)
    yield backend
    backend.remove_session()


# -- helpers ------------------------------------------------------------------------------------


def new_study(storage: BaseStorage, *directions: StudyDirection, name: str | None = None) -> int:
    return storage.create_new_study(list(directions) or [MIN], name)


def finished_trial(
    storage: BaseStorage,
    study_id: int,
    state: TrialState = TrialState.COMPLETE,
    values: list[float] | None = None,
) -> int:
    trial_id = storage.create_new_trial(study_id)
    if values is None and state is TrialState.COMPLETE:
        values = [0.0] * len(storage.get_study_directions(study_id))
    storage.set_trial_state_values(trial_id, state, values)
    return trial_id


def trial_in_state(storage: BaseStorage, study_id: int, state: TrialState) -> int:
    if state is TrialState.WAITING:
        return storage.create_new_trial(study_id, create_trial(state=TrialState.WAITING))
    if state is TrialState.RUNNING:
        return storage.create_new_trial(study_id)
    return finished_trial(storage, study_id, state)


def numbers(trials: list[FrozenTrial]) -> list[int]:
    return [t.number for t in trials]
