"""The trials table's query: filter, sort and page a study's trials on the server.

A page of a 50,000-trial study is 50 rows: the browser never receives the whole history. Bad
query arguments raise ``QueryError`` naming the argument, the rule and the value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tansaku.dashboard._encode import duration
from tansaku.trial import FrozenTrial, TrialState

MAX_PER_PAGE = 500


class QueryError(ValueError):
    """A query argument the table cannot use (answered with HTTP 400)."""


@dataclass(frozen=True)
class ParamRange:
    """Keep trials whose param ``name`` is a number within [low, high] (None: unbounded)."""

    name: str
    low: float | None
    high: float | None

    def admits(self, trial: FrozenTrial) -> bool:
        value = trial.params.get(self.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return (self.low is None or value >= self.low) and (
            self.high is None or value <= self.high
        )


@dataclass(frozen=True)
class TrialsQuery:
    """One request of the trials table."""

    states: Container[TrialState] | None = None
    ranges: Sequence[ParamRange] = field(default_factory=tuple)
    best_only: bool = False
    sort: str = "number"
    descending: bool = False
    page: int = 1
    per_page: int = 50

    def uses_params(self) -> bool:
        """Whether the query filters or sorts by a param (so reads every trial's params)."""
        return bool(self.ranges) or self.sort.startswith("param:")


def _number(argument: str, text: str, minimum: float | None = None) -> float:
    try:
        value = float(text)
    except ValueError:
        raise QueryError(f"The {argument!r} argument must be a number. Got {text!r}.") from None
    if math.isnan(value) or (minimum is not None and value < minimum):
        rule = "a number" if minimum is None else f"a number >= {minimum:g}"
        raise QueryError(f"The {argument!r} argument must be {rule}. Got {text!r}.")
    return value


def parse_query(arguments: Mapping[str, str]) -> TrialsQuery:
    """Read a ``TrialsQuery`` from URL arguments: ``state`` (comma-separated names), ``param``
    (``name:low:high``, either bound may be empty; repeatable as ``param``, ``param2``, ...),
    ``best`` (1), ``sort`` (``number``, ``state``, ``duration``, ``value``, ``value1``, ...,
    ``param:NAME``), ``order`` (``asc``/``desc``), ``page`` and ``per_page``.

    Raises:
        QueryError: an argument is malformed.
    """
    states = None
    if arguments.get("state"):
        names = [name.strip().upper() for name in arguments["state"].split(",") if name.strip()]
        unknown = [name for name in names if name not in TrialState.__members__]
        if unknown:
            allowed = ", ".join(TrialState.__members__)
            raise QueryError(
                f"The 'state' argument must name states among {allowed}. Got {unknown[0]!r}."
            )
        states = frozenset(TrialState[name] for name in names)
    ranges = []
    for key, text in arguments.items():
        if not key.startswith("param") or not text:
            continue
        name, _, bounds = text.rpartition(":")
        name, _, low = name.rpartition(":")
        if not name:
            raise QueryError(f"The {key!r} argument must be 'name:low:high'. Got {text!r}.")
        ranges.append(
            ParamRange(
                name,
                _number(key, low) if low else None,
                _number(key, bounds) if bounds else None,
            )
        )
    order = arguments.get("order", "asc")
    if order not in ("asc", "desc"):
        raise QueryError(f"The 'order' argument must be 'asc' or 'desc'. Got {order!r}.")
    per_page = int(_number("per_page", arguments.get("per_page", "50"), 1))
    return TrialsQuery(
        states=states,
        ranges=tuple(ranges),
        best_only=arguments.get("best", "") in ("1", "true"),
        sort=arguments.get("sort", "number"),
        descending=order == "desc",
        page=int(_number("page", arguments.get("page", "1"), 1)),
        per_page=min(per_page, MAX_PER_PAGE),
    )


def _sort_key(sort: str) -> Callable[[FrozenTrial], Any]:
    """A key that puts trials without the sorted quantity last in either order (see run)."""
    if sort == "number":
        return lambda t: t.number
    if sort == "state":
        return lambda t: t.state.name
    if sort == "duration":
        return duration
    if sort.startswith("value"):
        index_text = sort[len("value") :] or "0"
        if not index_text.isdigit():
            raise QueryError(f"The 'sort' argument names no column. Got {sort!r}.")
        index = int(index_text)
        return lambda t: (
            t.values[index] if t.values is not None and index < len(t.values) else None
        )
    if sort.startswith("param:"):
        name = sort[len("param:") :]

        def param(trial: FrozenTrial) -> Any:
            value = trial.params.get(name)
            return value if isinstance(value, int | float | str) else None

        return param
    raise QueryError(
        "The 'sort' argument must be number, state, duration, value, valueN or param:NAME. "
        f"Got {sort!r}."
    )


def run(
    query: TrialsQuery, trials: Sequence[FrozenTrial], best_numbers: Container[int]
) -> tuple[list[FrozenTrial], int]:
    """The trials of the requested page, and how many trials pass the filters."""
    key = _sort_key(query.sort)
    kept = [
        t
        for t in trials
        if (query.states is None or t.state in query.states)
        and all(r.admits(t) for r in query.ranges)
        and (not query.best_only or t.number in best_numbers)
    ]
    if query.sort != "number" or query.descending:
        with_key = [(key(t), t) for t in kept]
        present = [pair for pair in with_key if pair[0] is not None]
        missing = [t for k, t in with_key if k is None]
        try:
            present.sort(key=lambda pair: pair[0], reverse=query.descending)
        except TypeError:  # mixed types (a categorical of numbers and strings): as text
            present.sort(key=lambda pair: str(pair[0]), reverse=query.descending)
        kept = [t for _, t in present] + missing
    start = (query.page - 1) * query.per_page
    return kept[start : start + query.per_page], len(kept)
