"""tansaku's logger: one library root logger ``tansaku`` with a default stderr handler.

By default every finished trial is logged at INFO. Every logger that ``get_logger`` hands out
masks passwords (of URLs, and of the storages' URLs wherever quoted) in its records before any
handler sees them. ``set_verbosity(tansaku.logging.WARNING)``
silences those lines; ``disable_default_handler()`` hands formatting to the application.
"""

from __future__ import annotations

import logging as _logging
import os
import sys
import threading
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, WARN, WARNING
from typing import TYPE_CHECKING, TextIO

from tansaku._internal.redact import RedactingFilter

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_logger",
    "get_verbosity",
    "set_verbosity",
]

_ROOT_NAME = "tansaku"
# Registry of the library's default handler; guarded by _lock.
_lock = threading.Lock()
_default_handler: _logging.Handler | None = None
# The one filter every tansaku logger carries (a filter on a logger sees only the records
# logged on it, not those its children pass up, so each logger needs its own).
_redacting_filter = RedactingFilter()


def create_default_formatter() -> _logging.Formatter:
    """Build the formatter of the default handler: ``[I 2026-01-01 12:00:00,000] message``."""
    fmt = "[%(levelname)1.1s %(asctime)s] %(message)s"
    if not _use_color():
        return _logging.Formatter(fmt)
    try:
        import colorlog

        return colorlog.ColoredFormatter(
            "%(log_color)s" + fmt + "%(reset)s",
            log_colors={
                "DEBUG": "white",
                "INFO": "green",
                "WARNING": "yellow",
                "ERROR": "red",
                "CRITICAL": "red,bg_white",
            },
        )
    except ImportError:
        return _logging.Formatter(fmt)


if TYPE_CHECKING:
    # The same class: StreamHandler takes its stream type as a parameter at run time only
    # from Python 3.11 on.
    _TextStreamHandler = _logging.StreamHandler[TextIO]
else:
    _TextStreamHandler = _logging.StreamHandler


class _StderrHandler(_TextStreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (notebooks and test
    runners replace it after import)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def _use_color() -> bool:
    """Colour only a terminal, and never when the user asked for no colour (NO_COLOR)."""
    stream = sys.stderr
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


def _configure_root() -> None:
    global _default_handler
    with _lock:
        if _default_handler is not None:
            return
        _default_handler = _StderrHandler()
        _default_handler.setFormatter(create_default_formatter())
        root = _logging.getLogger(_ROOT_NAME)
        root.addHandler(_default_handler)
        root.addFilter(_redacting_filter)
        root.setLevel(INFO)
        root.propagate = False


def get_logger(name: str) -> _logging.Logger:
    """Return the logger ``name`` below tansaku's root logger, configuring the root once."""
    _configure_root()
    logger = _logging.getLogger(name)
    if _redacting_filter not in logger.filters:
        logger.addFilter(_redacting_filter)
    return logger


def get_verbosity() -> int:
    """Return the level of tansaku's root logger (e.g. ``tansaku.logging.INFO``)."""
    _configure_root()
    return _logging.getLogger(_ROOT_NAME).getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Set the level of tansaku's root logger; ``WARNING`` hides the per-trial lines."""
    _configure_root()
    _logging.getLogger(_ROOT_NAME).setLevel(verbosity)


def disable_default_handler() -> None:
    """Stop writing tansaku's log records to stderr through the default handler."""
    _configure_root()
    assert _default_handler is not None
    _logging.getLogger(_ROOT_NAME).removeHandler(_default_handler)


def enable_default_handler() -> None:
    """Write tansaku's log records to stderr through the default handler again."""
    _configure_root()
    assert _default_handler is not None
    _logging.getLogger(_ROOT_NAME).addHandler(_default_handler)


def disable_propagation() -> None:
    """Keep tansaku's records away from the root logger of the application (the default)."""
    _configure_root()
    _logging.getLogger(_ROOT_NAME).propagate = False


def enable_propagation() -> None:
    """Pass tansaku's records on to the application's root logger as well."""
    _configure_root()
    _logging.getLogger(_ROOT_NAME).propagate = True
