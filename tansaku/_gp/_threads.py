"""Run the GP's linear algebra on one BLAS thread.

The matrices of a GP sampler are small (n up to a few thousand): a multi-threaded BLAS gains
little on them and, when the cores are busy, its threads spin while waiting for each other,
which multiplied the CPU time of one ``ask`` by more than ten on a loaded 2-core machine. The
limit uses ``threadpoolctl`` when it is installed, and is a no-op otherwise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_controller: Any = None  # The ThreadpoolController, made on first use (a registry of libraries).


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit BLAS to one thread inside the block."""
    global _controller
    try:
        import threadpoolctl
    except ImportError:
        yield
        return
    if _controller is None:
        _controller = threadpoolctl.ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        yield
