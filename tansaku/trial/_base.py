"""The interface shared by live, fixed and frozen trials."""

from __future__ import annotations

import abc
import datetime
from collections.abc import Sequence
from typing import Any, TypeVar

from tansaku._internal.deprecation import warn_deprecated
from tansaku.distributions import BaseDistribution, CategoricalChoiceType

# The type of one categorical choice, so that ``suggest_categorical("o", ["a", "b"])`` is a str
# to a type checker; mixed choices give the union.
ChoiceT = TypeVar("ChoiceT", None, bool, int, float, str, CategoricalChoiceType)


class BaseTrial(abc.ABC):
    """What an objective function may call on the trial it receives."""

    @abc.abstractmethod
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Suggest a float in ``[low, high]``."""

    @abc.abstractmethod
    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggest an int in ``[low, high]``."""

    @abc.abstractmethod
    def suggest_categorical(self, name: str, choices: Sequence[ChoiceT]) -> ChoiceT:
        """Suggest one of ``choices``."""

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high)``."""
        warn_deprecated("suggest_uniform", "suggest_float")
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high, log=True)``."""
        warn_deprecated("suggest_loguniform", "suggest_float(..., log=True)")
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high, step=q)``."""
        warn_deprecated("suggest_discrete_uniform", "suggest_float(..., step=q)")
        return self.suggest_float(name, low, high, step=q)

    @abc.abstractmethod
    def report(self, value: float, step: int) -> None:
        """Report an intermediate value at ``step``."""

    @abc.abstractmethod
    def should_prune(self) -> bool:
        """Ask the pruner whether to stop now."""

    @abc.abstractmethod
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the trial."""

    @abc.abstractmethod
    def set_constraint(self, key: str, value: float) -> None:
        """Record a constraint value; the trial is feasible when all values are <= 0."""

    @property
    @abc.abstractmethod
    def params(self) -> dict[str, Any]:
        """The parameters suggested so far."""

    @property
    @abc.abstractmethod
    def distributions(self) -> dict[str, BaseDistribution]:
        """The distributions of the parameters suggested so far."""

    @property
    @abc.abstractmethod
    def user_attrs(self) -> dict[str, Any]:
        """The user attributes."""

    @property
    @abc.abstractmethod
    def constraints(self) -> dict[str, float]:
        """The constraint values set so far, by key."""

    @property
    @abc.abstractmethod
    def datetime_start(self) -> datetime.datetime | None:
        """When the trial started."""

    @property
    @abc.abstractmethod
    def number(self) -> int:
        """The trial's number, dense from 0 within its study."""
