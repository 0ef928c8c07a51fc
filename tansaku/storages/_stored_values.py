"""Reading stored params and attrs back: one unreadable row never makes a study unreadable.

A param is stored as its internal float and its distribution's JSON. tansaku checks both before
it writes them, but a study may hold rows that other programs or older versions wrote: an
Optuna ``FloatDistribution`` with an infinite bound, choices that cannot be rebuilt, an index
outside the choices, a NaN that SQLite kept as NULL. Such a param is left out of its trial
with a RuntimeWarning that names the trial and the param; everything else reads as usual.
An attr whose JSON text cannot be parsed is left out alike.
"""

from __future__ import annotations

import warnings
from typing import Any

from tansaku._internal.validation import invalid
from tansaku.distributions import BaseDistribution, json_to_distribution

# What may go wrong when a stored value meets its distribution.
_CONVERSION_ERRORS = (ValueError, TypeError, IndexError, OverflowError)


class UnreadableParamError(ValueError):
    """A stored param that cannot be read back: its distribution or its value is not valid."""


def read_distribution(text: str, parsed: dict[str, BaseDistribution]) -> BaseDistribution:
    """The distribution of the JSON ``text``, parsed once per ``parsed`` (a study has a handful
    of distinct distributions; they are immutable, so trials may share them).

    Raises:
        UnreadableParamError: ``text`` is not a distribution tansaku can rebuild.
    """
    distribution = parsed.get(text)
    if distribution is None:
        try:
            distribution = parsed[text] = json_to_distribution(text)
        except (ValueError, TypeError) as error:
            raise UnreadableParamError(str(error)) from None
    return distribution


class SharedSpaces:
    """One distributions dict per search space, shared by the finished trials of a read.

    A study's trials have a handful of search spaces, and a finished trial's distributions
    never change: its trials can share one dict per space instead of holding one each. A dict
    of distributions is an object the garbage collector tracks (a dict of params, holding
    plain values, is not), and its full collections walk every tracked object again as a
    large read fills the heap. ``study.trials`` holds six per trial (the stored trial and its
    copy, each with a distributions dict and a values list); sharing makes it five.

    Spaces are told apart by the identity of their distributions, which the read parses once
    per text (see :func:`read_distribution`); the dicts kept here keep those alive.
    """

    def __init__(self) -> None:
        self._spaces: dict[tuple[Any, ...], dict[str, BaseDistribution]] = {}

    def share(self, distributions: dict[str, BaseDistribution]) -> dict[str, BaseDistribution]:
        """The kept dict equal to ``distributions`` (kept now if it is the first such one).

        Only for the distributions of a finished trial: the dict returned is shared.
        """
        if not distributions:
            return distributions  # an empty dict is not tracked
        key = (*distributions, *map(id, distributions.values()))
        return self._spaces.setdefault(key, distributions)


def external_value(distribution: BaseDistribution, internal: Any) -> Any:
    """The value the objective saw, from the stored internal float.

    Raises:
        UnreadableParamError: the stored value does not fit ``distribution``.
    """
    if internal is None:  # SQLite keeps a NaN as NULL
        raise UnreadableParamError(f"no value is stored for {distribution!r}")
    try:
        return distribution.to_external_repr(internal)
    except _CONVERSION_ERRORS as error:
        raise UnreadableParamError(
            f"the stored value {internal!r} does not fit {distribution!r} ({error})"
        ) from None


def warn_param_left_out(trial_number: int, name: str, error: Exception) -> None:
    """Report that param ``name`` of a trial is left out of it because it cannot be read."""
    warnings.warn(
        f"Trial {trial_number}: param {name!r} is left out of the trial because it cannot be "
        f"read back: {error}",
        RuntimeWarning,
        stacklevel=2,
    )


def warn_attr_left_out(trial_number: int, key: str, user: bool, error: Exception) -> None:
    """Report that attr ``key`` of a trial is left out of it because its JSON cannot be read."""
    kind = "user" if user else "system"
    warnings.warn(
        f"Trial {trial_number}: {kind} attr {key!r} is left out of the trial because its "
        f"stored JSON cannot be read back: {error}",
        RuntimeWarning,
        stacklevel=2,
    )


def check_param_to_store(distribution: BaseDistribution, internal: float) -> None:
    """Refuse a param that could not be read back, before anything of it is written.

    Raises:
        ValueError: ``internal`` is NaN (SQLite would keep NULL) or does not fit
            ``distribution`` (say, an index outside the choices).
    """
    try:
        if internal != internal:
            raise UnreadableParamError("NaN cannot be stored")
        external_value(distribution, internal)
    except UnreadableParamError as error:
        rule = f"is refused: {error}"
        raise invalid("set_trial_param", "param_value_internal", internal, rule) from None
