"""Log expected hypervolume improvement: accuracy, gradients, tails and steering."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tansaku._gp._ehvi import log_ehvi, standard_normal_draws
from tansaku._pareto import non_dominated_boxes


def _exact_ehvi(
    mean: np.ndarray, var: np.ndarray, front: np.ndarray, ref: np.ndarray
) -> np.ndarray:
    """EHVI of independent normal outcomes in closed form: each box's expected volume is the
    product over objectives of E[max(0, u - max(l, y))] = sd (h((u - mu) / sd) - h((l - mu) /
    sd)), h(x) = phi(x) + x Phi(x)."""
    lower, upper = non_dominated_boxes(front, ref)
    sd = np.sqrt(var)[:, None, :]  # (k, 1, m)

    def h(x: np.ndarray) -> np.ndarray:
        finite = np.where(np.isfinite(x), x, 0.0)
        return np.where(
            np.isfinite(x), stats.norm.pdf(finite) + finite * stats.norm.cdf(finite), 0.0
        )

    edge = sd * (h((upper - mean[:, None, :]) / sd) - h((lower - mean[:, None, :]) / sd))
    return np.prod(edge, axis=2).sum(axis=1)


def _front(m: int, p: int, seed: int) -> np.ndarray:
    """p mutually non-dominated losses in [0, 1]^m (on a sphere around the ideal point)."""
    direction = np.abs(np.random.default_rng(seed).normal(size=(p, m)))
    return 1.0 - direction / np.linalg.norm(direction, axis=1, keepdims=True)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_monte_carlo_estimate_converges_to_the_exact_ehvi(m: int) -> None:
    front = _front(m, 6, seed=m)
    ref = np.full(m, 1.2)
    rng = np.random.default_rng(0)
    # Around the front, where improvement is likely enough for a sample to measure it.
    mean = front[[0, 1, 2, 3, 0, 1, 2, 3]] + rng.uniform(-0.1, 0.1, size=(8, m))
    var = rng.uniform(0.005, 0.05, size=(8, m))
    exact = _exact_ehvi(mean, var, front, ref)
    value, _, _ = log_ehvi(mean, var, front, ref, standard_normal_draws(1 << 14, m, seed=1))
    np.testing.assert_allclose(np.exp(value), exact, rtol=0.02)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_gradients_match_finite_differences(m: int) -> None:
    front = _front(m, 5, seed=10 + m)
    ref = np.full(m, 1.2)
    rng = np.random.default_rng(m)
    mean = np.vstack([rng.uniform(0.2, 1.1, size=(4, m)), ref + 0.5, ref + 30.0 * 0.1])
    var = np.vstack([rng.uniform(0.005, 0.05, size=(4, m)), np.full((2, m), 0.01)])
    z = standard_normal_draws(64, m, seed=2)
    _, d_mean, d_var = log_ehvi(mean, var, front, ref, z)
    for j in range(m):
        step = np.zeros(m)
        step[j] = 1e-7
        numeric_mean = (
            log_ehvi(mean + step, var, front, ref, z)[0]
            - log_ehvi(mean - step, var, front, ref, z)[0]
        ) / 2e-7
        numeric_var = (
            log_ehvi(mean, var + 1e-2 * step, front, ref, z)[0]
            - log_ehvi(mean, var - 1e-2 * step, front, ref, z)[0]
        ) / 2e-9
        np.testing.assert_allclose(d_mean[:, j], numeric_mean, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(d_var[:, j], numeric_var, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_far_behind_the_front_the_value_is_finite_and_the_gradient_points_back(m: int) -> None:
    front = _front(m, 5, seed=20 + m)
    ref = np.full(m, 1.2)
    sd = 1e-3
    # 1e3 standard deviations behind the reference point, and just into the tails (40 sd).
    mean = np.vstack([ref + 1e3 * sd, ref + 40.0 * sd, front[0] + 40.0 * sd])
    var = np.full_like(mean, sd**2)
    value, d_mean, d_var = log_ehvi(mean, var, front, ref, standard_normal_draws(128, m, seed=3))
    assert (
        np.all(np.isfinite(value)) and np.all(np.isfinite(d_mean)) and np.all(np.isfinite(d_var))
    )
    assert value[0] < value[1] < np.log(1e-30)  # tiny, ordered by distance, but no -inf
    assert np.all(d_mean < 0.0)  # lowering any loss brings the candidate towards the region
    assert np.all(d_var[:2] > 0.0)  # behind ref, only more uncertainty can reach the region


@pytest.mark.parametrize("m", [2, 3, 4])
def test_a_candidate_filling_the_gap_beats_one_behind_the_front(m: int) -> None:
    front = np.full((2, m), 0.5)
    front[0, :2] = [0.0, 1.0]
    front[1, :2] = [1.0, 0.0]
    ref = np.full(m, 2.0)
    gap = np.full(m, 0.5)
    gap[:2] = 0.4
    behind = np.full(m, 0.6)
    behind[:2] = 1.2
    mean = np.vstack([gap, behind])
    value, _, _ = log_ehvi(
        mean, np.full_like(mean, 0.01), front, ref, standard_normal_draws(128, m, 4)
    )
    assert value[0] > value[1] + 1.0


def test_without_a_front_the_improvement_is_the_box_below_the_reference_point() -> None:
    ref = np.array([1.0, 2.0])
    mean = np.array([[0.0, 0.5], [0.5, 1.5]])
    var = np.full_like(mean, 1e-4)
    value, _, _ = log_ehvi(mean, var, np.empty((0, 2)), ref, standard_normal_draws(256, 2, 5))
    np.testing.assert_allclose(value, np.log(np.prod(ref - mean, axis=1)), rtol=1e-3)


def test_zero_variance_gives_finite_values_and_gradients() -> None:
    front = _front(3, 4, seed=6)
    mean = np.array([[0.3, 0.3, 0.3], [2.0, 2.0, 2.0]])
    out = log_ehvi(
        mean, np.zeros_like(mean), front, np.full(3, 1.2), standard_normal_draws(32, 3, 6)
    )
    assert all(np.all(np.isfinite(array)) for array in out)


def test_many_candidates_are_processed_in_blocks_with_the_same_result() -> None:
    front = _front(3, 4, seed=7)
    ref = np.full(3, 1.2)
    rng = np.random.default_rng(7)
    mean = rng.uniform(0.0, 1.3, size=(3000, 3))
    var = rng.uniform(0.001, 0.1, size=(3000, 3))
    z = standard_normal_draws(16, 3, seed=7)
    whole = log_ehvi(mean, var, front, ref, z)
    for rows in (slice(0, 1), slice(1500, 3000)):
        part = log_ehvi(mean[rows], var[rows], front, ref, z)
        for a, b in zip(whole, part, strict=True):
            np.testing.assert_allclose(a[rows], b, rtol=1e-12)


def test_standard_normal_draws_are_reproducible_and_standard() -> None:
    z = standard_normal_draws(100, 3, seed=8)
    assert z.shape == (100, 3) and np.all(np.isfinite(z))
    np.testing.assert_array_equal(z, standard_normal_draws(100, 3, seed=8))
    assert not np.array_equal(z, standard_normal_draws(100, 3, seed=9))
    big = standard_normal_draws(4096, 2, seed=8)
    np.testing.assert_allclose(big.mean(axis=0), 0.0, atol=0.01)
    np.testing.assert_allclose(big.std(axis=0), 1.0, atol=0.01)
