"""The non-dominated region split into disjoint boxes (the support of hypervolume improvement)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tansaku._pareto import hypervolume, non_dominated_boxes
from tests._hypothesis import examples

# Fronts on a small integer grid, so that ties, duplicates and dominated rows are common, with a
# reference point that some rows are not below.
_cases = st.integers(2, 4).flatmap(
    lambda m: st.tuples(
        st.lists(
            st.lists(st.integers(0, 4).map(float), min_size=m, max_size=m), min_size=0, max_size=12
        ),
        st.lists(st.integers(1, 5).map(float), min_size=m, max_size=m),
    )
)


def _probe_points(m: int) -> np.ndarray:
    """Grid points on every bound (integers) and inside every cell (half-integers)."""
    values = np.arange(-1.0, 6.0, 0.5)
    return np.array(list(itertools.product(values, repeat=m)))


@given(_cases)
@settings(max_examples=examples(150), deadline=None)
def test_boxes_and_front_fill_the_reference_box(
    case: tuple[list[list[float]], list[float]],
) -> None:
    rows, ref_list = case
    ref = np.array(ref_list)
    front = np.array(rows).reshape(-1, len(ref))
    lower, upper = non_dominated_boxes(front, ref)
    assert np.all(np.isfinite(upper)) and np.all(upper <= ref)
    assert np.all(lower < upper)
    corner = np.full(len(ref), -1.0)  # below every point: the observed box is [corner, ref]
    boxes_volume = np.prod(upper - np.maximum(lower, corner), axis=1).sum()
    assert boxes_volume + hypervolume(front, ref) == np.prod(ref - corner)


@given(_cases)
@settings(max_examples=examples(100), deadline=None)
def test_a_point_is_in_one_box_iff_below_ref_and_not_dominated(
    case: tuple[list[list[float]], list[float]],
) -> None:
    rows, ref_list = case
    ref = np.array(ref_list)
    front = np.array(rows).reshape(-1, len(ref))
    lower, upper = non_dominated_boxes(front, ref)
    x = _probe_points(len(ref))  # (n, m)
    inside = np.all((lower[None] <= x[:, None]) & (x[:, None] < upper[None]), axis=2)  # (n, b)
    dominated = np.any(np.all(front[None] <= x[:, None], axis=2), axis=1)
    expected = np.all(x < ref, axis=1) & ~dominated
    np.testing.assert_array_equal(inside.sum(axis=1), expected.astype(int))


def test_an_empty_front_leaves_one_box_open_below() -> None:
    lower, upper = non_dominated_boxes(np.empty((0, 3)), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(lower, [[-np.inf] * 3])
    np.testing.assert_array_equal(upper, [[1.0, 2.0, 3.0]])


def test_two_objectives_give_one_box_per_staircase_step() -> None:
    front = np.array([[3.0, 1.0], [1.0, 3.0], [2.0, 2.0], [2.0, 2.0], [3.0, 3.0]])
    lower, upper = non_dominated_boxes(front, np.array([4.0, 4.0]))
    np.testing.assert_array_equal(
        lower, [[-np.inf, -np.inf], [1, -np.inf], [2, -np.inf], [3, -np.inf]]
    )
    np.testing.assert_array_equal(upper, [[1, 4], [2, 3], [3, 2], [4, 1]])


def test_three_objectives_need_at_most_two_boxes_per_front_point() -> None:
    # Points on a sphere are mutually non-dominated and in general position; the non-dominated
    # region then has 2p + 1 local upper bounds, and the sweep emits one box for each.
    rng = np.random.default_rng(0)
    for p in (1, 5, 50):
        front = 1.0 - np.abs(rng.normal(size=(p, 3)))
        front = 1.0 - (1.0 - front) / np.linalg.norm(1.0 - front, axis=1, keepdims=True)
        lower, _ = non_dominated_boxes(front, np.full(3, 1.5))
        assert len(lower) == 2 * p + 1
