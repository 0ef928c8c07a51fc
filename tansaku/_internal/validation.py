"""One place that builds the messages of argument errors, so every error reads the same.

The shape is ``<where>: <argument>=<value> <rule>``, for example
``suggest_float('lr'): low=0.0 must be > 0 when log=True``.
"""

from __future__ import annotations

from typing import Any


def invalid(where: str, argument: str, value: Any, rule: str) -> ValueError:
    """Build the ValueError for ``argument`` of ``where`` that broke ``rule``."""
    return ValueError(f"{where}: {argument}={value!r} {rule}")


def invalid_type(where: str, argument: str, value: Any, expected: str) -> TypeError:
    """Build the TypeError for ``argument`` of ``where`` that is not of the ``expected`` type."""
    return TypeError(
        f"{where}: {argument} must be {expected}, got {value!r} of type {type(value).__name__}"
    )
