"""Trial: the live handle an objective receives; its ``suggest_*`` calls build the space."""

from __future__ import annotations

import datetime
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.categorical_choices import choice_key
from tansaku._internal.given_values import warn_if_outside
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    _build,
    check_distribution_compatibility,
)
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.trial._base import BaseTrial, ChoiceT
from tansaku.trial._constraints import (
    CONSTRAINT_PREFIX,
    constraints_from_system_attrs,
    new_constraint,
)
from tansaku.trial._frozen import FrozenTrial, _copy_attrs

if TYPE_CHECKING:
    from tansaku.study import Study

# Entries kept in a study's cache of distributions built by suggest calls before it is reset.
_DISTRIBUTION_CACHE_SIZE = 4096


class Trial(BaseTrial):
    """A running trial. Objectives call ``suggest_*`` on it to get params, ``report`` to
    record intermediate values and ``should_prune`` to ask whether to stop.

    Suggesting a name twice in one trial returns the first value; suggesting it with a
    distribution of another kind (or other categorical choices) raises ValueError.
    """

    def __init__(self, study: Study, trial_id: int) -> None:
        self._start(study, trial_id, study._storage.get_trial(trial_id))

    @classmethod
    def _from_frozen(cls, study: Study, trial_id: int, frozen: FrozenTrial) -> Trial:
        """Build the handle from a record the caller has just read (saves one storage read)."""
        trial = cls.__new__(cls)
        trial._start(study, trial_id, frozen)
        return trial

    def _start(self, study: Study, trial_id: int, frozen: FrozenTrial) -> None:
        self.study = study
        self._trial_id = trial_id
        self.storage = study._storage
        # Looked up once per trial rather than once per suggest.
        self._distribution_cache = study._distribution_cache
        self._set_trial_param = self.storage.set_trial_param
        self._sample_independent = study.sampler.sample_independent
        # The trial as last written by this handle: kept in step with every write, so no read
        # from storage is needed while the objective runs.
        self._cached_frozen_trial = frozen
        # With HyperbandPruner the sampler learns from the trial's bracket only (BOHB-style).
        # Pruners sit above trials, so they are imported here, when a trial starts.
        from tansaku.pruners import HyperbandPruner

        self._by_bracket = isinstance(study.pruner, HyperbandPruner)
        self.relative_search_space = study.sampler.infer_relative_search_space(
            self._sampling_study(), frozen
        )
        self._relative_params: dict[str, Any] | None = None
        self._fixed_params: dict[str, Any] | None = frozen.system_attrs.get("fixed_params")

    # -- suggest --------------------------------------------------------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Suggest a float in ``[low, high]``.

        Args:
            name: The param's name, unique within the trial.
            low: Lower end, included.
            high: Upper end, included (shrunk to the grid when ``step`` is set).
            step: Spacing of a discrete grid ``low, low + step, ...``.
            log: Sample on a log scale (needs ``low > 0``; not with ``step``).

        Raises:
            ValueError: the range is invalid, or ``name`` was suggested with another kind of
                distribution.
        """
        cache = self._distribution_cache
        key = ("f", name, low, high, step, log)
        distribution = cache.get(key)
        if distribution is None:
            distribution = _build(
                FloatDistribution, f"suggest_float({name!r})", low, high, log, step
            )
            _remember(cache, key, distribution)
        value: float = self._suggest(name, distribution)
        return value

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggest an int in ``[low, high]`` on the grid ``low, low + step, ...``.

        Raises:
            ValueError: the range is invalid, or ``name`` was suggested with another kind of
                distribution.
        """
        cache = self._distribution_cache
        key = ("i", name, low, high, step, log)
        distribution = cache.get(key)
        if distribution is None:
            distribution = _build(IntDistribution, f"suggest_int({name!r})", low, high, log, step)
            _remember(cache, key, distribution)
        value: int = self._suggest(name, distribution)
        return value

    def suggest_categorical(self, name: str, choices: Sequence[ChoiceT]) -> ChoiceT:
        """Suggest one of ``choices``.

        None, bool, int, float, str and tuples of them are stored and read back exactly by
        every storage (a tuple stays a tuple); other choices warn (see
        :class:`~tansaku.distributions.CategoricalDistribution`).

        Raises:
            ValueError: ``choices`` is empty or differs from the choices this name had before.
            TypeError: ``choices`` is not a sequence, or, on a persistent storage, a choice
                cannot be written as JSON (nothing of the param is stored then).
        """
        cache = self._distribution_cache
        try:
            # With the choices' types: 1 == True and (1,) == (True,), but they are not the
            # same choices.
            types = tuple(map(type, choices))
            key: tuple[Any, ...] = (
                ("c", name, tuple(choices), types)
                if tuple not in types
                else ("c", name, choice_key(choices))
            )
            distribution = cache.get(key)
        except TypeError:
            key, distribution = (), None
        if distribution is None:
            distribution = _build(
                CategoricalDistribution, f"suggest_categorical({name!r})", choices
            )
            if key:
                _remember(cache, key, distribution)
        choice: ChoiceT = self._suggest(name, distribution)
        return choice

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        """The value of param ``name``, of the type ``distribution`` gives its values (float,
        int or one of the choices): the ``suggest_*`` callers name that type."""
        frozen = self._cached_frozen_trial
        params = frozen.params
        if name in params:
            try:
                check_distribution_compatibility(frozen.distributions[name], distribution)
            except ValueError as error:
                raise ValueError(f"param {name!r} of trial {frozen.number}: {error}") from None
            return params[name]

        fixed = self._fixed_params
        if fixed is not None and name in fixed:
            internal = distribution.to_internal_repr(fixed[name])
            what = f"Fixed param {name!r}={fixed[name]!r} of trial {frozen.number}"
            warn_if_outside(distribution, internal, what, stacklevel=3)
        elif distribution.single():
            internal = distribution.to_internal_repr(_single_value(distribution))
        else:
            relative = None
            if name in self.relative_search_space:
                relative = self._relative_internal(name, distribution)
            if relative is not None:
                internal = relative
            else:
                study = self._sampling_study() if self._by_bracket else self.study
                value = self._sample_independent(study, frozen, name, distribution)
                internal = distribution.to_internal_repr(value)

        self._set_trial_param(self._trial_id, name, internal, distribution)
        value = distribution.to_external_repr(internal)
        params[name] = value
        frozen.distributions[name] = distribution
        return value

    def _relative_internal(self, name: str, distribution: BaseDistribution) -> float | None:
        """The internal value the sampler drew jointly for ``name``, or None when it drew none
        or one that ``distribution`` does not hold (the param is then sampled independently)."""
        relative_params = self.relative_params
        if name not in relative_params:
            return None
        check_distribution_compatibility(self.relative_search_space[name], distribution)
        internal = distribution.to_internal_repr(relative_params[name])
        return internal if distribution._contains(internal) else None

    def _sampling_study(self) -> Study:
        """The study the sampler learns from for this trial (see ``pruners._filter_study``)."""
        if not self._by_bracket:
            return self.study
        from tansaku.pruners import _filter_study

        return _filter_study(self.study, self._cached_frozen_trial)

    @property
    def relative_params(self) -> dict[str, Any]:
        """The params the sampler drew jointly for this trial (drawn on first use)."""
        if self._relative_params is None:
            if self.relative_search_space:
                self._relative_params = self.study.sampler.sample_relative(
                    self._sampling_study(), self._cached_frozen_trial, self.relative_search_space
                )
            else:
                self._relative_params = {}
        return self._relative_params

    # -- report / prune -------------------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record an intermediate value of the objective at ``step`` (e.g. an epoch).

        Pruners decide from these values. Reporting a step twice keeps the first value and warns.

        Raises:
            TypeError: ``value`` is not a number or ``step`` is not an integer (NaN, inf, 1.5
                and "3" are refused; 2.0 and numpy integers are accepted).
            ValueError: ``step`` is negative.
            NotImplementedError: the study has several objectives.
            UpdateFinishedTrialError: the trial has already finished.
        """
        if self.study._is_multi_objective():
            raise NotImplementedError(
                "Trial.report is not supported for multi-objective optimization."
            )
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"report(step={step!r}): value must be a float, got {value!r} "
                f"of type {type(value).__name__}"
            ) from None
        # A NaN or infinite step is no integer: TypeError, as Optuna's for NaN. Steps such as
        # 1.5 or "3" are refused too, where Optuna would silently use int(step).
        integral = isinstance(step, numbers.Integral) or (
            isinstance(step, numbers.Real) and math.isfinite(step) and step == int(step)
        )
        if not integral:
            raise TypeError(f"report(value={value!r}): step={step!r} must be an integer")
        step_int = int(step)
        if step_int < 0:
            raise ValueError(f"report(value={value!r}): step={step!r} must be >= 0")
        state = self._cached_frozen_trial.state
        if state.is_finished():
            raise UpdateFinishedTrialError(
                f"report(value={value!r}, step={step!r}): trial {self.number} has already "
                f"finished ({state.name}); intermediate values can only be reported while it "
                "runs"
            )
        intermediate = self._cached_frozen_trial.intermediate_values
        if step_int in intermediate:
            warnings.warn(
                f"report(step={step_int}): trial {self.number} already reported step {step_int}; "
                f"the new value {value!r} is ignored.",
                UserWarning,
                stacklevel=2,
            )
            return
        self.storage.set_trial_intermediate_value(self._trial_id, step_int, value)
        intermediate[step_int] = value

    def should_prune(self) -> bool:
        """Ask the study's pruner whether this trial should stop now.

        Raises:
            NotImplementedError: the study has several objectives.
        """
        if self.study._is_multi_objective():
            raise NotImplementedError(
                "Trial.should_prune is not supported for multi-objective optimization."
            )
        return bool(self.study.pruner.prune(self.study, self._cached_frozen_trial))

    # -- attrs ----------------------------------------------------------------------------------
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable ``value`` to the trial under ``key``."""
        self.storage.set_trial_user_attr(self._trial_id, key, value)
        self._cached_frozen_trial.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach a system attr (for samplers and tools; users want ``set_user_attr``)."""
        self.storage.set_trial_system_attr(self._trial_id, key, value)
        self._cached_frozen_trial.system_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        """Record a constraint value; the trial is feasible when every value is <= 0.

        Setting the same key twice keeps the first value and warns.

        Raises:
            TypeError: ``value`` is not a number.
            ValueError: ``value`` is NaN.
        """
        number = new_constraint(self._cached_frozen_trial.system_attrs, key, value)
        if number is None:
            return
        self.set_system_attr(CONSTRAINT_PREFIX + key, number)

    # -- views ----------------------------------------------------------------------------------
    @property
    def number(self) -> int:
        """The trial's number, dense from 0 within its study."""
        return self._cached_frozen_trial.number

    @property
    def params(self) -> dict[str, Any]:
        """A copy of the params suggested so far."""
        return dict(self._cached_frozen_trial.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """A copy of the distributions of the params suggested so far."""
        return dict(self._cached_frozen_trial.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """A copy of the user attrs."""
        return _copy_attrs(self._cached_frozen_trial.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """A copy of the system attrs."""
        return _copy_attrs(self._cached_frozen_trial.system_attrs)

    @property
    def constraints(self) -> dict[str, float]:
        """The constraint values set so far, by key."""
        return constraints_from_system_attrs(self._cached_frozen_trial.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        """When the trial started."""
        return self._cached_frozen_trial.datetime_start

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._cached_frozen_trial.params})"


def _remember(cache: dict[Any, BaseDistribution], key: Any, value: BaseDistribution) -> None:
    if len(cache) >= _DISTRIBUTION_CACHE_SIZE:
        cache.clear()
    cache[key] = value


def _single_value(distribution: BaseDistribution) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[0]
    assert isinstance(distribution, FloatDistribution | IntDistribution)
    return distribution.low
