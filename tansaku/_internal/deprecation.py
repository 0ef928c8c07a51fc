"""Warnings for deprecated and experimental features, each issued the same way."""

from __future__ import annotations

import warnings

from tansaku.exceptions import ExperimentalWarning


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
