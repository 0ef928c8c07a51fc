"""The good / bad split: gamma and weights, the ranking of trials, multi-objective selection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tansaku.samplers._tpe import _split
from tansaku.samplers._tpe._split import (
    DominanceSplit,
    SortedLosses,
    call_gamma,
    call_weights,
    default_gamma,
    default_weights,
    good_mask,
    hyperopt_default_gamma,
    improvement_weights,
)


def test_default_gamma_is_ten_percent_rounded_up_and_at_most_25() -> None:
    assert [default_gamma(n) for n in (0, 1, 10, 11, 100, 249, 250, 10000)] == [
        0, 1, 1, 2, 10, 25, 25, 25,
    ]  # fmt: skip
    assert [hyperopt_default_gamma(n) for n in (1, 16, 100, 10**6)] == [1, 1, 3, 25]


def test_default_weights_ramp_up_for_all_but_the_newest_25() -> None:
    np.testing.assert_array_equal(default_weights(10), np.ones(10))
    weights = default_weights(100)
    np.testing.assert_allclose(weights[:75], np.linspace(0.01, 1.0, 75))
    np.testing.assert_array_equal(weights[75:], np.ones(25))
    assert len(default_weights(0)) == 0


@pytest.mark.parametrize(
    ("returned", "error", "match"),
    [
        (-1, ValueError, ">= 0"),
        (2.0, TypeError, "int"),
        (True, TypeError, "int"),
        ("3", TypeError, "int"),
    ],
)
def test_call_gamma_rejects_what_is_not_a_count(
    returned: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=rf"gamma\(10\).*{match}"):
        call_gamma(lambda n: returned, 10)  # type: ignore[arg-type, return-value]


def test_call_gamma_caps_at_the_number_of_trials_and_accepts_numpy_ints() -> None:
    assert call_gamma(lambda n: np.int64(50), 10) == 10


@pytest.mark.parametrize(
    ("returned", "match"),
    [
        (np.ones(4), "shape"),
        (np.ones((5, 1)), "shape"),
        (np.array([1.0, -1.0, 1.0, 1.0, 1.0]), ">= 0"),
        (np.array([1.0, math.inf, 1.0, 1.0, 1.0]), "finite"),
        (["a"] * 5, "numbers"),
    ],
)
def test_call_weights_rejects_what_is_not_n_weights(returned: object, match: str) -> None:
    with pytest.raises(ValueError, match=rf"weights\(5\).*{match}"):
        call_weights(lambda n: returned, 5)  # type: ignore[arg-type, return-value]


def _mask(
    loss: list[float],
    pruned: list[bool] | None = None,
    step: list[float] | None = None,
    violation: list[float] | None = None,
    n_good: int = 2,
) -> list[int]:
    n = len(loss)
    mask = good_mask(
        np.arange(n),
        np.array(pruned or [False] * n),
        np.array(loss, dtype=float)[:, None],
        np.array(step or [-1.0] * n),
        np.array(violation or [0.0] * n),
        n_good,
    )
    return np.flatnonzero(mask).tolist()


def test_complete_trials_are_good_by_loss_ties_by_number() -> None:
    assert _mask([3.0, 1.0, 2.0, 1.0], n_good=2) == [1, 3]
    assert _mask([3.0, 1.0, 2.0, 1.0], n_good=1) == [1]


def test_pruned_trials_rank_after_complete_ones_by_step_then_value() -> None:
    loss = [5.0, 0.0, 0.0, 1.0, math.nan]
    pruned = [False, True, True, True, True]
    step = [-1.0, 2.0, 7.0, 7.0, -1.0]
    assert _mask(loss, pruned, step, n_good=1) == [0]
    assert _mask(loss, pruned, step, n_good=2) == [0, 2]  # the furthest, then the better
    assert _mask(loss, pruned, step, n_good=3) == [0, 2, 3]
    assert _mask(loss, pruned, step, n_good=4) == [0, 1, 2, 3]  # none reported: last


def test_infeasible_trials_rank_last_by_total_violation() -> None:
    loss = [0.0, 1.0, 2.0, -5.0, -6.0]
    violation = [0.5, 0.0, 0.0, 3.0, math.inf]
    assert _mask(loss, violation=violation, n_good=2) == [1, 2]
    assert _mask(loss, violation=violation, n_good=3) == [0, 1, 2]
    assert _mask(loss, violation=violation, n_good=4) == [0, 1, 2, 3]


def test_good_trials_weigh_by_their_improvement_on_the_best_bad_trial() -> None:
    loss = np.array([1.0, 3.0, 4.0, 2.0, 5.0])
    excluded = np.zeros(5, dtype=bool)
    weights = improvement_weights(loss, excluded, np.array([0, 3]), np.array([1, 2, 4]))
    np.testing.assert_allclose(weights, [4 / 3, 2 / 3])  # gains 2 and 1, mean 1


@pytest.mark.parametrize(
    ("loss", "excluded"),
    [
        ([1.0, 3.0, 4.0], [True, False, False]),  # a pruned or infeasible good trial
        ([1.0, 3.0, 4.0], [False, True, True]),  # no bad trial with an objective value
        ([3.0, 3.0, 3.0], [False, False, False]),  # no improvement
        ([-math.inf, 3.0, 4.0], [False, False, False]),
    ],
)
def test_improvement_weights_fall_back_to_uniform(loss: list[float], excluded: list[bool]) -> None:
    weights = improvement_weights(
        np.array(loss), np.array(excluded), np.array([0, 1]), np.array([2])
    )
    np.testing.assert_array_equal(weights, [1.0, 1.0])


def test_sorted_losses_keep_rows_in_loss_order_as_rows_are_appended() -> None:
    rng = np.random.default_rng(0)
    losses = rng.integers(0, 5, 40).astype(float)
    order = SortedLosses()
    for n in (1, 2, 10, 11, 40):
        best = order.best(losses[:n], 3)
        np.testing.assert_array_equal(best, np.argsort(losses[:n], kind="stable")[:3])


# -- several objectives ------------------------------------------------------------------------
def test_multi_objective_good_trials_are_the_best_fronts_then_by_hypervolume() -> None:
    loss = np.array(
        [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.9], [0.2, 0.95], [2.0, 2.0]]
    )  # front 1: rows 0, 1, 2, 4; row 3 and row 5 behind
    n = len(loss)
    mask = good_mask(np.arange(n), np.zeros(n, bool), loss, -np.ones(n), np.zeros(n), 3)
    # The extremes and the knee add the most hypervolume; row 4 crowds row 0.
    assert np.flatnonzero(mask).tolist() == [0, 1, 2]
    mask = good_mask(np.arange(n), np.zeros(n, bool), loss, -np.ones(n), np.zeros(n), 5)
    assert np.flatnonzero(mask).tolist() == [0, 1, 2, 3, 4]


def test_default_gamma_with_several_objectives_has_no_cap() -> None:
    from tansaku.samplers._tpe._split import default_gamma_multiobjective

    assert [default_gamma_multiobjective(n) for n in (0, 1, 11, 250, 1000)] == [0, 1, 2, 25, 100]


@pytest.mark.parametrize("n_objectives", [2, 3, 5, 9])
def test_kept_multi_objective_split_is_the_split_computed_afresh(
    n_objectives: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rows arrive one by one, as trials finish: near a front, far behind it, duplicates, and
    # now and then beyond the worst so far (the reference point moves).
    rng = np.random.default_rng(n_objectives)
    x = rng.random((150, 1)) + 0.1 * rng.standard_normal((150, 4))
    centers = np.linspace(0.0, 1.0, n_objectives)
    loss = ((x[:, None, :] - centers[None, :, None]) ** 2).sum(axis=2)
    loss[::7] += 3.0 * rng.random((len(loss[::7]), 1))
    loss[20::25] = loss[10]
    fresh_selections = []
    fresh = _split._best_by_dominance
    kept = DominanceSplit()
    for n in range(1, len(loss) + 1):
        n_good = math.ceil(0.1 * n)
        zeros = np.zeros(n)
        expected = good_mask(np.arange(n), zeros.astype(bool), loss[:n], zeros - 1, zeros, n_good)
        monkeypatch.setattr(
            _split, "_best_by_dominance", lambda *a: fresh_selections.append(1) or fresh(*a)
        )
        assert sorted(kept.best(loss[:n], n_good).tolist()) == np.flatnonzero(expected).tolist()
        monkeypatch.setattr(_split, "_best_by_dominance", fresh)
    # At least 30 rows kept the previous selection; with three or more objectives the greedy
    # replays the previous picks instead of a fresh selection.
    assert len(fresh_selections) <= (120 if n_objectives == 2 else 5)


@pytest.mark.parametrize("n_objectives", [4, 5])
def test_kept_split_of_objectives_in_conflict_is_the_split_computed_afresh(
    n_objectives: int,
) -> None:
    # DTLZ2-like rows (near the unit sphere): almost all on the front, whose limited sets are
    # large, so a selection is rebuilt from the boxes rather than replayed.
    rng = np.random.default_rng(n_objectives)
    sphere = np.abs(rng.standard_normal((200, n_objectives)))
    loss = sphere / np.linalg.norm(sphere, axis=1, keepdims=True)
    loss *= 1.0 + 0.05 * rng.random((200, 1))
    kept = DominanceSplit()
    for n in range(1, len(loss) + 1):
        n_good = math.ceil(0.1 * n)
        zeros = np.zeros(n)
        expected = good_mask(np.arange(n), zeros.astype(bool), loss[:n], zeros - 1, zeros, n_good)
        assert sorted(kept.best(loss[:n], n_good).tolist()) == np.flatnonzero(expected).tolist()


def test_kept_split_replays_the_previous_picks_only_while_they_stay_greedy() -> None:
    from tansaku._pareto._greedy import _picks_still_greedy

    # Points 0 and 1 of a 3-objective front were picked in that order, adding 3 and then 2.
    points = np.array([[0.0, 2, 2], [2, 0, 2], [2, 2, 1], [1, 1, 1], [0, 2, 2.5]])
    reference = np.full(3, 3.0)
    order, gains = np.array([0, 1]), np.array([3.0, 2.0])
    assert hypervolume_of(points[[0, 1]], reference) == 5.0
    # Point 3 beats the first pick (its box is 8 against point 0's 3).
    assert _picks_still_greedy(points, order, gains, np.array([3]), reference) == 0
    # Point 4 adds less than point 0 (1.5), then nothing after it: both picks stay.
    assert _picks_still_greedy(points, order, gains, np.array([4]), reference) == 2
    assert _picks_still_greedy(points, order, gains, np.array([4, 3]), reference) == 0


def hypervolume_of(points: np.ndarray, reference: np.ndarray) -> float:
    from tansaku._pareto import hypervolume

    return hypervolume(points, reference)
