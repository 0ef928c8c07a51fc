"""The gRPC storage proxy: many workers share one storage through one server process.

grpcio is imported when a client or server is made, not with this package.
"""

from __future__ import annotations

from tansaku.storages._grpc._client import GrpcStorageProxy
from tansaku.storages._grpc._server import run_grpc_proxy_server

__all__ = ["GrpcStorageProxy", "run_grpc_proxy_server"]
