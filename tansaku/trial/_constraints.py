"""How constraint values set with ``trial.set_constraint`` are kept in system attrs."""

from __future__ import annotations

import math
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
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"set_constraint({key!r}): value=nan is not allowed")
    return value


def constraints_from_system_attrs(system_attrs: Mapping[str, Any]) -> dict[str, float]:
    """Collect the constraints a trial set, by key, from its system attrs."""
    n = len(CONSTRAINT_PREFIX)
    return {k[n:]: v for k, v in system_attrs.items() if k.startswith(CONSTRAINT_PREFIX)}
