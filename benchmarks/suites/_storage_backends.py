"""What the parts of the storage suite share.

Where each backend keeps a study (a file in a scratch directory, or a new database of the
PostgreSQL server started once per suite run), the number of params of the trials the suite
writes, and the census of a study after a run.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Any

from benchmarks._impls import MissingFeature

POSTGRES_ENV = "TANSAKU_BENCH_POSTGRES_URL"
N_PARAMS = 10
# A kind ``grpc_<backend>`` is <backend> behind a gRPC storage proxy (``_storage_proxy.py``).
PROXY_PREFIX = "grpc_"

# Registry of the PostgreSQL server of this suite run ("postgresql": the server, or None when
# none can run here), started on first use.
_SERVER: dict[str, Any] = {}


def postgresql_url() -> str | None:
    """A new empty database's URL, or None when no PostgreSQL server can run here."""
    if os.environ.get(POSTGRES_ENV):
        return os.environ[POSTGRES_ENV]
    if "postgresql" not in _SERVER:
        try:
            from tests.storages.servers import PostgreSQLServer, ServerUnavailableError
        except ImportError:
            _SERVER["postgresql"] = None
            return None
        try:
            server = PostgreSQLServer.start(durable=True)
        except ServerUnavailableError as error:
            print(f"[storage] PostgreSQL not available: {error}", file=sys.stderr)
            server = None
        else:
            atexit.register(server.stop)
        _SERVER["postgresql"] = server
    server = _SERVER["postgresql"]
    return None if server is None else server.create_database("bench")


def backing_kind(kind: str) -> str:
    """The database behind a proxied kind (``grpc_postgresql`` -> ``postgresql``)."""
    return kind[len(PROXY_PREFIX) :] if kind.startswith(PROXY_PREFIX) else kind


def storages_attr(impl: Any, name: str) -> Any:
    """``<impl>.storages.<name>``, or MissingFeature."""
    value = getattr(getattr(impl.module, "storages", None), name, None)
    if value is None:
        raise MissingFeature(f"{impl.name}.storages.{name}")
    return value


def open_storage(impl: Any, kind: str, where: str) -> Any:
    """What ``create_study(storage=...)`` takes for ``kind`` at ``where`` (a proxy's port
    for the proxied kinds)."""
    if not kind.startswith(PROXY_PREFIX):
        return impl.storage(kind, where)
    client_class = storages_attr(impl, "GrpcStorageProxy")
    try:
        return client_class(host="127.0.0.1", port=int(where))
    except ImportError as exc:  # grpcio missing in this environment
        raise MissingFeature(f"{impl.name}.storages.GrpcStorageProxy: {exc}") from exc


def location(kind: str, directory: str) -> str | None:
    """Where a new study of storage ``kind`` goes (None: no PostgreSQL server here)."""
    kind = backing_kind(kind)
    if kind == "sqlite":
        return os.path.join(directory, "study.db")
    if kind == "journal":
        return os.path.join(directory, "journal.log")
    if kind == "postgresql":
        return postgresql_url()
    return ""


def census(trials: list[Any], complete_state: Any) -> dict[str, Any]:
    """How many trials a study holds, how many completed, and whether their numbers are sound."""
    numbers = [t.number for t in trials]
    return {
        "n_trials": len(trials),
        "complete": sum(1 for t in trials if t.state == complete_state),
        "numbers_dense": sorted(numbers) == list(range(len(numbers))),
        "duplicated_numbers": len(numbers) - len(set(numbers)),
    }
