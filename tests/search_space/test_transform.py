"""_SearchSpaceTransform: params to rows of floats and back, for samplers that search in R^d."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.search_space import _SearchSpaceTransform
from tests._hypothesis import examples

SPACE: dict[str, BaseDistribution] = {
    "float": FloatDistribution(-1.0, 3.0),
    "float_log": FloatDistribution(1e-5, 1e2, log=True),
    "float_step": FloatDistribution(0.0, 1.0, step=0.1),
    "int": IntDistribution(-3, 7),
    "int_step": IntDistribution(0, 20, step=4),
    "int_log": IntDistribution(1, 1000, log=True),
    "single": FloatDistribution(2.0, 2.0),
    "categorical": CategoricalDistribution(["x", 1, None, 2.5]),
}


def _values(distribution: BaseDistribution) -> st.SearchStrategy[Any]:
    if isinstance(distribution, CategoricalDistribution):
        return st.sampled_from(distribution.choices)
    if isinstance(distribution, IntDistribution):
        n_steps = (distribution.high - distribution.low) // distribution.step
        return st.integers(0, n_steps).map(lambda k: distribution.low + k * distribution.step)
    assert isinstance(distribution, FloatDistribution)
    if distribution.step is not None:
        n_steps = round((distribution.high - distribution.low) / distribution.step)
        return st.integers(0, n_steps).map(
            lambda k: min(distribution.high, distribution.low + k * distribution.step)
        )
    return st.floats(distribution.low, distribution.high)


def test_bounds_widen_a_grid_by_half_a_step_and_take_logs() -> None:
    transform = _SearchSpaceTransform(SPACE)
    assert transform.names == tuple(SPACE)
    expected = [
        (-1.0, 3.0),
        (math.log(1e-5), math.log(1e2)),
        (-0.05, 1.05),
        (-3.5, 7.5),
        (-2.0, 22.0),
        (math.log(0.5), math.log(1000.5)),
        (2.0, 2.0),
    ] + [(0.0, 1.0)] * 4
    np.testing.assert_allclose(transform.bounds, expected)
    assert transform.column_to_param.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7]
    assert transform.n_columns == 11


def test_without_log_and_step_transforms_the_bounds_are_the_distributions() -> None:
    transform = _SearchSpaceTransform(SPACE, transform_log=False, transform_step=False)
    np.testing.assert_allclose(
        transform.bounds[:7], [(-1, 3), (1e-5, 1e2), (0, 1), (-3, 7), (0, 20), (1, 1000), (2, 2)]
    )


@settings(max_examples=examples(200))
@given(st.fixed_dictionaries({name: _values(d) for name, d in SPACE.items()}))
@pytest.mark.parametrize("transform_0_1", [False, True])
def test_params_survive_the_round_trip(transform_0_1: bool, params: dict[str, Any]) -> None:
    transform = _SearchSpaceTransform(SPACE, transform_0_1=transform_0_1)
    row = transform.transform(params)
    lower, upper = (
        (0.0, 1.0) if transform_0_1 else (transform.bounds[:, 0], transform.bounds[:, 1])
    )
    assert np.all(row >= lower - 1e-12) and np.all(row <= upper + 1e-12)
    back = transform.untransform(row)
    assert list(back) == list(SPACE)
    for name, value in params.items():
        if isinstance(value, float):
            assert back[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
        else:
            assert back[name] == value and type(back[name]) is type(value), name


@settings(max_examples=examples(200))
@given(st.lists(st.floats(-0.5, 1.5), min_size=11, max_size=11))
def test_any_row_gives_params_inside_their_distributions(unit: list[float]) -> None:
    # Rows outside the bounds too (an optimizer's step may overshoot): they are clipped.
    transform = _SearchSpaceTransform(SPACE, transform_0_1=True)
    params = transform.untransform(np.array(unit))
    for name, distribution in SPACE.items():
        assert distribution._contains(distribution.to_internal_repr(params[name])), name
    assert isinstance(params["int"], int) and isinstance(params["float"], float)


def test_each_grid_point_owns_an_equal_share_of_the_unit_interval() -> None:
    transform = _SearchSpaceTransform({"n": IntDistribution(0, 3)}, transform_0_1=True)
    units = (np.arange(4000) + 0.5) / 4000
    counts = np.bincount([transform.untransform(np.array([u]))["n"] for u in units])
    assert counts.tolist() == [1000] * 4


def test_the_largest_coordinate_picks_the_choice() -> None:
    transform = _SearchSpaceTransform({"c": CategoricalDistribution(["a", "b", "c"])})
    assert transform.untransform(np.array([0.2, 0.7, 0.1])) == {"c": "b"}
    np.testing.assert_array_equal(transform.transform({"c": "c"}), [0.0, 0.0, 1.0])


def test_an_empty_space_has_no_columns() -> None:
    transform = _SearchSpaceTransform({}, transform_0_1=True)
    assert transform.bounds.shape == (0, 2)
    assert transform.untransform(np.zeros(0)) == {}
    assert transform.transform({}).shape == (0,)


# Values whose log numpy's AVX-512 code rounds otherwise than libm (found on such a CPU; on
# others numpy calls libm and they agree).
_LOG_ROUNDED_APART = (0.662, 0.691, 0.806, 0.917, 0.968, 1.009, 1.05, 1.366, 3.641, 4.663)


def test_logs_and_exps_are_libms_so_draws_do_not_depend_on_the_cpu() -> None:
    transform = _SearchSpaceTransform({"p": FloatDistribution(1e-3, 1e2, log=True)})
    for value in _LOG_ROUNDED_APART:
        assert transform.transform({"p": value})[0] == math.log(value), value
    for column in np.linspace(math.log(1e-3), math.log(1e2), 2001)[1:-1].tolist():
        assert transform.untransform(np.array([column]))["p"] == math.exp(column), column


@pytest.mark.parametrize("end", _LOG_ROUNDED_APART)
def test_a_log_param_at_an_end_of_its_range_is_on_the_bound_not_past_it(end: float) -> None:
    # An operator that rejects children outside the bounds must accept the parents' rows.
    for low, high in ((end, 1e3), (1e-4, end)):
        transform = _SearchSpaceTransform({"p": FloatDistribution(low, high, log=True)})
        assert transform.transform({"p": low}).tolist() == [transform.bounds[0, 0]]
        assert transform.transform({"p": high}).tolist() == [transform.bounds[0, 1]]


def test_rows_far_past_a_log_bound_give_the_bound() -> None:
    transform = _SearchSpaceTransform({"p": FloatDistribution(1e-3, 1e2, log=True)})
    assert transform.untransform(np.array([1e6])) == {"p": 1e2}
    assert transform.untransform(np.array([-1e6])) == {"p": 1e-3}


def test_without_one_hot_categoricals_take_no_column() -> None:
    transform = _SearchSpaceTransform(SPACE, one_hot=False)
    assert transform.categorical_names == ("categorical",)
    assert transform.n_columns == 7
    assert transform.column_to_param.tolist() == [0, 1, 2, 3, 4, 5, 6]
    np.testing.assert_array_equal(transform.bounds, _SearchSpaceTransform(SPACE).bounds[:7])
    params = {"float": 0.5, "float_log": 1.0, "float_step": 0.5, "int": 2, "int_step": 8}
    params |= {"int_log": 10, "single": 2.0}
    row = transform.transform(params)  # no categorical needed
    assert transform.untransform(row) == params
    assert list(transform.untransform(row)) == list(params)
