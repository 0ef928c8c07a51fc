"""A live web dashboard of a storage's studies: ``tansaku dashboard STORAGE``.

It needs the ``dashboard`` extra (``pip install tansaku[dashboard]``: Starlette, uvicorn and
plotly); they are imported when the dashboard is built, not when this module is imported, and
``import tansaku`` does not import this module at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tansaku.storages import BaseStorage


def create_app(storage: BaseStorage, *, token: str | None = None) -> Any:
    """Build the dashboard's ASGI application over ``storage`` (for tests and embedding).

    Args:
        storage: The storage whose studies are shown.
        token: When given, every request must carry it: the ``X-Tansaku-Token`` header, or
            the cookie set by opening a page with ``?token=...``.
    """
    from tansaku.dashboard._app import create_app as create

    return create(storage, token=token)


def run_server(
    storage: BaseStorage, *, host: str = "127.0.0.1", port: int = 8080, token: str | None = None
) -> None:
    """Serve the dashboard of ``storage`` on ``host:port`` until Ctrl-C.

    Args:
        storage: The storage whose studies are shown.
        host: The address to listen on (this machine only by default).
        port: The port to listen on.
        token: A secret every request must carry; None reads the environment variable
            ``TANSAKU_DASHBOARD_TOKEN`` (no token when it is unset).
    """
    from tansaku.dashboard._app import run_server as run

    run(storage, host=host, port=port, token=token)


__all__ = ["create_app", "run_server"]
