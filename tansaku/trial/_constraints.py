"""How constraint values set with ``trial.set_constraint`` are kept in system attrs."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

# Each constraint ``key`` is stored as the system attr ``"constraints:<key>"``.
CONSTRAINT_PREFIX = "constraints:"
# Where ``constraints_func`` results of samplers are stored, as a list.
CONSTRAINTS_FUNC_KEY = "constraints"


def constraint_value(key: Any, value: Any) -> float:
    """Validate a constraint value for ``set_constraint(key, value)`` and return it as float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"set_constraint({key!r}): value must be a float, got {value!r} "
                f"of type {type(value).__name__}"
            ) from None
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"set_constraint({key!r}): value=nan is not allowed")
    return number


def constraints_from_system_attrs(system_attrs: Mapping[str, Any]) -> dict[str, float]:
    """Collect a trial's constraints by key: ``constraints_func`` results by position ("0",
    "1", ...), then the values set with ``set_constraint``."""
    by_position = system_attrs.get(CONSTRAINTS_FUNC_KEY) or ()
    constraints = {str(i): float(v) for i, v in enumerate(by_position)}
    n = len(CONSTRAINT_PREFIX)
    for key, value in system_attrs.items():
        if key.startswith(CONSTRAINT_PREFIX):
            constraints[key[n:]] = value
    return constraints


def new_constraint(system_attrs: Mapping[str, Any], key: Any, value: Any) -> float | None:
    """Validate ``set_constraint(key, value)``; return the value to store, or None (with a
    warning) when the key is set already: the first value set is kept."""
    number = constraint_value(key, value)
    if CONSTRAINT_PREFIX + str(key) in system_attrs:
        warnings.warn(
            f"set_constraint({key!r}): the constraint is already set; {number!r} is ignored.",
            UserWarning,
            stacklevel=3,
        )
        return None
    return number
