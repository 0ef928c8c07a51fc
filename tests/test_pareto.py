"""The multi-objective numeric core: Pareto fronts, non-dominated sorting, hypervolume, losses."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tansaku._pareto import (
    fronts_until,
    hypervolume,
    loss_signs,
    pareto_front_mask,
    reference_point,
    select_by_hypervolume,
    to_loss,
)
from tansaku.study import StudyDirection
from tests._hypothesis import examples


def test_to_loss_flips_the_maximized_columns_of_any_rows() -> None:
    directions = [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    np.testing.assert_array_equal(loss_signs(directions), [1.0, -1.0])
    np.testing.assert_array_equal(to_loss([[1, 2], [3.5, -4]], directions), [[1, -2], [3.5, 4]])
    assert to_loss([], directions).shape == (0, 2)


def _dominated_brute_force(loss: np.ndarray) -> np.ndarray:
    return np.array(
        [any(np.all(q <= p) and np.any(q < p) for q in loss) for p in loss], dtype=bool
    )


@given(
    st.integers(2, 4).flatmap(
        lambda m: st.lists(
            st.lists(st.integers(0, 4).map(float), min_size=m, max_size=m), min_size=1, max_size=25
        )
    )
)
@settings(max_examples=examples(100), deadline=None)
def test_pareto_front_mask_marks_exactly_the_non_dominated_rows(rows: list[list[float]]) -> None:
    loss = np.array(rows)
    np.testing.assert_array_equal(pareto_front_mask(loss), ~_dominated_brute_force(loss))


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=30))
@settings(max_examples=examples(100), deadline=None)
def test_two_objective_fronts_by_one_sort_match_the_definition(
    rows: list[tuple[int, int]],
) -> None:
    from tansaku._pareto._core import _pareto_front_mask_2d

    loss = np.array(rows, dtype=float)
    np.testing.assert_array_equal(_pareto_front_mask_2d(loss), ~_dominated_brute_force(loss))


@pytest.mark.parametrize("n_objectives", [2, 3])
def test_pareto_front_mask_of_many_rows_matches_the_pairwise_definition(n_objectives: int) -> None:
    rng = np.random.default_rng(n_objectives)
    loss = rng.integers(0, 20, (300, n_objectives)).astype(float)
    np.testing.assert_array_equal(pareto_front_mask(loss), ~_dominated_brute_force(loss))


def test_fronts_are_peeled_until_enough_rows() -> None:
    loss = np.array([[0, 3], [1, 1], [3, 0], [2, 2], [3, 3], [4, 4]], dtype=float)
    fronts = fronts_until(loss, 4)
    assert [sorted(f.tolist()) for f in fronts] == [[0, 1, 2], [3]]
    assert len(fronts_until(loss, 6)) == 4


def _hypervolume_by_inclusion_exclusion(points: np.ndarray, reference: np.ndarray) -> float:
    total = 0.0
    for k in range(1, len(points) + 1):
        for subset in itertools.combinations(range(len(points)), k):
            corner = points[list(subset)].max(axis=0)
            total += (-1) ** (k + 1) * float(np.prod(np.clip(reference - corner, 0.0, None)))
    return total


@pytest.mark.parametrize("n_objectives", [2, 3, 4])
def test_hypervolume_is_exact(n_objectives: int) -> None:
    rng = np.random.default_rng(n_objectives)
    for _ in range(10):
        points = rng.random((6, n_objectives))
        reference = np.full(n_objectives, 1.1)
        assert hypervolume(points, reference) == pytest.approx(
            _hypervolume_by_inclusion_exclusion(points, reference)
        )


@pytest.mark.parametrize("n_objectives", [2, 3])
def test_hypervolume_selection_is_the_greedy_choice(n_objectives: int) -> None:
    rng = np.random.default_rng(0)
    for _ in range(10):
        if n_objectives == 2:
            t = np.sort(rng.random(12))
            front = np.stack([t, 1.0 - np.sqrt(t)], axis=1)
        else:
            cloud = rng.random((40, 3))
            front = cloud[pareto_front_mask(cloud)]
        reference = reference_point(front)
        k = min(4, len(front) - 1)
        picked = select_by_hypervolume(front, k, reference)
        greedy: list[int] = []
        for _ in range(k):
            best = max(
                (i for i in range(len(front)) if i not in greedy),
                key=lambda i: hypervolume(front[greedy + [i]], reference),
            )
            greedy.append(best)
        assert hypervolume(front[picked], reference) == pytest.approx(
            hypervolume(front[greedy], reference)
        )


def test_hypervolume_selection_with_infinite_losses_falls_back_to_lexicographic_order() -> None:
    front = np.array([[math.inf, 0.0], [0.0, math.inf], [0.5, 0.5]])
    assert sorted(select_by_hypervolume(front, 2, np.zeros(2)).tolist()) == [1, 2]
