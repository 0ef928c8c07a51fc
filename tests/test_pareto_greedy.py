"""Greedy hypervolume subset selection resumed over almost the same points: the same picks as a
fresh search, and only the new points measured while the old picks stand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tansaku._pareto._greedy as greedy
from tansaku._pareto._contributions import FreeBoxes
from tansaku._pareto._greedy import greedy_order
from tests._hypothesis import examples


@st.composite
def _changed_points(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Points on a small grid (many equal gains), a reference point, which old points stay
    and how many new points join, and k."""
    m = draw(st.integers(3, 5))
    row = st.lists(st.integers(0, 4), min_size=m, max_size=m)
    old = np.array(draw(st.lists(row, min_size=2, max_size=12)), float)
    new = np.array(draw(st.lists(row, min_size=0, max_size=3)), float).reshape(-1, m)
    stays = np.array(draw(st.lists(st.booleans(), min_size=len(old), max_size=len(old))))
    k = draw(st.integers(1, len(old)))
    return old, new, stays, k


@given(_changed_points(), st.booleans(), st.booleans(), st.sampled_from([None, 6]))
@settings(max_examples=examples(300), deadline=None)
def test_resumed_selection_picks_what_a_fresh_one_picks(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int],
    boxes_before: bool,
    boxes_now: bool,
    max_boxes: int | None,
) -> None:
    kept_max = greedy.MAX_BOXES
    greedy.MAX_BOXES = max_boxes or kept_max  # 6: the boxes go part way through the replay
    try:
        _check_resumed_selection(case, boxes_before, boxes_now)
    finally:
        greedy.MAX_BOXES = kept_max


def _check_resumed_selection(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int], boxes_before: bool, boxes_now: bool
) -> None:
    old, new, stays, k = case
    reference = np.full(old.shape[1], 5.0)
    previous = greedy_order(old, k, reference, use_boxes=boxes_before)
    # New points go among the old ones that stay, so positions move both ways.
    points = np.concatenate([new[:1], old[stays], new[1:]])
    positions = np.full(len(old), -1, dtype=np.intp)
    positions[stays] = len(new[:1]) + np.arange(stays.sum())
    k_now = min(k, len(points))
    if not k_now:
        return
    carried = previous.carried(positions, len(points))
    resumed = greedy_order(points, k_now, reference, carried, use_boxes=boxes_now)
    fresh = greedy_order(points, k_now, reference)
    np.testing.assert_array_equal(resumed.order, fresh.order)
    np.testing.assert_allclose(resumed.gains, fresh.gains, atol=1e-9)


def test_carried_run_keeps_the_picks_up_to_the_first_gone() -> None:
    points = np.array([[0.0, 2, 2], [2, 0, 2], [2, 2, 1], [1, 1, 1.5]])
    run = greedy_order(points, 3, np.full(3, 3.0))
    assert run.order.tolist() == [3, 0, 1]
    # Point 0 goes; the others move to 2, 1 and 0.
    carried = run.carried(np.array([-1, 2, 1, 0]), 4)
    assert carried.order.tolist() == [0]
    assert carried.gains.tolist() == run.gains[:1].tolist()
    assert carried.seen.tolist() == [True, True, True, False]  # position 3 is new


@pytest.mark.parametrize("use_boxes", [True, False])
def test_resumed_selection_measures_only_the_new_point_while_the_old_picks_stand(
    use_boxes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    sphere = np.abs(rng.standard_normal((40, 4)))
    front = sphere / np.linalg.norm(sphere, axis=1, keepdims=True)
    reference = np.full(4, 1.1)
    previous = greedy_order(front, 10, reference, use_boxes=use_boxes)
    # A new point just behind an old one (not dominated: worse in one objective only) wins
    # no step: every pick is replayed.
    newcomer = front[previous.order[-1]] + [0.0, 0.0, 0.0, 1e-3]
    points = np.vstack([front, newcomer])
    measured: list[int] = []
    shared, covered = FreeBoxes.shared, greedy.covered_volumes

    def counting_shared(self: FreeBoxes, candidates: np.ndarray, since: np.ndarray) -> np.ndarray:
        measured.append(len(candidates))
        return shared(self, candidates, since)

    def counting_covered(limited: np.ndarray, *args: object) -> np.ndarray:
        measured.append(len(limited))
        return covered(limited, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FreeBoxes, "shared", counting_shared)
    monkeypatch.setattr(greedy, "covered_volumes", counting_covered)
    carried = previous.carried(np.arange(len(front)), len(points))
    resumed = greedy_order(points, 10, reference, carried, use_boxes=use_boxes)
    np.testing.assert_array_equal(resumed.order, previous.order)
    # By boxes, the newcomer alone at each replayed step; by limited sets, one set of it for
    # each prefix of the picks, all at once.
    assert measured == ([1] * 10 if use_boxes else [10])
    monkeypatch.undo()
    np.testing.assert_array_equal(greedy_order(points, 10, reference).order, previous.order)


def test_replay_that_loses_its_boxes_searches_from_there(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    sphere = np.abs(rng.standard_normal((60, 4)))
    front = sphere / np.linalg.norm(sphere, axis=1, keepdims=True)
    reference = np.full(4, 1.1)
    old, candidates = front[:40], front[40:]
    previous = greedy_order(old, 10, reference)
    # A new point that the fresh selection picks, but not first: the replay must notice it.
    newcomer = next(
        c
        for c in candidates
        if 2 <= _first_difference(greedy_order(np.vstack([old, c]), 10, reference), previous) < 10
    )
    points = np.vstack([old, newcomer])
    fresh = greedy_order(points, 10, reference)
    monkeypatch.setattr(greedy, "MAX_BOXES", 0)  # the boxes go after the first pick
    carried = previous.carried(np.arange(len(old)), len(points))
    resumed = greedy_order(points, 10, reference, carried)
    np.testing.assert_array_equal(resumed.order, fresh.order)


def _first_difference(run: greedy.GreedyRun, other: greedy.GreedyRun) -> int:
    differ = np.flatnonzero(run.order != other.order)
    return int(differ[0]) if len(differ) else len(run.order)
