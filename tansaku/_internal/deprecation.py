"""Warnings for deprecated and experimental features, each issued the same way."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from tansaku.exceptions import ExperimentalWarning

_T = TypeVar("_T")


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


def deprecated_class(name: str, replacement: str) -> Callable[[type[_T]], type[_T]]:
    """Make creating an instance of the decorated class warn that ``name`` is deprecated.

    The class keeps the signature of its ``__init__``; a copy made by unpickling (which calls
    ``__init__`` again through ``__setstate__``) does not warn a second time.
    """

    def decorate(cls: type[_T]) -> type[_T]:
        original = cls.__init__

        @functools.wraps(original)
        def __init__(self: _T, *args: Any, **kwargs: Any) -> None:
            warn_deprecated(name, replacement)
            original(self, *args, **kwargs)

        def __setstate__(self: _T, state: dict[str, Any]) -> None:
            original(self, **state)

        replaced: dict[str, Callable[..., None]] = {"__init__": __init__}
        if hasattr(cls, "__setstate__"):  # tansaku's storages rebuild themselves so
            replaced["__setstate__"] = __setstate__
        # The class itself is patched, so that it keeps its name, bases and pickled path; a type
        # checker has no notion of replacing a method, hence setattr.
        for method_name, method in replaced.items():
            setattr(cls, method_name, method)
        return cls

    return decorate
