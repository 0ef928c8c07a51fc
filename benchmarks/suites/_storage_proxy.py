"""The ``proxy`` part of the storage suite: W workers through a gRPC storage proxy, or direct.

Cells of kind ``grpc_<backend>`` start a proxy server process (``run_grpc_proxy_server`` of the
implementation measured, over ``get_storage(<backend URL>)``) and the workers use its
``GrpcStorageProxy``; cells of a plain backend kind connect the same workers straight to the
database. The objective does nothing, so the figure is the storage path's throughput: trials
completed per second of wall time, from the first worker's start to the last one's end.

``proxy_server_task`` runs inside a worker process (through the suite's ``run_task``);
``measure_proxy`` runs in the runner.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from typing import Any

from benchmarks import _runner
from benchmarks._impls import MissingFeature
from benchmarks.suites._storage_backends import PROXY_PREFIX, backing_kind, storages_attr
from benchmarks.suites._storage_workers import run_shared

_HOST = "127.0.0.1"


def database_url(kind: str, location: str) -> str:
    """The URL ``get_storage`` takes for a backing ``kind`` kept at ``location``."""
    return f"sqlite:///{location}" if kind == "sqlite" else location


# --- inside worker processes ---------------------------------------------------------------


def proxy_server_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    """Serve the backing database until the runner says stop (a line on stdin)."""
    run_server = storages_attr(impl, "run_grpc_proxy_server")
    storage = storages_attr(impl, "get_storage")(task["url"])
    port = task["port"]
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            run_server(storage, host=_HOST, port=port)
        except BaseException as exc:  # e.g. grpcio missing: reported below
            failure.append(exc)

    threading.Thread(target=serve, daemon=True).start()
    deadline = time.monotonic() + 60
    while not _listening(port):
        if failure:
            if isinstance(failure[0], ImportError):
                raise MissingFeature(f"{impl.name}: {failure[0]}") from failure[0]
            raise failure[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"the proxy did not listen on port {port} within 60 s")
        time.sleep(0.02)
    with open(task["ready_path"], "w") as f:
        f.write("ready")
    sys.stdin.readline()  # stop
    return {}


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex((_HOST, port)) == 0


# --- in the runner --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        return int(probe.getsockname()[1])


def measure_proxy(
    cell: dict[str, Any], impl: str, location: str, timeout_s: float
) -> dict[str, Any]:
    """W workers share a study, through a proxy process or straight to the database."""
    kind = cell["storage"]
    if not kind.startswith(PROXY_PREFIX):
        return _throughput(cell, run_shared(cell, impl, location, timeout_s))
    port = _free_port()
    url = database_url(backing_kind(kind), location)
    server = _runner.Worker("storage", impl, {"role": "proxy_server", "url": url, "port": port})
    if not server.wait_ready(timeout_s):
        return server.finish(timeout_s)  # missing, or why it could not start
    try:
        return _throughput(cell, run_shared(cell, impl, str(port), timeout_s))
    finally:
        server.send("stop")
        server.finish(timeout_s)


def _throughput(cell: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    if shared["status"] != "ok":
        return shared
    workers, study_census = shared["workers"], shared["census"]
    wall = max(w["end"] for w in workers) - min(w["start"] for w in workers)
    told = [n for w in workers for n in w["numbers"]]
    errors = [e for w in workers for e in w["errors"]]
    data = {
        "wall_s": wall,
        "trials_per_s": len(told) / wall,
        "complete": study_census["complete"],
        "lost": max(0, cell["n_trials"] - study_census["complete"]),
        "duplicated": (len(told) - len(set(told))) + study_census["duplicated_numbers"],
        "numbers_dense": study_census["numbers_dense"],
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }
    return {"status": "ok", "data": data, "seconds": wall}
