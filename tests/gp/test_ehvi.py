"""Log expected hypervolume improvement: exactness, tails, gradients and steering."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from tansaku._gp import _ehvi
from tansaku._gp._ehvi import _scaled_tail, log_ehvi
from tansaku._pareto import non_dominated_boxes


def _front(m: int, p: int, seed: int) -> np.ndarray:
    """p mutually non-dominated losses in [0, 1]^m (on a sphere around the ideal point)."""
    direction = np.abs(np.random.default_rng(seed).normal(size=(p, m)))
    return 1.0 - direction / np.linalg.norm(direction, axis=1, keepdims=True)


def _hvi(y: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Hypervolume improvement of outcomes y (n, m) from the boxes, plainly."""
    lower, upper = non_dominated_boxes(front, ref)
    total = np.zeros(len(y))
    for lo, up in zip(lower, upper, strict=True):
        total += np.prod(np.maximum(0.0, up - np.maximum(lo, y)), axis=1)
    return total


def _mp_log_ehvi(mean: np.ndarray, var: np.ndarray, front: np.ndarray, ref: np.ndarray) -> float:
    """log EHVI of one candidate in 60-digit arithmetic: the box formula with h evaluated by
    mpmath, as the reference for the tails (independent of the code under test but for the
    boxes, which tests/test_pareto_boxes.py checks)."""
    lower, upper = non_dominated_boxes(front, ref)
    with mpmath.workdps(60):

        def h(z: mpmath.mpf) -> mpmath.mpf:
            return mpmath.npdf(z) + z * mpmath.ncdf(z)

        total = mpmath.mpf(0)
        for lo, up in zip(lower, upper, strict=True):
            volume = mpmath.mpf(1)
            for j in range(len(ref)):
                mu, sd = mpmath.mpf(mean[j]), mpmath.sqrt(mpmath.mpf(var[j]))
                edge = h((mpmath.mpf(up[j]) - mu) / sd)
                if np.isfinite(lo[j]):
                    edge -= h((mpmath.mpf(lo[j]) - mu) / sd)
                volume *= sd * edge
            total += volume
        return float(mpmath.log(total))


@pytest.mark.parametrize("m", [2, 3, 4])
def test_value_matches_a_large_plain_monte_carlo_sample(m: int) -> None:
    front = _front(m, 6, seed=m)
    ref = np.full(m, 1.2)
    rng = np.random.default_rng(0)
    # Around the front, where improvement is likely enough for a sample to measure it.
    mean = front[[0, 1, 2, 3, 0, 1]] + rng.uniform(-0.1, 0.1, size=(6, m))
    var = rng.uniform(0.005, 0.05, size=(6, m))
    value, _, _ = log_ehvi(mean, var, front, ref)
    for i in range(len(mean)):
        y = mean[i] + np.sqrt(var[i]) * rng.standard_normal((40_000, m))
        sample = _hvi(y, front, ref)
        standard_error = sample.std() / np.sqrt(len(sample))
        assert abs(np.exp(value[i]) - sample.mean()) < 5.0 * standard_error


def test_log_h_matches_mpmath_from_the_far_lower_tail_to_the_upper_one() -> None:
    z = np.concatenate(
        [-np.logspace(8, -3, 60), [0.0], np.logspace(-3, 8, 30), [-20.0, -20.000001, -19.99]]
    )
    with mpmath.workdps(60):
        expected = np.array(
            [float(mpmath.log(mpmath.npdf(v) + v * mpmath.ncdf(v))) for v in map(mpmath.mpf, z)]
        )
    # log h(z), h(z) = phi(z) + z Phi(z), is the scaled log minus its shift.
    log_h, _, _, shift = _scaled_tail(z)
    np.testing.assert_allclose(log_h - shift, expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("distance", [0.0, 5.0, 40.0, 1e3])
def test_value_matches_mpmath_into_the_far_tails(m: int, distance: float) -> None:
    """Candidates `distance` standard deviations behind the reference point and behind one
    front point, with a narrow box (two front points 1e-9 apart) among the rest."""
    front = _front(m, 4, seed=30 + m)
    front = np.vstack([front, front[0] + np.r_[1e-9, -1e-9, np.zeros(m - 2)]])
    ref = np.full(m, 1.2)
    sd = np.array([1e-3, 2e-3, 5e-3, 1e-2])[:m]
    mean = np.vstack([ref + distance * sd, front[1] + distance * sd, front[0] - 0.2 * sd])
    var = np.tile(sd**2, (len(mean), 1))
    value, _, _ = log_ehvi(mean, var, front, ref)
    expected = [_mp_log_ehvi(mean[i], var[i], front, ref) for i in range(len(mean))]
    np.testing.assert_allclose(value, expected, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_gradients_match_finite_differences(m: int) -> None:
    front = _front(m, 5, seed=10 + m)
    ref = np.full(m, 1.2)
    rng = np.random.default_rng(m)
    sd = 0.05
    mean = np.vstack(
        [
            rng.uniform(0.2, 1.1, size=(4, m)),  # around the front
            ref + 30.0 * sd,  # behind the reference point, in the tails
            ref + 1e3 * sd,  # far in the tails
            front[0] + 1e3 * sd,  # far behind a front point
        ]
    )
    var = np.vstack([rng.uniform(0.005, 0.05, size=(4, m)), np.full((3, m), sd**2)])
    _, d_mean, d_var = log_ehvi(mean, var, front, ref)
    for j in range(m):
        mean_step = np.zeros(m)
        mean_step[j] = 1e-6
        numeric_mean = (
            log_ehvi(mean + mean_step, var, front, ref)[0]
            - log_ehvi(mean - mean_step, var, front, ref)[0]
        ) / 2e-6
        var_step = np.zeros((len(var), m))
        var_step[:, j] = 1e-6 * var[:, j]
        numeric_var = (
            log_ehvi(mean, var + var_step, front, ref)[0]
            - log_ehvi(mean, var - var_step, front, ref)[0]
        ) / (2.0 * var_step[:, j])
        np.testing.assert_allclose(d_mean[:, j], numeric_mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(d_var[:, j], numeric_var, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_far_behind_the_front_the_value_is_finite_and_the_gradient_points_back(m: int) -> None:
    front = _front(m, 5, seed=20 + m)
    ref = np.full(m, 1.2)
    sd = 1e-3
    # 1e3 standard deviations behind the reference point and behind a front point, and just
    # into the tails (40 sd).
    mean = np.vstack([ref + 1e3 * sd, ref + 40.0 * sd, front[0] + 1e3 * sd])
    var = np.full_like(mean, sd**2)
    value, d_mean, d_var = log_ehvi(mean, var, front, ref)
    assert all(np.all(np.isfinite(array)) for array in (value, d_mean, d_var))
    assert value[0] < value[1] < np.log(1e-300)  # far below what exp can represent
    assert np.all(d_mean < 0.0)  # lowering any loss brings the candidate towards the region
    assert np.all(d_var > 0.0)  # behind the front, only more uncertainty can reach the region


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
    value, _, _ = log_ehvi(mean, np.full_like(mean, 0.01), front, ref)
    assert value[0] > value[1] + 1.0


def test_without_a_front_the_improvement_is_the_box_below_the_reference_point() -> None:
    ref = np.array([1.0, 2.0])
    mean = np.array([[0.0, 0.5], [0.5, 1.5]])
    var = np.full_like(mean, 1e-4)  # 50 sd and more inside: the tails are below 1e-500
    value, _, _ = log_ehvi(mean, var, np.empty((0, 2)), ref)
    np.testing.assert_allclose(value, np.log(np.prod(ref - mean, axis=1)), rtol=1e-12)


@pytest.mark.parametrize("m", [2, 3])
def test_zero_variance_gives_log_hvi_inside_and_a_finite_slope_back_behind(m: int) -> None:
    front = _front(m, 4, seed=6)
    ref = np.full(m, 1.2)
    inside = np.full(m, 0.3)
    mean = np.vstack([inside, ref + 0.1, ref + 0.2, front[0] + 0.1])
    for var in (np.zeros_like(mean), np.full_like(mean, -1e-18)):  # round-off below zero
        value, d_mean, d_var = log_ehvi(mean, var, front, ref)
        assert all(np.all(np.isfinite(array)) for array in (value, d_mean, d_var))
        np.testing.assert_allclose(value[0], np.log(_hvi(inside[None], front, ref)[0]), 1e-8)
        assert value[2] < value[1] < value[0]  # nearer is better, even with no uncertainty
        assert value[3] < value[0]
        assert np.all(d_mean[1:] < 0.0)  # the slope points back to the region
        assert np.all(d_var[1:] > 0.0)  # and says uncertainty would help


def test_many_candidates_are_processed_in_blocks_with_the_same_result() -> None:
    front = _front(3, 20, seed=7)
    ref = np.full(3, 1.2)
    rng = np.random.default_rng(7)
    mean = rng.uniform(0.0, 1.3, size=(3000, 3))
    var = rng.uniform(0.001, 0.1, size=(3000, 3))
    whole = log_ehvi(mean, var, front, ref)
    for rows in (slice(0, 1), slice(1500, 3000)):
        part = log_ehvi(mean[rows], var[rows], front, ref)
        for a, b in zip(whole, part, strict=True):
            np.testing.assert_allclose(a[rows], b, rtol=1e-12)


def test_near_duplicate_front_points_keep_values_and_gradients_exact() -> None:
    """Two front points one ulp apart make a box far narrower than any posterior: its edge
    takes the midpoint rule rather than a difference of two equal h's."""
    front = np.array([[0.2, 0.8], [0.5, 0.5], [np.nextafter(0.5, 1.0), np.nextafter(0.5, 0.0)]])
    ref = np.array([1.0, 1.0])
    # Around the pair, and far behind in one objective (so evaluated in log space) while far
    # ahead of the narrow box in the other, where both of its h values round to one number.
    mean = np.array([[0.5, 0.5], [0.45, 0.55], [5.0, 5.0], [-1.0, 5.0], [5.0, -1.0]])
    var = np.full_like(mean, 1e-2)
    value, d_mean, d_var = log_ehvi(mean, var, front, ref)
    assert all(np.all(np.isfinite(array)) for array in (value, d_mean, d_var))
    expected = [_mp_log_ehvi(mean[i], var[i], front, ref) for i in range(len(mean))]
    np.testing.assert_allclose(value, expected, rtol=1e-11)
    step = 1e-6
    for j in range(2):
        shifted = mean.copy()
        shifted[:, j] += step
        numeric = (log_ehvi(shifted, var, front, ref)[0] - value) / step
        np.testing.assert_allclose(d_mean[:, j], numeric, rtol=1e-4)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_plain_and_log_space_evaluations_agree_where_both_apply(m: int) -> None:
    """Plain arithmetic answers wherever EHVI is representable; log space takes the rest.
    Where both apply they must agree, values and gradients, so the switch leaves no seam."""
    front = _front(m, 8, seed=40 + m)
    ref = np.full(m, 1.2)
    rng = np.random.default_rng(40 + m)
    mean = rng.uniform(-0.2, 3.0, size=(200, m))
    sd = np.sqrt(rng.uniform(1e-4, 0.1, size=(200, m)))
    boxes = _ehvi._boxes(front.tobytes(), ref.tobytes(), m)
    plain = _ehvi._linear_block(mean.T.copy(), sd.T.copy(), boxes)
    in_log_space = _ehvi._log_ehvi_block(mean.T.copy(), sd.T.copy(), boxes)
    representable = plain[0] > _ehvi._LOG_LINEAR_FLOOR
    assert 50 < representable.sum() < 200  # both kinds of candidates are in the sample
    for a, b in zip(plain, in_log_space, strict=True):
        np.testing.assert_allclose(a[representable], b[representable], rtol=1e-9, atol=1e-9)
