"""Fixtures of the tutorial tests: the real PostgreSQL server of ``tests/storages/servers.py``."""

from __future__ import annotations

from tests.storages.servers import (  # noqa: F401  (fixtures are found by their names)
    _stop_shared_servers,
    postgresql_server,
)
