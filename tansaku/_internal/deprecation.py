"""Warnings for deprecated and experimental features, each issued the same way."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from tansaku.exceptions import ExperimentalWarning

_Class = TypeVar("_Class", bound=type)


def warn_deprecated(name: str, replacement: str, stacklevel: int = 3) -> None:
    """Tell the user that ``name`` is deprecated and what to use instead."""
    warnings.warn(
        f"{name} is deprecated; use {replacement} instead.", FutureWarning, stacklevel=stacklevel
    )


def warn_experimental(name: str, stacklevel: int = 3) -> None:
    """Tell the user that ``name`` is experimental."""
    warnings.warn(
        f"{name} is experimental: its interface may change.",
        ExperimentalWarning,
        stacklevel=stacklevel,
    )


def deprecated_class(name: str, replacement: str) -> Callable[[_Class], _Class]:
    """Make creating an instance of the decorated class warn that ``name`` is deprecated.

    The class keeps the signature of its ``__init__``; a copy made by unpickling (which calls
    ``__init__`` again through ``__setstate__``) does not warn a second time.
    """

    def decorate(cls: _Class) -> _Class:
        original = cls.__init__  # type: ignore[misc]

        @functools.wraps(original)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            warn_deprecated(name, replacement)
            original(self, *args, **kwargs)

        def __setstate__(self: Any, state: dict[str, Any]) -> None:
            original(self, **state)

        cls.__init__ = __init__  # type: ignore[misc]
        if hasattr(cls, "__setstate__"):  # tansaku's storages rebuild themselves so
            cls.__setstate__ = __setstate__  # type: ignore[attr-defined]
        return cls

    return decorate
