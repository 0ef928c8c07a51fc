"""Distributions: value objects, their internal form, JSON form and compatibility rules."""

from __future__ import annotations

import copy
import json
import math
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    DiscreteUniformDistribution,
    FloatDistribution,
    IntDistribution,
    IntLogUniformDistribution,
    IntUniformDistribution,
    LogUniformDistribution,
    UniformDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from tests._hypothesis import examples

SETTINGS = settings(max_examples=examples(60), deadline=None)


def quietly(factory: Callable[[], BaseDistribution]) -> BaseDistribution:
    """Build a distribution without the step-adjustment and deprecation warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return factory()


def same_choice(a: Any, b: Any) -> bool:
    """Whether two categorical choices are the same value of the same type (NaN is NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


# -- strategies ---------------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
widths = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
steps = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
choices_of_every_type = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(),
    st.text(max_size=8),
)


@st.composite
def float_distributions(draw: st.DrawFn) -> FloatDistribution:
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(positive)
        return FloatDistribution(low, low + draw(widths), log=True)
    if kind == "plain":
        low = draw(finite)
        return FloatDistribution(low, low + draw(widths))
    # Bounds and steps with few decimals, as people write them; arbitrary floats on a step grid
    # have a test of their own below.
    step = draw(st.sampled_from([0.001, 0.01, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0]))
    low = draw(st.integers(-(10**5), 10**5)) / 100
    high = low + draw(st.integers(0, 10**5)) / 100
    return quietly(lambda: FloatDistribution(low, high, step=step))  # type: ignore[return-value]


@st.composite
def int_distributions(draw: st.DrawFn) -> IntDistribution:
    if draw(st.booleans()):
        low = draw(st.integers(min_value=1, max_value=10**6))
        return IntDistribution(low, low + draw(st.integers(0, 10**6)), log=True)
    low = draw(st.integers(min_value=-(10**6), max_value=10**6))
    high = low + draw(st.integers(0, 10**6))
    step = draw(st.integers(min_value=1, max_value=1000))
    return quietly(lambda: IntDistribution(low, high, step=step))  # type: ignore[return-value]


categorical_distributions = st.lists(choices_of_every_type, min_size=1, max_size=6).map(
    CategoricalDistribution
)


@st.composite
def deprecated_distributions(draw: st.DrawFn) -> BaseDistribution:
    low = draw(st.integers(min_value=1, max_value=1000))
    high = low + draw(st.integers(min_value=0, max_value=1000))
    step = draw(st.integers(min_value=1, max_value=10))
    factories: list[Callable[[], BaseDistribution]] = [
        lambda: UniformDistribution(float(low), float(high)),
        lambda: LogUniformDistribution(float(low), float(high)),
        lambda: DiscreteUniformDistribution(float(low), float(high), 0.5),
        lambda: IntUniformDistribution(low, high, step),
        lambda: IntLogUniformDistribution(low, high),
    ]
    return quietly(draw(st.sampled_from(factories)))


any_distribution = st.one_of(float_distributions(), int_distributions(), categorical_distributions)


# -- internal representation ---------------------------------------------------------------------


@SETTINGS
@given(float_distributions(), st.data())
def test_float_value_survives_internal_round_trip(dist: FloatDistribution, data: Any) -> None:
    if dist.step is None:
        value = data.draw(st.floats(min_value=dist.low, max_value=dist.high))
    else:
        n_steps = round((dist.high - dist.low) / dist.step)
        value = dist.low + data.draw(st.integers(0, n_steps)) * dist.step
        value = min(value, dist.high)
    internal = dist.to_internal_repr(value)
    assert isinstance(internal, float)
    assert dist._contains(internal)
    assert dist.to_external_repr(internal) == value


@SETTINGS
@given(int_distributions(), st.data())
def test_int_value_survives_internal_round_trip(dist: IntDistribution, data: Any) -> None:
    value = dist.low + data.draw(st.integers(0, (dist.high - dist.low) // dist.step)) * dist.step
    internal = dist.to_internal_repr(value)
    assert isinstance(internal, float)
    assert dist._contains(internal)
    external = dist.to_external_repr(internal)
    assert type(external) is int
    assert external == value


@SETTINGS
@given(st.lists(choices_of_every_type, min_size=1, max_size=6, unique_by=repr), st.data())
def test_categorical_choice_survives_internal_round_trip(choices: list[Any], data: Any) -> None:
    dist = CategoricalDistribution(choices)
    choice = data.draw(st.sampled_from(choices))
    internal = dist.to_internal_repr(choice)
    assert internal == float(int(internal))
    assert dist._contains(internal)
    assert same_choice(dist.to_external_repr(internal), choice)


def test_categorical_internal_repr_is_the_index_of_the_choice() -> None:
    dist = CategoricalDistribution(["a", "b", "c"])
    assert [dist.to_internal_repr(c) for c in "abc"] == [0.0, 1.0, 2.0]
    assert dist.to_external_repr(2.0) == "c"


@pytest.mark.parametrize(
    ("choice", "index"),
    [(None, 0), (True, 1), (False, 2), (0, 3), (7, 4), (-2.5, 5), ("", 6), ("adam", 7)],
)
def test_categorical_keeps_type_of_each_supported_choice(choice: Any, index: int) -> None:
    dist = CategoricalDistribution([None, True, False, 0, 7, -2.5, "", "adam"])
    assert dist.to_internal_repr(choice) == index
    assert same_choice(dist.to_external_repr(index), choice)


def test_categorical_tells_true_from_one_and_false_from_zero() -> None:
    dist = CategoricalDistribution([1, True, 0, False])
    assert dist.to_internal_repr(1) == 0.0
    assert dist.to_internal_repr(True) == 1.0
    assert dist.to_internal_repr(0) == 2.0
    assert dist.to_internal_repr(False) == 3.0
    assert dist.to_external_repr(1.0) is True
    assert dist.to_external_repr(0.0) == 1 and dist.to_external_repr(0.0) is not True


def test_categorical_true_is_not_found_among_integer_choices() -> None:
    with pytest.raises(ValueError, match="True"):
        CategoricalDistribution([0, 1, 2]).to_internal_repr(True)


def test_categorical_finds_nan_choice() -> None:
    dist = CategoricalDistribution([1.0, float("nan"), "x"])
    assert dist.to_internal_repr(float("nan")) == 1.0
    assert math.isnan(dist.to_external_repr(1.0))


def test_categorical_unknown_choice_raises_naming_value_and_choices() -> None:
    dist = CategoricalDistribution(["sgd", "adam"])
    with pytest.raises(ValueError, match=r"'rmsprop'.*\('sgd', 'adam'\)"):
        dist.to_internal_repr("rmsprop")


def test_categorical_unhashable_lookup_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"\[1\]"):
        CategoricalDistribution([1, 2]).to_internal_repr([1])


@pytest.mark.parametrize("bad", [float("nan"), "abc", None, [1.0]])
def test_float_internal_repr_rejects_non_numbers(bad: Any) -> None:
    with pytest.raises(ValueError):
        FloatDistribution(0, 1).to_internal_repr(bad)


def test_numeric_internal_repr_accepts_float_castable_values() -> None:
    assert FloatDistribution(0, 10).to_internal_repr(3) == 3.0
    assert FloatDistribution(0, 10).to_internal_repr("2.5") == 2.5
    assert IntDistribution(0, 10).to_internal_repr(4) == 4.0
    assert IntDistribution(0, 10).to_external_repr(4.0) == 4


# -- JSON -----------------------------------------------------------------------------------------


@SETTINGS
@given(any_distribution)
def test_json_round_trip_gives_an_equal_distribution(dist: BaseDistribution) -> None:
    with warnings.catch_warnings():
        # Reading back a stored distribution must not warn or move its range.
        warnings.simplefilter("error")
        loaded = json_to_distribution(distribution_to_json(dist))
    assert type(loaded) is type(dist)
    assert loaded == dist


@SETTINGS
@given(deprecated_distributions())
def test_json_round_trip_keeps_deprecated_class(dist: BaseDistribution) -> None:
    text = distribution_to_json(dist)
    assert json.loads(text)["name"] == type(dist).__name__
    loaded = json_to_distribution(text)
    assert type(loaded) is type(dist)
    assert loaded == dist


@settings(max_examples=examples(60), deadline=None)
@given(low=finite, width=widths, step=steps)
@example(low=0.0, width=3.0, step=1.1737704517489647)
def test_float_step_distribution_is_stable_under_json_round_trip(
    low: float, width: float, step: float
) -> None:
    # A stored distribution is rebuilt from its JSON on every load; its grid must not shrink.
    dist = quietly(lambda: FloatDistribution(low, low + width, step=step))
    assert isinstance(dist, FloatDistribution)
    assert dist._contains(dist.high)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = json_to_distribution(distribution_to_json(dist))
    assert loaded == dist


OPTUNA_JSON_LAYOUTS: list[tuple[Callable[[], BaseDistribution], dict[str, Any]]] = [
    (
        lambda: FloatDistribution(0.0, 1.0),
        {
            "name": "FloatDistribution",
            "attributes": {"low": 0.0, "high": 1.0, "log": False, "step": None},
        },
    ),
    (
        lambda: FloatDistribution(0.1, 1.0, log=True),
        {
            "name": "FloatDistribution",
            "attributes": {"low": 0.1, "high": 1.0, "log": True, "step": None},
        },
    ),
    (
        lambda: FloatDistribution(0.0, 1.0, step=0.25),
        {
            "name": "FloatDistribution",
            "attributes": {"low": 0.0, "high": 1.0, "log": False, "step": 0.25},
        },
    ),
    (
        lambda: IntDistribution(0, 10, step=2),
        {"name": "IntDistribution", "attributes": {"low": 0, "high": 10, "log": False, "step": 2}},
    ),
    (
        lambda: IntDistribution(1, 10, log=True),
        {"name": "IntDistribution", "attributes": {"low": 1, "high": 10, "log": True, "step": 1}},
    ),
    (
        lambda: CategoricalDistribution([None, True, 1, 1.5, "a"]),
        {"name": "CategoricalDistribution", "attributes": {"choices": [None, True, 1, 1.5, "a"]}},
    ),
    (
        lambda: UniformDistribution(0.0, 1.0),
        {"name": "UniformDistribution", "attributes": {"low": 0.0, "high": 1.0}},
    ),
    (
        lambda: LogUniformDistribution(0.1, 1.0),
        {"name": "LogUniformDistribution", "attributes": {"low": 0.1, "high": 1.0}},
    ),
    (
        lambda: DiscreteUniformDistribution(0.0, 1.0, 0.25),
        {
            "name": "DiscreteUniformDistribution",
            "attributes": {"low": 0.0, "high": 1.0, "q": 0.25},
        },
    ),
    (
        lambda: IntUniformDistribution(0, 10, 2),
        {"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 10, "step": 2}},
    ),
    (
        lambda: IntLogUniformDistribution(1, 10),
        {"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 10, "step": 1}},
    ),
]


@pytest.mark.parametrize(("factory", "layout"), OPTUNA_JSON_LAYOUTS)
def test_json_uses_optunas_name_and_attributes_layout(
    factory: Callable[[], BaseDistribution], layout: dict[str, Any]
) -> None:
    assert json.loads(distribution_to_json(quietly(factory))) == layout


@pytest.mark.parametrize(("factory", "layout"), OPTUNA_JSON_LAYOUTS)
def test_json_written_by_optuna_is_read_back(
    factory: Callable[[], BaseDistribution], layout: dict[str, Any]
) -> None:
    # Optuna writes the attributes in another order; the order must not matter.
    reordered = {"attributes": dict(reversed(list(layout["attributes"].items())))}
    reordered["name"] = layout["name"]
    loaded = json_to_distribution(json.dumps(reordered))
    expected = quietly(factory)
    assert type(loaded) is type(expected)
    assert loaded == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "NormalDistribution", "attributes": {"mu": 0, "sigma": 1}}',
        '{"attributes": {"low": 0, "high": 1}}',
        '{"name": "FloatDistribution"}',
        "not json",
        "[]",
    ],
)
def test_json_that_is_not_a_distribution_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        json_to_distribution(text)


def test_json_round_trip_of_nan_choice() -> None:
    dist = CategoricalDistribution([float("nan"), 0.5])
    loaded = json_to_distribution(distribution_to_json(dist))
    assert isinstance(loaded, CategoricalDistribution)
    assert math.isnan(loaded.choices[0])  # type: ignore[arg-type]
    assert loaded.to_internal_repr(float("nan")) == 0.0


# -- _contains and single -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dist", "value", "expected"),
    [
        (FloatDistribution(0.0, 1.0), 0.0, True),
        (FloatDistribution(0.0, 1.0), 1.0, True),
        (FloatDistribution(0.0, 1.0), 0.5, True),
        (FloatDistribution(0.0, 1.0), -1e-9, False),
        (FloatDistribution(0.0, 1.0), 1.0 + 1e-9, False),
        (FloatDistribution(0.1, 10.0, log=True), 0.1, True),
        (FloatDistribution(0.1, 10.0, log=True), 0.09, False),
        (FloatDistribution(0.0, 1.0, step=0.1), 0.3, True),
        (FloatDistribution(0.0, 1.0, step=0.1), 0.7, True),
        (FloatDistribution(0.0, 1.0, step=0.1), 0.35, False),
        (FloatDistribution(-1.0, 1.0, step=0.5), -0.5, True),
        (FloatDistribution(-1.0, 1.0, step=0.5), 0.25, False),
        (IntDistribution(0, 10), 0, True),
        (IntDistribution(0, 10), 10, True),
        (IntDistribution(0, 10), 11, False),
        (IntDistribution(0, 10), 2.5, False),
        (IntDistribution(1, 9, step=2), 5, True),
        (IntDistribution(1, 9, step=2), 4, False),
        (IntDistribution(1, 100, log=True), 1, True),
        (IntDistribution(1, 100, log=True), 0, False),
        (CategoricalDistribution(["a", "b"]), 0, True),
        (CategoricalDistribution(["a", "b"]), 1, True),
        (CategoricalDistribution(["a", "b"]), 2, False),
        (CategoricalDistribution(["a", "b"]), -1, False),
        (CategoricalDistribution(["a", "b"]), 0.5, False),
    ],
)
def test_contains_checks_range_and_grid(
    dist: BaseDistribution, value: float, expected: bool
) -> None:
    assert dist._contains(value) is expected


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        (lambda: FloatDistribution(1.0, 1.0), True),
        (lambda: FloatDistribution(1.0, 2.0), False),
        (lambda: FloatDistribution(1.0, 1.0, log=True), True),
        (lambda: FloatDistribution(0.0, 0.05, step=0.1), True),
        (lambda: FloatDistribution(0.0, 0.1, step=0.1), False),
        (lambda: IntDistribution(3, 3), True),
        (lambda: IntDistribution(3, 4), False),
        (lambda: IntDistribution(0, 4, step=5), True),
        (lambda: IntDistribution(0, 5, step=5), False),
        (lambda: IntDistribution(2, 2, log=True), True),
        (lambda: IntDistribution(2, 3, log=True), False),
        (lambda: CategoricalDistribution(["only"]), True),
        (lambda: CategoricalDistribution(["a", "b"]), False),
    ],
)
def test_single_is_true_only_for_one_possible_value(
    factory: Callable[[], BaseDistribution], expected: bool
) -> None:
    assert quietly(factory).single() is expected


# -- equality, hashing, immutability --------------------------------------------------------------


@SETTINGS
@given(any_distribution)
def test_equal_distributions_hash_equal(dist: BaseDistribution) -> None:
    rebuilt = pickle.loads(pickle.dumps(dist))
    assert copy.deepcopy(dist) == dist
    assert rebuilt == dist
    assert hash(rebuilt) == hash(dist)
    assert len({dist, rebuilt}) == 1


def test_equality_compares_every_field() -> None:
    assert FloatDistribution(0, 1) == FloatDistribution(0.0, 1.0)
    assert FloatDistribution(0, 1) != FloatDistribution(0, 2)
    assert FloatDistribution(0.5, 1) != FloatDistribution(0.5, 1, log=True)
    assert FloatDistribution(0, 1) != FloatDistribution(0, 1, step=0.5)
    assert IntDistribution(0, 10) != IntDistribution(0, 10, step=2)
    assert CategoricalDistribution(["a", "b"]) != CategoricalDistribution(["b", "a"])
    assert CategoricalDistribution([1, 2]) != CategoricalDistribution([True, 2])


def test_distributions_of_different_classes_are_not_equal() -> None:
    assert FloatDistribution(0, 10) != IntDistribution(0, 10)
    assert quietly(lambda: UniformDistribution(0, 1)) != FloatDistribution(0, 1)
    assert quietly(lambda: IntUniformDistribution(0, 10)) != IntDistribution(0, 10)
    assert FloatDistribution(0, 1) != "FloatDistribution(0, 1)"


def test_categorical_with_nan_equals_its_copy() -> None:
    a = CategoricalDistribution([float("nan"), 1])
    b = CategoricalDistribution([float("nan"), 1])
    assert a == b
    assert hash(a) == hash(b)


def test_distribution_is_immutable() -> None:
    dist = FloatDistribution(0, 1)
    with pytest.raises(AttributeError):
        dist.low = 0.5  # type: ignore[misc]
    assert dist.low == 0.0


def test_repr_names_class_and_fields() -> None:
    assert (
        repr(FloatDistribution(0, 1))
        == "FloatDistribution(high=1.0, log=False, low=0.0, step=None)"
    )
    assert repr(CategoricalDistribution(["a", 1])) == "CategoricalDistribution(choices=('a', 1))"


def test_deprecated_classes_warn_and_behave_like_their_replacement() -> None:
    with pytest.warns(FutureWarning):
        uniform = UniformDistribution(0, 1)
    with pytest.warns(FutureWarning):
        log_uniform = LogUniformDistribution(0.1, 1)
    with pytest.warns(FutureWarning):
        discrete = DiscreteUniformDistribution(0, 1, 0.25)
    with pytest.warns(FutureWarning):
        int_uniform = IntUniformDistribution(0, 10, 2)
    with pytest.warns(FutureWarning):
        int_log = IntLogUniformDistribution(1, 10)
    assert isinstance(uniform, FloatDistribution) and not uniform.log
    assert isinstance(log_uniform, FloatDistribution) and log_uniform.log
    assert discrete.q == discrete.step == 0.25
    assert isinstance(int_uniform, IntDistribution) and int_uniform.step == 2
    assert isinstance(int_log, IntDistribution) and int_log.log


# -- step adjustment ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "step", "adjusted"),
    [
        (0.0, 1.05, 0.1, 1.0),
        (0.1, 0.75, 0.2, 0.7),
        (-1.0, 0.3, 0.25, 0.25),
        (0.0, 1.0, 0.3, 0.9),
        (1.5, 3.99, 0.01, 3.99),
    ],
)
def test_float_step_that_does_not_divide_range_warns_and_shrinks_high(
    low: float, high: float, step: float, adjusted: float
) -> None:
    if adjusted == high:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            dist = FloatDistribution(low, high, step=step)
    else:
        with pytest.warns(UserWarning, match="step"):
            dist = FloatDistribution(low, high, step=step)
    assert dist.high == adjusted
    assert dist.low == low
    assert dist._contains(dist.high)


@pytest.mark.parametrize("step", [0.1, 0.2, 0.05, 0.001])
def test_float_decimal_step_that_divides_range_keeps_high_silently(step: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dist = FloatDistribution(0.0, 1.0, step=step)
    assert dist.high == 1.0


def test_int_step_that_does_not_divide_range_warns_and_shrinks_high() -> None:
    with pytest.warns(UserWarning, match="step=3"):
        dist = IntDistribution(0, 10, step=3)
    assert dist.high == 9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert IntDistribution(1, 10, step=3).high == 10


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "argument"),
    [
        (lambda: FloatDistribution(1.0, 0.0), r"low=1\.0"),
        (lambda: FloatDistribution(0.0, 1.0, log=True), r"low=0\.0.*log"),
        (lambda: FloatDistribution(-1.0, 1.0, log=True), r"low=-1\.0.*log"),
        (lambda: FloatDistribution(0.1, 1.0, log=True, step=0.1), r"step=0\.1.*log"),
        (lambda: FloatDistribution(0.0, 1.0, step=0.0), r"step=0\.0"),
        (lambda: FloatDistribution(0.0, 1.0, step=-0.1), r"step=-0\.1"),
        (lambda: IntDistribution(5, 1), r"low=5"),
        (lambda: IntDistribution(0, 10, log=True), r"low=0.*log"),
        (lambda: IntDistribution(1, 10, log=True, step=2), r"step=2.*log"),
        (lambda: IntDistribution(0, 10, step=0), r"step=0"),
        (lambda: IntDistribution(0, 10, step=-2), r"step=-2"),
        (lambda: CategoricalDistribution([]), r"choices"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(
    factory: Callable[[], BaseDistribution], argument: str
) -> None:
    with pytest.raises(ValueError, match=argument):
        factory()


def test_list_and_dict_choices_warn_like_optuna_and_are_found() -> None:
    with pytest.warns(UserWarning, match="list"):
        dist = CategoricalDistribution([[1, 2], 3])  # type: ignore[list-item]
    assert dist.to_internal_repr([1, 2]) == 0.0
    with pytest.warns(UserWarning, match="dict"):
        dist = CategoricalDistribution([{"a": [1]}, {"b": 2}])  # type: ignore[list-item]
    assert dist.to_internal_repr({"b": 2}) == 1.0
    again = quietly(lambda: CategoricalDistribution([{"a": [1]}, {"b": 2}]))  # type: ignore[list-item]
    assert dist == again


def test_unhashable_object_choice_is_found_by_identity() -> None:
    unhashable = {3}  # a set: unhashable, and JSON cannot hold it
    dist = quietly(lambda: CategoricalDistribution(["a", unhashable]))  # type: ignore[list-item]
    assert dist.to_internal_repr(unhashable) == 1.0
    with pytest.raises(ValueError, match="not one of the choices"):
        dist.to_internal_repr({4})


def test_tuple_choices_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CategoricalDistribution([(32,), (64, 32), ((1, 2), None)])  # type: ignore[list-item]


# -- infinite and NaN bounds ----------------------------------------------------------------------

INF = float("inf")
NAN = float("nan")


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: FloatDistribution(0.0, INF), r"^FloatDistribution: high=inf must be finite$"),
        (lambda: FloatDistribution(-INF, 0.0), r"low=-inf must be finite"),
        (lambda: FloatDistribution(NAN, 1.0), r"low=nan must be finite"),
        (lambda: FloatDistribution(0.0, NAN), r"high=nan must be finite"),
        (lambda: FloatDistribution(1.0, INF, log=True), r"high=inf must be finite"),
        (lambda: FloatDistribution(0.0, 1.0, step=NAN), r"step=nan must be finite"),
        (lambda: FloatDistribution(0.0, 1.0, step=INF), r"step=inf must be finite"),
        (lambda: IntDistribution(0, INF), r"^IntDistribution: high=inf must be finite$"),  # type: ignore[arg-type]
        (lambda: IntDistribution(NAN, 1), r"low=nan must be finite"),  # type: ignore[arg-type]
        (lambda: IntDistribution(0, 10, step=NAN), r"step=nan must be finite"),  # type: ignore[arg-type]
        (lambda: IntDistribution(0, 10, step=0.5), r"step=0.5 must be an integer"),  # type: ignore[arg-type]
        (lambda: IntDistribution(0, 10, step=1.5), r"step=1.5 must be an integer"),  # type: ignore[arg-type]
        (lambda: UniformDistribution(0.0, INF), r"high=inf must be finite"),
        (lambda: LogUniformDistribution(1.0, INF), r"high=inf must be finite"),
        (lambda: DiscreteUniformDistribution(0.0, 1.0, NAN), r"step=nan must be finite"),
        (lambda: IntUniformDistribution(0, INF), r"high=inf must be finite"),  # type: ignore[arg-type]
    ],
)
def test_infinite_or_nan_bound_or_step_raises_value_error_naming_it(
    factory: Callable[[], BaseDistribution], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        quietly(factory)


def test_integral_float_step_of_int_distribution_is_accepted() -> None:
    assert IntDistribution(0, 10, step=2.0).step == 2  # type: ignore[arg-type]


def test_stored_distribution_with_an_infinite_bound_is_not_readable() -> None:
    # Optuna writes FloatDistribution(0, inf); reading it raises the one error storages catch.
    attributes = '{"low": 0, "high": Infinity, "log": false, "step": null}'
    text = '{"name": "FloatDistribution", "attributes": ' + attributes + "}"
    with pytest.raises(ValueError, match="high=inf must be finite"):
        json_to_distribution(text)


# -- tuple choices and JSON -----------------------------------------------------------------------


def exactly(a: Any, b: Any) -> bool:
    """Whether two choices are equal with the same types all the way down (NaN is NaN)."""
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(exactly(x, y) for x, y in zip(a, b))
    return same_choice(a, b)


tuple_choices = st.recursive(
    choices_of_every_type,
    lambda inner: st.one_of(st.lists(inner, max_size=3).map(tuple), st.lists(inner, max_size=3)),
    max_leaves=8,
)


@SETTINGS
@given(st.lists(tuple_choices, min_size=1, max_size=5))
def test_json_round_trip_keeps_tuples_and_lists_at_every_depth(choices: list[Any]) -> None:
    dist = quietly(lambda: CategoricalDistribution(choices))
    assert isinstance(dist, CategoricalDistribution)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading back never warns
        loaded = json_to_distribution(distribution_to_json(dist))
    assert isinstance(loaded, CategoricalDistribution)
    assert len(loaded.choices) == len(dist.choices)
    assert all(exactly(a, b) for a, b in zip(loaded.choices, dist.choices))
    assert loaded == dist


def test_tuple_marker_lives_outside_the_attributes_optuna_passes_to_the_constructor() -> None:
    text = distribution_to_json(CategoricalDistribution([(1, 2), (3, 4)]))  # type: ignore[list-item]
    document = json.loads(text)
    assert document["attributes"] == {"choices": [[1, 2], [3, 4]]}
    assert set(document) == {"name", "attributes", "tansaku_tuples"}


def test_json_of_choices_without_tuples_has_no_marker() -> None:
    dist = quietly(lambda: CategoricalDistribution([[1], {"a": 1}, "x"]))  # type: ignore[list-item]
    text = distribution_to_json(dist)
    assert set(json.loads(text)) == {"name", "attributes"}


def test_dict_choices_come_back_as_json_reads_them() -> None:
    dist = quietly(lambda: CategoricalDistribution([{"a": (1, 2)}, {1: "b"}]))  # type: ignore[list-item]
    loaded = json_to_distribution(distribution_to_json(dist))
    assert isinstance(loaded, CategoricalDistribution)
    assert loaded.choices == ({"a": [1, 2]}, {"1": "b"})


@pytest.mark.parametrize("choice", [object(), {1, 2}, {(1, 2): "tuple key"}, b"bytes"])
def test_choice_json_cannot_hold_raises_type_error_naming_it(choice: Any) -> None:
    dist = quietly(lambda: CategoricalDistribution(["a", choice]))
    with pytest.raises(TypeError, match=r"distribution_to_json: choice .* cannot be stored"):
        distribution_to_json(dist)


def test_categorical_distribution_of_any_choices_pickles() -> None:
    marker = object()
    dist = quietly(lambda: CategoricalDistribution([(1, 2), [3], marker]))  # type: ignore[list-item]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(dist))
    assert loaded.choices[:2] == ((1, 2), [3])
    assert type(loaded.choices[2]) is object


def _categorical_json(choices: Any, **beside: Any) -> str:
    return json.dumps(
        {"name": "CategoricalDistribution", "attributes": {"choices": choices}, **beside}
    )


@pytest.mark.parametrize(
    "text",
    [
        _categorical_json([]),
        _categorical_json("ab"),
        _categorical_json([[1]], tansaku_tuples=[1]),
        _categorical_json([1], tansaku_tuples=[["tuple", None]]),
        _categorical_json([[1]], tansaku_tuples=[]),
        '{"name": "FloatDistribution", "attributes": {"low": 0, "high": 1, "color": "red"}}',
        '{"name": "IntDistribution", "attributes": {"low": 0, "high": 10, "step": 0.5}}',
    ],
)
def test_malformed_stored_distribution_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="json_to_distribution"):
        json_to_distribution(text)


@pytest.mark.parametrize("index", [-1, 2, 7, 0.5])
def test_categorical_index_outside_the_choices_raises_value_error(index: float) -> None:
    with pytest.raises(ValueError, match="not one of the indices"):
        CategoricalDistribution(["a", "b"]).to_external_repr(index)


# -- compatibility --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (FloatDistribution(0, 1), IntDistribution(0, 1)),
        (IntDistribution(0, 1), FloatDistribution(0, 1)),
        (FloatDistribution(0, 1), CategoricalDistribution([0, 1])),
        (CategoricalDistribution([0, 1]), IntDistribution(0, 1)),
        (FloatDistribution(0.1, 1), FloatDistribution(0.1, 1, log=True)),
        (FloatDistribution(0.1, 1, log=True), FloatDistribution(0.1, 1)),
        (IntDistribution(1, 10), IntDistribution(1, 10, log=True)),
        (CategoricalDistribution(["a", "b"]), CategoricalDistribution(["a", "b", "c"])),
        (CategoricalDistribution(["a", "b"]), CategoricalDistribution(["b", "a"])),
        (CategoricalDistribution([1, 2]), CategoricalDistribution([True, 2])),
        (
            CategoricalDistribution([(1, 2)]),  # type: ignore[list-item]
            CategoricalDistribution([(True, 2)]),  # type: ignore[list-item]
        ),
    ],
)
def test_incompatible_change_raises_value_error(
    old: BaseDistribution, new: BaseDistribution
) -> None:
    with pytest.raises(ValueError):
        check_distribution_compatibility(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (FloatDistribution(0, 1), FloatDistribution(-5, 5)),
        (FloatDistribution(0, 1), FloatDistribution(0, 1, step=0.5)),
        (FloatDistribution(0.1, 1, log=True), FloatDistribution(0.01, 100, log=True)),
        (IntDistribution(0, 10), IntDistribution(-3, 30, step=3)),
        (IntDistribution(1, 10, log=True), IntDistribution(2, 1000, log=True)),
        (CategoricalDistribution(["a", "b"]), CategoricalDistribution(("a", "b"))),
        (CategoricalDistribution([float("nan")]), CategoricalDistribution([float("nan")])),
    ],
)
def test_numeric_range_change_and_same_choices_are_compatible(
    old: BaseDistribution, new: BaseDistribution
) -> None:
    check_distribution_compatibility(old, new)


def test_tuple_choices_are_compatible_with_lists_of_the_same_items() -> None:
    # JSON keeps a tuple as a list: a study Optuna wrote with tuple choices holds lists.
    written_by_optuna = quietly(lambda: CategoricalDistribution([[1, 2], [3]]))  # type: ignore[list-item]
    suggested = CategoricalDistribution([(1, 2), (3,)])  # type: ignore[list-item]
    check_distribution_compatibility(written_by_optuna, suggested)
