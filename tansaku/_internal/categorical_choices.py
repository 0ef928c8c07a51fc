"""Categorical choices: how they are compared, and how tuples survive being stored as JSON.

Storages keep choices as JSON, which has no tuples: a tuple is written as a list. So that a
tuple choice (layer sizes are the common case) comes back as a tuple in every process, the
JSON of a distribution carries, beside its ``attributes``, where its choices held tuples (a
*tuple shape* per choice). Readers that only know ``attributes`` (Optuna builds the
distribution from them alone) see lists, as they would without the shapes.

A tuple shape is ``None`` when the value holds no tuple; otherwise ``[kind, items]`` with
``kind`` ``"tuple"`` or ``"list"`` and ``items`` the shapes of the items, or ``None`` when no
item holds a tuple. Dict values are left as JSON gives them back.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

_PRIMITIVES = (bool, int, float, str)


def is_kept_exactly(choice: Any) -> bool:
    """True for None, bool, int, float, str and (nested) tuples of them: the choices every
    storage gives back as they were given."""
    if choice is None or isinstance(choice, _PRIMITIVES):
        return True
    return type(choice) is tuple and all(is_kept_exactly(item) for item in choice)


def choice_key(choice: Any) -> Hashable:
    """The key under which a choice is found and compared.

    NaN matches NaN, 1 matches 1.0 but not True, a tuple matches the list of the same items
    (JSON keeps both as a list), a dict matches a dict of the same items. Other unhashable
    objects match only themselves.
    """
    kind = type(choice)
    if kind is str or kind is int or choice is None:  # the common cases first: this is hot
        return ("", choice)
    if kind is bool:
        return ("bool", choice)
    if isinstance(choice, float):
        return ("nan",) if choice != choice else ("", choice)
    if isinstance(choice, tuple | list):
        return ("sequence", tuple(map(choice_key, choice)))
    if isinstance(choice, dict):
        return ("dict", frozenset((key, choice_key(value)) for key, value in choice.items()))
    try:
        hash(choice)
    except TypeError:
        return ("identity", id(choice))
    return ("", choice)


def tuple_shape(value: Any) -> Any:
    """Where ``value`` holds tuples (see the module docstring); None when it holds none."""
    if not isinstance(value, tuple | list):
        return None
    items = [tuple_shape(item) for item in value]
    nested = any(shape is not None for shape in items)
    if isinstance(value, list) and not nested:
        return None
    return ["tuple" if isinstance(value, tuple) else "list", items if nested else None]


def with_tuples(value: Any, shape: Any) -> Any:
    """``value`` as read from JSON, with the tuples that ``shape`` records put back.

    Raises:
        ValueError: ``shape`` does not describe ``value``.
    """
    if shape is None:
        return value
    if not (isinstance(shape, list) and len(shape) == 2 and shape[0] in ("tuple", "list")):
        raise ValueError(f"{shape!r} is not a tuple shape")
    kind, items = shape
    if not isinstance(value, list) or not (
        items is None or (isinstance(items, list) and len(items) == len(value))
    ):
        raise ValueError(f"tuple shape {shape!r} does not describe {value!r}")
    rebuilt = value if items is None else [with_tuples(v, s) for v, s in zip(value, items)]
    return tuple(rebuilt) if kind == "tuple" else list(rebuilt)
