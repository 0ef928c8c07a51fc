"""Search-space distributions: immutable value objects for the range of one parameter.

Every parameter value has two forms. The *external* one is what the objective sees (a float,
an int, or a categorical choice); the *internal* one is a float that samplers and storages work
with (the value itself for numbers, the index of the choice for categoricals).
"""

from __future__ import annotations

import decimal
import json
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, Union

from tansaku._internal.categorical_choices import (
    choice_key,
    is_kept_exactly,
    tuple_shape,
    with_tuples,
)
from tansaku._internal.validation import invalid

__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "DiscreteUniformDistribution",
    "FloatDistribution",
    "IntDistribution",
    "IntLogUniformDistribution",
    "IntUniformDistribution",
    "LogUniformDistribution",
    "UniformDistribution",
    "check_distribution_compatibility",
    "distribution_to_json",
    "json_to_distribution",
]

CategoricalChoiceType = Union[None, bool, int, float, str]  # noqa: UP007 (a runtime alias)

_D = TypeVar("_D", bound="BaseDistribution")

# Relative tolerance for "value lies on the step grid".
_GRID_TOLERANCE = 1e-8


class BaseDistribution:
    """The range of one parameter; subclasses are immutable and compare by value."""

    __slots__ = ()

    # Validates the arguments and sets the fields of a new instance; each subclass takes its
    # own arguments after ``where`` (the call errors name), so only the shape is common.
    _init: Callable[..., None]

    def to_external_repr(self, param_value_in_internal_repr: float) -> Any:
        """Turn the internal float into the value the objective sees."""
        return param_value_in_internal_repr

    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """Turn a value the objective sees into the internal float."""
        raise NotImplementedError

    def single(self) -> bool:
        """Return True when the distribution holds exactly one value."""
        raise NotImplementedError

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        raise NotImplementedError

    def _asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._fields()}

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        raise NotImplementedError

    def _key(self) -> tuple[Any, ...]:
        return (type(self).__name__, *(getattr(self, name) for name in self._fields()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseDistribution):
            return NotImplemented
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in sorted(self._fields()))
        return f"{type(self).__name__}({fields})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead")

    def __copy__(self) -> BaseDistribution:
        return self

    def __deepcopy__(self, _memo: dict[int, Any]) -> BaseDistribution:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (json_to_distribution, (distribution_to_json(self),))


def _build(cls: type[_D], where: str, *args: Any) -> _D:
    """Build a distribution whose errors name ``where`` (e.g. ``suggest_float('lr')``)."""
    distribution = cls.__new__(cls)
    distribution._init(where, *args)
    return distribution


def _float_castable(where: str, value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{where}: {value!r} is not a valid value; a float-castable value is expected"
        ) from None
    if math.isnan(result):
        raise ValueError(f"{where}: NaN is not a valid parameter value")
    return result


def _check_finite(where: str, argument: str, value: Any) -> None:
    """Reject an infinite or NaN bound or step: no range or grid can be built on it."""
    try:
        finite = math.isfinite(value)
    except TypeError:
        return  # not a number: the comparisons that follow raise TypeError for it
    if not finite:
        raise invalid(where, argument, value, "must be finite")


def _on_grid(low: float, value: float, step: float) -> bool:
    """True when ``value`` is ``low + k * step`` for an integer k, up to float rounding: 1e-8
    of the step, or a few ulps of the values when they are large against the step."""
    grid_point = low + round((value - low) / step) * step
    slack = max(_GRID_TOLERANCE * step, 8 * math.ulp(max(abs(low), abs(value))))
    return abs(value - grid_point) <= slack


def _adjust_high_to_step(low: float, high: float, step: float, where: str) -> float:
    """Shrink ``high`` to the last point of the grid ``low + k * step``, warning if it moves."""
    d_high = decimal.Decimal(str(high))
    d_low = decimal.Decimal(str(low))
    d_step = decimal.Decimal(str(step))
    d_range = d_high - d_low
    # A high on the grid up to float rounding (e.g. one adjusted before and read back from
    # JSON) is kept, so that adjusting twice changes nothing.
    if d_range % d_step == 0 or _on_grid(low, high, step):
        return high
    adjusted = float((d_range // d_step) * d_step + d_low)
    warnings.warn(
        f"{where}: the range [{low}, {high}] is not divisible by step={step}; "
        f"high is replaced with {adjusted}.",
        UserWarning,
        stacklevel=4,
    )
    return adjusted


class FloatDistribution(BaseDistribution):
    """Floats in ``[low, high]``, optionally on a log scale or on a grid of ``step``.

    Args:
        low: Lower end, included.
        high: Upper end, included. With ``step``, shrunk to the last grid point (with a warning).
        log: Sample on a log scale; needs ``low > 0`` and no ``step``.
        step: Spacing of the grid ``low, low + step, ...``; ``None`` for a continuous range.

    Raises:
        ValueError: ``low``, ``high`` or ``step`` is infinite or NaN, ``low > high``, ``log``
            with ``low <= 0``, ``log`` with ``step``, or ``step <= 0``.
    """

    __slots__ = ("low", "high", "log", "step", "_single", "_plain")
    low: float
    high: float
    log: bool
    step: float | None
    _single: bool
    # Neither log nor step: the fast path of samplers.
    _plain: bool

    def __init__(
        self, low: float, high: float, log: bool = False, step: None | float = None
    ) -> None:
        self._init(type(self).__name__, low, high, log, step)

    def _init(self, where: str, low: float, high: float, log: bool, step: float | None) -> None:
        _check_finite(where, "low", low)
        _check_finite(where, "high", high)
        if step is not None:
            _check_finite(where, "step", step)
        if log and step is not None:
            raise ValueError(f"{where}: step={step!r} is not supported when log=True")
        if low > high:
            raise invalid(where, "low", low, f"must be <= high={high!r}")
        if log and low <= 0.0:
            raise invalid(where, "low", low, "must be > 0 when log=True")
        if step is not None:
            if step <= 0:
                raise invalid(where, "step", step, "must be > 0")
            high = _adjust_high_to_step(low, high, step, where)
            step = float(step)
        object.__setattr__(self, "low", float(low))
        object.__setattr__(self, "high", float(high))
        object.__setattr__(self, "log", bool(log))
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "_single", self._compute_single())
        object.__setattr__(self, "_plain", not log and step is None)

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return ("low", "high", "log", "step")

    def single(self) -> bool:
        return self._single

    def _compute_single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        if self.low == self.high:
            return True
        return (
            decimal.Decimal(str(self.high)) - decimal.Decimal(str(self.low))
        ) < decimal.Decimal(str(self.step))

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        value = param_value_in_internal_repr
        if not self.low <= value <= self.high:
            return False
        if self.step is None:
            return True
        return _on_grid(self.low, value, self.step)

    def to_internal_repr(self, param_value_in_external_repr: float) -> float:
        value = param_value_in_external_repr
        if type(value) is float and value == value:  # the common case: a float, not NaN
            return value
        return _float_castable(type(self).__name__, value)


class IntDistribution(BaseDistribution):
    """Integers in ``[low, high]`` on the grid ``low, low + step, ...``, optionally log-scaled.

    Args:
        low: Lower end, included.
        high: Upper end, included; shrunk to the last grid point (with a warning).
        log: Sample on a log scale; needs ``low >= 1`` and ``step == 1``.
        step: Spacing of the grid.

    Raises:
        ValueError: ``low``, ``high`` or ``step`` is infinite or NaN, ``low > high``, ``log``
            with ``low < 1``, ``log`` with ``step != 1``, or ``step`` is not an integer >= 1.
    """

    __slots__ = ("low", "high", "log", "step")
    low: int
    high: int
    log: bool
    step: int

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        self._init(type(self).__name__, low, high, log, step)

    def _init(self, where: str, low: int, high: int, log: bool, step: int) -> None:
        _check_finite(where, "low", low)
        _check_finite(where, "high", high)
        _check_finite(where, "step", step)
        if log and step != 1:
            raise ValueError(f"{where}: step={step!r} is not supported when log=True (use 1)")
        if low > high:
            raise invalid(where, "low", low, f"must be <= high={high!r}")
        if log and low < 1:
            raise invalid(where, "low", low, "must be >= 1 when log=True")
        if step <= 0:
            raise invalid(where, "step", step, "must be > 0")
        if int(step) != step:
            # int() would turn 0.5 into 0 (a grid without points) and 1.5 into 1.
            raise invalid(where, "step", step, "must be an integer")
        high = int(high)
        low = int(low)
        step = int(step)
        if (high - low) % step != 0:
            adjusted = (high - low) // step * step + low
            warnings.warn(
                f"{where}: the range [{low}, {high}] is not divisible by step={step}; "
                f"high is replaced with {adjusted}.",
                UserWarning,
                stacklevel=3,
            )
            high = adjusted
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "log", bool(log))
        object.__setattr__(self, "step", step)

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return ("low", "high", "log", "step")

    def single(self) -> bool:
        if self.log:
            return self.low == self.high
        return self.high - self.low < self.step

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        value = param_value_in_internal_repr
        if not self.low <= value <= self.high:
            return False
        return (value - self.low) % self.step == 0

    def to_external_repr(self, param_value_in_internal_repr: float) -> int:
        return int(param_value_in_internal_repr)

    def to_internal_repr(self, param_value_in_external_repr: int) -> float:
        return _float_castable(type(self).__name__, param_value_in_external_repr)


class CategoricalDistribution(BaseDistribution):
    """One of a fixed tuple of choices.

    The internal representation is the index of the choice. Choices that are None, bool, int,
    float, str or tuples of them are stored and read back exactly by every storage (tuples
    stay tuples, which JSON alone would turn into lists). Other choices (lists, dicts, ...)
    are accepted with a UserWarning: persistent storages keep them as JSON, so they come back
    as JSON reads them (a dict's keys as str), and a choice JSON cannot hold fails to be
    stored with a TypeError.

    Two choices are the same when JSON keeps them alike: 1 and 1.0 are, 1 and True are not,
    and a tuple is the same as the list of its items; NaN is the same as NaN.

    Raises:
        TypeError: ``choices`` is not a sequence (a bare string is refused).
        ValueError: ``choices`` is empty.
    """

    __slots__ = ("choices", "_index")
    choices: tuple[CategoricalChoiceType, ...]
    _index: dict[Any, int]

    def __init__(self, choices: Sequence[CategoricalChoiceType]) -> None:
        self._init(type(self).__name__, choices)

    def _init(self, where: str, choices: Sequence[CategoricalChoiceType]) -> None:
        if isinstance(choices, str | bytes) or not isinstance(choices, Sequence):
            raise TypeError(f"{where}: choices must be a sequence, got {choices!r}")
        if len(choices) == 0:
            raise ValueError(f"{where}: choices must contain one or more elements")
        for choice in choices:
            if not is_kept_exactly(choice):
                warnings.warn(
                    f"{where}: choice {choice!r} of type {type(choice).__name__} is not None, "
                    "bool, int, float, str or a tuple of them; persistent storages keep it as "
                    "JSON and give it back as JSON reads it, or fail if JSON cannot hold it.",
                    UserWarning,
                    stacklevel=3,
                )
        self._set_choices(tuple(choices))

    def _set_choices(self, choices: tuple[Any, ...]) -> None:
        index: dict[Any, int] = {}
        for i, choice in enumerate(choices):
            index.setdefault(choice_key(choice), i)
        object.__setattr__(self, "choices", choices)
        object.__setattr__(self, "_index", index)

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return ("choices",)

    def _key(self) -> tuple[Any, ...]:
        return ("CategoricalDistribution", tuple(choice_key(c) for c in self.choices))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with the choices themselves, which JSON may not hold (in-memory studies
        # accept any choice); rebuilt without warning again.
        return (_categorical_from_choices, (self.choices,))

    def single(self) -> bool:
        return len(self.choices) == 1

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        index = int(param_value_in_internal_repr)
        return 0 <= index < len(self.choices) and index == param_value_in_internal_repr

    def to_external_repr(self, param_value_in_internal_repr: float) -> CategoricalChoiceType:
        index = int(param_value_in_internal_repr)
        # A negative index must not wrap around, nor a fraction round to a choice.
        if not 0 <= index < len(self.choices) or index != param_value_in_internal_repr:
            raise ValueError(
                f"CategoricalDistribution: index {param_value_in_internal_repr!r} is not one "
                f"of the indices of the {len(self.choices)} choices {self.choices!r}"
            )
        return self.choices[index]

    def to_internal_repr(self, param_value_in_external_repr: CategoricalChoiceType) -> float:
        value = param_value_in_external_repr
        index = self._index.get(choice_key(value))
        if index is None:
            # An object that only equals itself (say a numpy array) is found by identity.
            index = next((i for i, choice in enumerate(self.choices) if choice is value), None)
        if index is None:
            raise ValueError(
                f"CategoricalDistribution: {value!r} is not one of the choices {self.choices!r}"
            )
        return float(index)


def _categorical_from_choices(choices: tuple[Any, ...]) -> CategoricalDistribution:
    distribution = CategoricalDistribution.__new__(CategoricalDistribution)
    distribution._set_choices(choices)
    return distribution


def _deprecated(name: str, replacement: str) -> None:
    warnings.warn(f"{name} is deprecated; use {replacement} instead.", FutureWarning, stacklevel=3)


class UniformDistribution(FloatDistribution):
    """Deprecated: use ``FloatDistribution(low, high)``."""

    __slots__ = ()

    def __init__(self, low: float, high: float) -> None:
        _deprecated("UniformDistribution", "FloatDistribution")
        super().__init__(low, high)

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return ("low", "high")


class LogUniformDistribution(FloatDistribution):
    """Deprecated: use ``FloatDistribution(low, high, log=True)``."""

    __slots__ = ()

    def __init__(self, low: float, high: float) -> None:
        _deprecated("LogUniformDistribution", "FloatDistribution(log=True)")
        super().__init__(low, high, log=True)

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return ("low", "high")


class DiscreteUniformDistribution(FloatDistribution):
    """Deprecated: use ``FloatDistribution(low, high, step=q)``."""

    __slots__ = ()

    def __init__(self, low: float, high: float, q: float) -> None:
        _deprecated("DiscreteUniformDistribution", "FloatDistribution(step=q)")
        super().__init__(low, high, step=q)

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return ("low", "high", "q")

    @property
    def q(self) -> float:
        """The grid spacing, the same as ``step``."""
        assert self.step is not None
        return self.step


class IntUniformDistribution(IntDistribution):
    """Deprecated: use ``IntDistribution(low, high, step=step)``."""

    __slots__ = ()

    def __init__(self, low: int, high: int, step: int = 1) -> None:
        _deprecated("IntUniformDistribution", "IntDistribution")
        super().__init__(low, high, step=step)

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return ("low", "high", "step")


class IntLogUniformDistribution(IntDistribution):
    """Deprecated: use ``IntDistribution(low, high, log=True)``."""

    __slots__ = ()

    def __init__(self, low: int, high: int, step: int = 1) -> None:
        _deprecated("IntLogUniformDistribution", "IntDistribution(log=True)")
        super().__init__(low, high, log=True, step=step)

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return ("low", "high", "step")


DISTRIBUTION_CLASSES: tuple[type[BaseDistribution], ...] = (
    IntDistribution,
    IntLogUniformDistribution,
    IntUniformDistribution,
    FloatDistribution,
    UniformDistribution,
    LogUniformDistribution,
    DiscreteUniformDistribution,
    CategoricalDistribution,
)
_CLASSES_BY_NAME = {cls.__name__: cls for cls in DISTRIBUTION_CLASSES}


# Key of a categorical distribution's JSON, beside "name" and "attributes", that records where
# its choices held tuples (``categorical_choices.tuple_shape``). It stays out of "attributes":
# Optuna passes those to the constructor as keyword arguments, and ignores other keys.
_TUPLES_KEY = "tansaku_tuples"


def distribution_to_json(dist: BaseDistribution) -> str:
    """Serialize a distribution to the JSON text that storages keep (Optuna's format).

    The text always reads back with :func:`json_to_distribution`: storages write it before
    anything else of the param, so a choice JSON cannot hold fails here, and nothing is
    stored.

    Raises:
        TypeError: a categorical choice cannot be written as JSON.
    """
    if isinstance(dist, CategoricalDistribution):
        return _categorical_to_json(dist)
    return json.dumps({"name": type(dist).__name__, "attributes": dist._asdict()})


def _categorical_to_json(dist: CategoricalDistribution) -> str:
    document: dict[str, Any] = {
        "name": "CategoricalDistribution",
        "attributes": {"choices": dist.choices},
    }
    shapes = [tuple_shape(choice) for choice in dist.choices]
    if any(shape is not None for shape in shapes):
        document[_TUPLES_KEY] = shapes
    try:
        text = json.dumps(document)
    except (TypeError, ValueError) as error:
        for choice in dist.choices:
            try:
                json.dumps(choice)
            except (TypeError, ValueError):
                raise TypeError(
                    f"distribution_to_json: choice {choice!r} of type {type(choice).__name__} "
                    f"cannot be stored: storages keep choices as JSON ({error})"
                ) from None
        raise
    json_to_distribution(text)  # what is written must read back
    return text


def json_to_distribution(json_str: str) -> BaseDistribution:
    """Read a distribution back from :func:`distribution_to_json`'s text.

    Tuple choices come back as tuples when tansaku wrote them; other choices as JSON reads
    them (lists, dicts with str keys). Reading never warns: the writer was warned.

    Raises:
        ValueError: the text is not a distribution tansaku can rebuild (an unknown name,
            missing or wrong attributes, a range that the constructor refuses).
    """
    try:
        return _parse_distribution(json_str)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            f"json_to_distribution: {json_str!r} is not a distribution tansaku can read "
            f"({type(error).__name__}: {error})"
        ) from None


def _parse_distribution(json_str: str) -> BaseDistribution:
    loaded = json.loads(json_str)
    if "name" not in loaded and "type" in loaded:
        return _parse_short_form(loaded)
    cls = _CLASSES_BY_NAME[loaded["name"]]
    attributes = loaded["attributes"]
    if cls is CategoricalDistribution:
        choices = attributes["choices"]
        if not isinstance(choices, list) or not choices:
            raise ValueError(f"choices {choices!r} is not a list of one or more choices")
        shapes = loaded.get(_TUPLES_KEY)
        if shapes is not None:
            if not isinstance(shapes, list) or len(shapes) != len(choices):
                raise ValueError(f"{_TUPLES_KEY} {shapes!r} does not match the choices")
            choices = [with_tuples(choice, shape) for choice, shape in zip(choices, shapes)]
        return _categorical_from_choices(tuple(choices))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return cls(**attributes)


def _parse_short_form(loaded: dict[str, Any]) -> BaseDistribution:
    """The short form older Optuna versions wrote, which old databases still hold:
    ``{"type": "int", "low": 1, "high": 9}``, with ``log`` and ``step`` optional."""
    kind = loaded["type"]
    if kind == "float":
        return FloatDistribution(
            loaded["low"], loaded["high"], log=loaded.get("log", False), step=loaded.get("step")
        )
    if kind == "int":
        return IntDistribution(
            loaded["low"],
            loaded["high"],
            log=loaded.get("log", False),
            step=loaded.get("step") or 1,
        )
    if kind == "categorical":
        return _categorical_from_choices(tuple(loaded["choices"]))
    raise ValueError(f"unknown distribution type {kind!r}")


def check_distribution_compatibility(
    dist_old: BaseDistribution, dist_new: BaseDistribution
) -> None:
    """Check that a parameter may change from ``dist_old`` to ``dist_new`` within one study.

    Numeric ranges may move (a dynamic value space); the kind, the log flag and categorical
    choices may not.

    Raises:
        ValueError: the two distributions are not compatible.
    """
    if dist_old is dist_new:
        return  # trials share distribution objects: the common case costs one comparison
    old_kind = _kind(dist_old)
    if old_kind != _kind(dist_new):
        raise ValueError(
            f"Cannot set different distribution kind to the same parameter name: "
            f"{dist_old!r} then {dist_new!r}."
        )
    if isinstance(dist_old, CategoricalDistribution):
        assert isinstance(dist_new, CategoricalDistribution)
        if dist_old != dist_new:
            raise ValueError(
                "CategoricalDistribution does not support dynamic value space: "
                f"choices {dist_old.choices!r} then {dist_new.choices!r}."
            )
        return
    if getattr(dist_old, "log", False) != getattr(dist_new, "log", False):
        raise ValueError(
            f"Cannot set different log configuration to the same parameter name: "
            f"{dist_old!r} then {dist_new!r}."
        )


def _kind(dist: BaseDistribution) -> type[BaseDistribution]:
    for kind in (FloatDistribution, IntDistribution, CategoricalDistribution):
        if isinstance(dist, kind):
            return kind
    return type(dist)
