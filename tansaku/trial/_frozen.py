"""FrozenTrial: the record of one trial as stored, and create_trial to build one by hand."""

from __future__ import annotations

import copy
import datetime
import math
from collections.abc import Sequence
from typing import Any

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
)
from tansaku.trial._base import BaseTrial, ChoiceT
from tansaku.trial._constraints import (
    CONSTRAINT_PREFIX,
    constraint_value,
    constraints_from_system_attrs,
    new_constraint,
)
from tansaku.trial._state import TrialState

_IMMUTABLE_SCALARS = (str, int, float, bool, type(None))


def _copy_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Copy an attrs dict, deep-copying only the values that can be mutated."""
    for value in attrs.values():
        if not isinstance(value, _IMMUTABLE_SCALARS):
            return copy.deepcopy(attrs)
    return dict(attrs)


class FrozenTrial(BaseTrial):
    """The record of one trial: its state, values, params, attrs and intermediate values.

    Finished trials never change, so storages and samplers share one FrozenTrial per finished
    trial. The copies that :attr:`Study.trials` hands out are independent of the stored ones.
    As an objective's argument (e.g. to re-run a finished trial) it answers ``suggest_*`` with
    the stored params.
    """

    __slots__ = (
        "number",
        "state",
        "params",
        "distributions",
        "user_attrs",
        "system_attrs",
        "intermediate_values",
        "datetime_start",
        "datetime_complete",
        "_trial_id",
        "_values",
    )
    # Settable slots that stand in for BaseTrial's abstract read-only properties.
    number: int
    state: TrialState
    params: dict[str, Any]
    distributions: dict[str, BaseDistribution]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    intermediate_values: dict[int, float]
    datetime_start: datetime.datetime | None
    datetime_complete: datetime.datetime | None
    _trial_id: int

    def __init__(
        self,
        number: int,
        state: TrialState,
        value: float | None,
        datetime_start: datetime.datetime | None,
        datetime_complete: datetime.datetime | None,
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        intermediate_values: dict[int, float],
        trial_id: int,
        *,
        values: Sequence[float] | None = None,
    ) -> None:
        if value is not None and values is not None:
            raise ValueError("FrozenTrial: specify only one of value and values")
        self.number = number
        self.state = state
        self._values: list[float] | None = (
            [value] if value is not None else (list(values) if values is not None else None)
        )
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self.params = params
        self.distributions = distributions
        self.user_attrs = user_attrs
        self.system_attrs = system_attrs
        self.intermediate_values = intermediate_values
        self._trial_id = trial_id

    # -- values -------------------------------------------------------------------------------
    @property
    def value(self) -> float | None:
        """The objective value of a single-objective trial (None until it completes)."""
        values = self._values
        if values is None:
            return None
        if len(values) > 1:
            raise RuntimeError(
                "FrozenTrial.value is for single-objective trials; this trial has "
                f"{len(values)} values: use FrozenTrial.values"
            )
        return values[0]

    @value.setter
    def value(self, value: float | None) -> None:
        self._values = None if value is None else [value]

    @property
    def values(self) -> list[float] | None:
        """The objective values (one per direction), or None until the trial completes."""
        return self._values

    @values.setter
    def values(self, values: Sequence[float] | None) -> None:
        self._values = None if values is None else list(values)

    @property
    def last_step(self) -> int | None:
        """The largest step reported with ``trial.report``, or None."""
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def duration(self) -> datetime.timedelta | None:
        """Time from start to completion, or None while the trial has not finished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def constraints(self) -> dict[str, float]:
        """The constraint values set with ``set_constraint``, by key."""
        return constraints_from_system_attrs(self.system_attrs)

    # -- BaseTrial: answering an objective with the stored params ------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        return float(self._suggest(name, FloatDistribution(low, high, log=log, step=step)))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        return int(self._suggest(name, IntDistribution(low, high, log=log, step=step)))

    def suggest_categorical(self, name: str, choices: Sequence[ChoiceT]) -> ChoiceT:
        choice: ChoiceT = self._suggest(name, CategoricalDistribution(choices))
        return choice

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self.params:
            raise ValueError(f"FrozenTrial: the trial has no param {name!r}")
        value = self.params[name]
        stored = self.distributions.get(name)
        if stored is not None:
            check_distribution_compatibility(stored, distribution)
        if not distribution._contains(distribution.to_internal_repr(value)):
            raise ValueError(f"FrozenTrial: param {name!r}={value!r} is outside {distribution!r}")
        return value

    def report(self, value: float, step: int) -> None:
        """Do nothing: a frozen trial is not running, so there is nothing to report to."""

    def should_prune(self) -> bool:
        """Return False: a frozen trial is never pruned."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        number = new_constraint(self.system_attrs, key, value)
        if number is not None:
            self.system_attrs[CONSTRAINT_PREFIX + key] = number

    # -- identity -------------------------------------------------------------------------------
    def _fields(self) -> tuple[Any, ...]:
        return (
            self.number,
            self.state,
            self._values,
            self.datetime_start,
            self.datetime_complete,
            self.params,
            self.distributions,
            self.user_attrs,
            self.system_attrs,
            self.intermediate_values,
            self._trial_id,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self._fields() == other._fields()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number < other.number

    def __le__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number <= other.number

    def __hash__(self) -> int:
        return hash((self._trial_id, self.number))

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, values={self._values}, "
            f"datetime_start={self.datetime_start!r}, "
            f"datetime_complete={self.datetime_complete!r}, params={self.params}, "
            f"user_attrs={self.user_attrs}, system_attrs={self.system_attrs}, "
            f"intermediate_values={self.intermediate_values}, "
            f"distributions={self.distributions}, trial_id={self._trial_id}, "
            f"value={self._values[0] if self._values and len(self._values) == 1 else None})"
        )

    def __copy__(self) -> FrozenTrial:
        clone = FrozenTrial.__new__(FrozenTrial)
        for name in FrozenTrial.__slots__:
            setattr(clone, name, getattr(self, name))
        return clone

    def __deepcopy__(self, _memo: dict[int, Any]) -> FrozenTrial:
        # Params are scalars and distributions immutable, so flat copies of those dicts are
        # deep copies; only attrs can hold mutable values.
        clone = FrozenTrial.__new__(FrozenTrial)
        clone.number = self.number
        clone.state = self.state
        clone._values = None if self._values is None else list(self._values)
        clone.datetime_start = self.datetime_start
        clone.datetime_complete = self.datetime_complete
        clone.params = dict(self.params)
        clone.distributions = dict(self.distributions)
        clone.user_attrs = _copy_attrs(self.user_attrs)
        clone.system_attrs = _copy_attrs(self.system_attrs)
        clone.intermediate_values = dict(self.intermediate_values)
        clone._trial_id = self._trial_id
        return clone

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FrozenTrial.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    # -- validation -----------------------------------------------------------------------------
    def _validate(self) -> None:
        """Check that the record is consistent; raise ValueError naming what is not."""
        where = f"FrozenTrial(number={self.number})"
        if self.state is TrialState.WAITING:
            pass
        elif self.datetime_start is None:
            raise ValueError(f"{where}: datetime_start must be set for state {self.state}")
        if self.state.is_finished() and self.datetime_complete is None:
            raise ValueError(f"{where}: datetime_complete must be set for state {self.state}")
        if self.state is TrialState.FAIL and self._values is not None:
            raise ValueError(f"{where}: a FAIL trial has no values, got {self._values}")
        if self.state is TrialState.COMPLETE:
            if self._values is None:
                raise ValueError(f"{where}: a COMPLETE trial needs values")
            for v in self._values:
                if not isinstance(v, int | float) or math.isnan(v):
                    raise ValueError(f"{where}: value {v!r} is not a number")
        if set(self.params) != set(self.distributions):
            raise ValueError(
                f"{where}: params {sorted(self.params)} and distributions "
                f"{sorted(self.distributions)} name different parameters"
            )
        for name, value in self.params.items():
            distribution = self.distributions[name]
            if not distribution._contains(distribution.to_internal_repr(value)):
                raise ValueError(f"{where}: param {name!r}={value!r} is outside {distribution!r}")


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, BaseDistribution] | None = None,
    user_attrs: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    intermediate_values: dict[int, float] | None = None,
    constraints: dict[str, float] | None = None,
) -> FrozenTrial:
    """Build a validated FrozenTrial, for example to add known results with ``Study.add_trial``.

    Raises:
        ValueError: the trial is inconsistent (e.g. COMPLETE without a value, or a param outside
            its distribution).
    """
    now = datetime.datetime.now()
    system_attrs = dict(system_attrs or {})
    for key, constraint in (constraints or {}).items():
        system_attrs[CONSTRAINT_PREFIX + key] = constraint_value(key, constraint)
    trial = FrozenTrial(
        number=-1,
        state=state,
        value=value,
        values=values,
        datetime_start=None if state is TrialState.WAITING else now,
        datetime_complete=now if state.is_finished() else None,
        params=dict(params or {}),
        distributions=dict(distributions or {}),
        user_attrs=dict(user_attrs or {}),
        system_attrs=system_attrs,
        intermediate_values=dict(intermediate_values or {}),
        trial_id=-1,
    )
    trial._validate()
    return trial
