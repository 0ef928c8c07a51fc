"""FixedTrial: run an objective with given params, e.g. to retrain with the best ones."""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Sequence
from typing import Any

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    _build,
    check_distribution_compatibility,
)
from tansaku.trial._base import BaseTrial, ChoiceT
from tansaku.trial._constraints import (
    CONSTRAINT_PREFIX,
    constraints_from_system_attrs,
    new_constraint,
)


class FixedTrial(BaseTrial):
    """A trial whose ``suggest_*`` calls return the params it was given.

    Example:
        >>> best = study.best_params
        >>> model = build_model(tansaku.trial.FixedTrial(best))

    Args:
        params: The value of every param the objective will suggest.
        number: The number the trial reports as its own.

    Raises:
        ValueError: from a ``suggest_*`` call whose name is not in ``params``.
    """

    def __init__(self, params: dict[str, Any], number: int = 0) -> None:
        self._params = params
        self._suggested_params: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._datetime_start = datetime.datetime.now()
        self._number = number

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        where = f"suggest_float({name!r})"
        return float(self._suggest(name, _build(FloatDistribution, where, low, high, log, step)))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        where = f"suggest_int({name!r})"
        return int(self._suggest(name, _build(IntDistribution, where, low, high, log, step)))

    def suggest_categorical(self, name: str, choices: Sequence[ChoiceT]) -> ChoiceT:
        where = f"suggest_categorical({name!r})"
        choice: ChoiceT = self._suggest(name, _build(CategoricalDistribution, where, choices))
        return choice

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._params:
            raise ValueError(
                f"FixedTrial: no value for param {name!r}; given params are {sorted(self._params)}"
            )
        if name in self._distributions:
            check_distribution_compatibility(self._distributions[name], distribution)
        value = self._params[name]
        internal = distribution.to_internal_repr(value)
        if not distribution._contains(internal):
            warnings.warn(
                f"FixedTrial: param {name!r}={value!r} is outside {distribution!r}; "
                "it is used as given.",
                UserWarning,
                stacklevel=3,
            )
        self._suggested_params[name] = value
        self._distributions[name] = distribution
        return value

    def report(self, value: float, step: int) -> None:
        """Do nothing: there is no study to report to."""

    def should_prune(self) -> bool:
        """Return False: a fixed trial is never pruned."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self._user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Keep a system attr (for samplers and tools; users want ``set_user_attr``)."""
        self._system_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        number = new_constraint(self._system_attrs, key, value)
        if number is not None:
            self._system_attrs[CONSTRAINT_PREFIX + key] = number

    @property
    def params(self) -> dict[str, Any]:
        """The params suggested so far."""
        return self._suggested_params

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """The distributions of the params suggested so far."""
        return self._distributions

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The user attrs set so far."""
        return self._user_attrs

    @property
    def system_attrs(self) -> dict[str, Any]:
        """The system attrs set so far."""
        return self._system_attrs

    @property
    def constraints(self) -> dict[str, float]:
        """The constraint values set so far, by key."""
        return constraints_from_system_attrs(self._system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        """When the FixedTrial was created."""
        return self._datetime_start

    @property
    def number(self) -> int:
        """The number given at construction."""
        return self._number
