"""What the experiment-tracking callbacks (MLflow, W&B, TensorBoard) share: checking their
arguments at construction, and naming each objective's metric.

The naming rule is Optuna's: one name for one objective; a single name for several objectives
is numbered (``value_0``, ``value_1``, ...); a list gives one name per objective, in the order
the objective returns its values, and must have exactly as many names as there are values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tansaku._internal.validation import invalid, invalid_type


def checked_metric_name(where: str, metric_name: Any) -> str | tuple[str, ...]:
    """``metric_name`` as the callback keeps it: a str, or a tuple of distinct str.

    Raises:
        TypeError: it is neither a str nor a sequence of str.
        ValueError: it is an empty sequence or names one metric twice.
    """
    if isinstance(metric_name, str):
        return metric_name
    if not isinstance(metric_name, Sequence) or not all(
        isinstance(name, str) for name in metric_name
    ):
        raise invalid_type(where, "metric_name", metric_name, "a str or a sequence of str")
    names = tuple(metric_name)
    if not names:
        raise invalid(where, "metric_name", metric_name, "must name at least one metric")
    if len(set(names)) != len(names):
        # Two objectives logged under one name would overwrite each other.
        raise invalid(where, "metric_name", metric_name, "must not name a metric twice")
    return names


def metric_names(where: str, metric_name: str | tuple[str, ...], n_values: int) -> list[str]:
    """The names of a trial's ``n_values`` objective values.

    Raises:
        ValueError: ``metric_name`` is a sequence whose length is not ``n_values``.
    """
    if isinstance(metric_name, str):
        if n_values == 1:
            return [metric_name]
        return [f"{metric_name}_{i}" for i in range(n_values)]
    if len(metric_name) != n_values:
        raise invalid(
            where,
            "metric_name",
            list(metric_name),
            f"names {len(metric_name)} metrics but the study has {n_values} objective values "
            "(give one name per objective, or one str to number them)",
        )
    return list(metric_name)


def checked_flag(where: str, argument: str, value: Any) -> bool:
    """``value`` if it is a bool; a TypeError naming ``argument`` otherwise."""
    if not isinstance(value, bool):
        raise invalid_type(where, argument, value, "a bool")
    return value


def checked_kwargs(
    where: str,
    argument: str,
    kwargs: Mapping[str, Any] | None,
    accepted: Sequence[str],
    reserved: Sequence[str] = (),
) -> dict[str, Any]:
    """A copy of ``kwargs`` (``{}`` for None) whose keys are all in ``accepted``.

    ``reserved`` keys are accepted by the framework but set by the callback itself.

    Raises:
        TypeError: ``kwargs`` is not a mapping, or a key is unknown or reserved.
    """
    if kwargs is None:
        return {}
    if not isinstance(kwargs, Mapping):
        raise invalid_type(where, argument, kwargs, "a dict or None")
    for key in kwargs:
        if key in reserved:
            raise TypeError(
                f"{where}: {argument} must not hold {key!r}: the callback sets it for each trial"
            )
        if key not in accepted:
            raise TypeError(
                f"{where}: {argument} holds {key!r}, which is not an argument of the framework "
                f"call it is passed to (one of {sorted(accepted)})"
            )
    return dict(kwargs)
