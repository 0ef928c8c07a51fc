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


def _dominated_pairwise(loss: np.ndarray) -> np.ndarray:
    no_worse = np.all(loss[:, None, :] <= loss[None, :, :], axis=2)  # [q, p]: q no worse than p
    better = np.any(loss[:, None, :] < loss[None, :, :], axis=2)
    dominated: np.ndarray = np.any(no_worse & better, axis=0)
    return dominated


@pytest.mark.parametrize("n_objectives", [3, 5, 9])
def test_large_fronts_in_many_objectives_match_the_pairwise_definition(n_objectives: int) -> None:
    # More rows than one block, most of them on the front (points near a sphere, as DTLZ2
    # gives), with duplicates, a shared coordinate grid and infinite losses.
    rng = np.random.default_rng(n_objectives)
    sphere = np.abs(rng.standard_normal((700, n_objectives)))
    loss = np.round(sphere / np.linalg.norm(sphere, axis=1, keepdims=True), 2)
    loss[:50] = loss[50:100]
    loss[rng.integers(0, 700, 20), rng.integers(0, n_objectives, 20)] = np.inf
    expected = ~_dominated_pairwise(loss)
    assert 100 < expected.sum() < 700
    np.testing.assert_array_equal(pareto_front_mask(loss), expected)


@given(
    st.integers(3, 5).flatmap(
        lambda m: st.lists(
            st.lists(st.integers(0, 4).map(float), min_size=m, max_size=m), min_size=1, max_size=40
        )
    ),
    st.integers(1, 6),
)
@settings(max_examples=examples(100), deadline=None)
def test_front_by_sorted_blocks_marks_exactly_the_non_dominated_rows(
    rows: list[list[float]], block_rows: int
) -> None:
    from tansaku._pareto._core import _pareto_front_mask_sorted

    loss = np.array(rows)
    np.testing.assert_array_equal(
        _pareto_front_mask_sorted(loss, block_rows), ~_dominated_pairwise(loss)
    )


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


# -- hypervolume and contributions against counting grid cells --------------------------------
# Points on the integer grid {0..4}^m with a reference point on {1..5}^m: the hypervolume is the
# number of unit cells (lower corner c < reference) that some point p <= c dominates. Counting
# them shares nothing with the algorithms under test.
def _grid_fronts(min_objectives: int = 2) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    def rows_and_reference(m: int) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
        row = st.lists(st.integers(0, 4), min_size=m, max_size=m)
        reference = st.lists(st.integers(1, 5), min_size=m, max_size=m)
        return st.tuples(
            st.lists(row, min_size=0, max_size=14).map(
                lambda r: np.array(r, float).reshape(-1, m)
            ),
            reference.map(lambda r: np.array(r, float)),
        )

    return st.integers(min_objectives, 6).flatmap(rows_and_reference)


def _dominated_cells(points: np.ndarray, reference: np.ndarray) -> int:
    axes = [np.arange(int(r)) for r in reference]
    cells = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(reference))
    if not len(points):
        return 0
    return int(np.any(np.all(points[None, :, :] <= cells[:, None, :], axis=2), axis=1).sum())


@given(_grid_fronts())
@settings(max_examples=examples(150), deadline=None)
def test_hypervolume_counts_the_dominated_cells_with_duplicate_and_dominated_points(
    front: tuple[np.ndarray, np.ndarray],
) -> None:
    points, reference = front
    assert hypervolume(points, reference) == pytest.approx(_dominated_cells(points, reference))


def contributions(
    candidates: np.ndarray, volume: np.ndarray, chosen: np.ndarray, reference: np.ndarray
) -> np.ndarray:
    """The hypervolume each candidate adds to ``chosen``, as the greedy selection works it out:
    its box's volume less the volume its limited set (``chosen`` clipped to it) covers."""
    from tansaku._pareto._contributions import covered_volumes

    if len(chosen) == 0 or len(candidates) == 0:
        return volume.copy()
    limited = np.maximum(candidates[:, None, :], chosen[None, :, :])
    return volume - covered_volumes(limited, reference)


@given(_grid_fronts(), st.integers(0, 13))
@settings(max_examples=examples(150), deadline=None)
def test_contributions_are_the_cells_each_candidate_adds_to_the_chosen_ones(
    front: tuple[np.ndarray, np.ndarray], n_chosen: int
) -> None:
    points, reference = front
    points = np.minimum(points, reference)  # every row at most the reference point
    chosen, candidates = points[:n_chosen], points[n_chosen:]
    volume = np.prod(reference - candidates, axis=1)
    expected = [
        _dominated_cells(np.vstack([chosen, c]), reference) - _dominated_cells(chosen, reference)
        for c in candidates
    ]
    np.testing.assert_allclose(
        contributions(candidates, volume, chosen, reference), expected, atol=1e-9
    )


def test_contributions_of_large_limited_sets_fall_back_to_the_general_algorithm() -> None:
    from tansaku._pareto._contributions import MAX_SUBSET_POINTS

    # A 4-objective front of 14 points whose limited sets under a candidate at the origin stay
    # mutually non-dominated: more than inclusion-exclusion takes.
    rng = np.random.default_rng(3)
    chosen = rng.dirichlet(np.ones(4), MAX_SUBSET_POINTS + 4)
    reference = np.full(4, 1.5)
    candidates = np.zeros((2, 4))
    candidates[1] = 2.0  # beyond the reference point: adds nothing
    volume = np.prod(np.clip(reference - candidates, 0.0, None), axis=1)
    gains = contributions(candidates, volume, chosen, reference)
    assert gains[0] == pytest.approx(1.5**4 - hypervolume(chosen, reference))
    assert gains[1] == 0.0


def _greedy_by_brute_force(front: np.ndarray, k: int, reference: np.ndarray) -> list[int]:
    greedy: list[int] = []
    for _ in range(k):
        gains = {
            i: _hypervolume_by_inclusion_exclusion(front[greedy + [i]], reference)
            for i in range(len(front))
            if i not in greedy
        }
        greedy.append(max(gains, key=lambda i: gains[i]))
    return greedy


@pytest.mark.parametrize("n_objectives", [3, 4, 5, 6])
def test_many_objective_selection_picks_exactly_the_greedy_set(n_objectives: int) -> None:
    rng = np.random.default_rng(n_objectives)
    for _ in range(4):
        # Correlated objectives (distances to points on a line) give fronts whose boxes overlap
        # much, as TPE sees them; a simplex front gives boxes that overlap little.
        x = rng.random((60, 3))
        centers = np.linspace(0.0, 1.0, n_objectives)
        correlated = ((x[:, None, :] - centers[None, :, None]) ** 2).sum(axis=2)
        for cloud in (correlated, rng.dirichlet(np.ones(n_objectives), 9)):
            front = cloud[pareto_front_mask(cloud)][:9]
            reference = reference_point(front)
            k = len(front) - 2
            picked = select_by_hypervolume(front, k, reference)
            assert sorted(picked.tolist()) == sorted(_greedy_by_brute_force(front, k, reference))


def test_nine_objective_selection_takes_no_recursive_hypervolume(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The split of a 9-objective TPE run: 30 of a 60-point front of correlated objectives. Its
    # limited sets hold a few points each, so no contribution needs the general algorithm, whose
    # slab recursion costs time exponential in the number of objectives.
    import tansaku._pareto._core as core

    calls = []
    general = core.hypervolume

    def counted(points: np.ndarray, reference: np.ndarray) -> float:
        calls.append(len(points))
        return general(points, reference)

    monkeypatch.setattr(core, "hypervolume", counted)
    rng = np.random.default_rng(0)
    x = rng.random((400, 1)) + 0.1 * rng.standard_normal((400, 6))  # near the diagonal
    centers = np.arange(9) / 9
    cloud = ((x[:, None, :] - centers[None, :, None]) ** 2).sum(axis=2)
    front = cloud[pareto_front_mask(cloud)][:60]
    assert len(front) == 60
    picked = select_by_hypervolume(front, 30, reference_point(front))
    assert len(set(picked.tolist())) == 30
    assert calls == []


@given(_grid_fronts(min_objectives=3), st.integers(0, 13), st.integers(0, 13))
@settings(max_examples=examples(150), deadline=None)
def test_free_boxes_give_the_cells_each_candidate_adds_to_the_picked_ones(
    front: tuple[np.ndarray, np.ndarray], n_chosen: int, since: int
) -> None:
    from tansaku._pareto._contributions import FreeBoxes

    points, reference = front
    points = np.minimum(points, reference)
    chosen, candidates = points[:n_chosen], points[n_chosen:]
    since = min(since, len(chosen))
    boxes = FreeBoxes(np.zeros(len(reference)), reference)
    for point in chosen:
        boxes.pick(point)

    def adds(c: np.ndarray, picked: np.ndarray) -> int:
        return _dominated_cells(np.vstack([picked, c]), reference) - _dominated_cells(
            picked, reference
        )

    # What a candidate adds after every pick: its box less what all picks took of it.
    boxes_volume = np.prod(reference - candidates, axis=1)
    everything = np.zeros(len(candidates), dtype=np.intp)
    expected = [adds(c, chosen) for c in candidates]
    np.testing.assert_allclose(
        boxes_volume - boxes.shared(candidates, everything), expected, atol=1e-9
    )
    # What the picks from ``since`` on took: the gain after ``since`` picks less the last one.
    taken = [adds(c, chosen[:since]) - adds(c, chosen) for c in candidates]
    from_since = np.full(len(candidates), since, dtype=np.intp)
    np.testing.assert_allclose(boxes.shared(candidates, from_since), taken, atol=1e-9)


@pytest.mark.parametrize("n_objectives", [4, 5, 7])
def test_selection_is_the_same_by_boxes_by_limited_sets_and_switching_between_them(
    n_objectives: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tansaku._pareto._greedy as greedy

    rng = np.random.default_rng(n_objectives)
    sphere = np.abs(rng.standard_normal((60, n_objectives)))
    front = sphere / np.linalg.norm(sphere, axis=1, keepdims=True)
    reference = reference_point(front)
    by_boxes = select_by_hypervolume(front, 20, reference)
    monkeypatch.setattr(greedy, "_FEW_BOXES", 0)  # the cost rule decides from step 1
    switching = select_by_hypervolume(front, 20, reference)
    monkeypatch.setattr(greedy, "MAX_BOXES", 0)  # limited sets only
    by_limited_sets = select_by_hypervolume(front, 20, reference)
    np.testing.assert_array_equal(by_boxes, by_limited_sets)
    np.testing.assert_array_equal(switching, by_limited_sets)
