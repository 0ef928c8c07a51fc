"""Fixtures of the fault tests: the real database servers of ``tests/storages/servers.py``."""

from __future__ import annotations

from tests.storages.servers import (  # noqa: F401  (fixtures are found by their names)
    _stop_shared_servers,
    mysql_server,
    mysql_url,
    postgresql_server,
    postgresql_url,
    redis_server,
    redis_url,
)
